/**
 * Shape arithmetic of the lean n-ary tree: depth, level lengths, capacity.
 * Sizes are JS numbers (exact up to 2^53 - 1).
 * @module
 */

/** depth = 0 for 0 or 1 leaves, else ceil(log_n(size)). */
export function depthForSize(size: number, n: number): number {
  let depth = 0;
  let capacity = 1;
  while (capacity < size) {
    capacity *= n;
    depth++;
  }
  return depth;
}

/** Length of `level` for a tree of `size` leaves: ceil(size / n^level) (0 for an empty tree). */
export function levelLengthFor(size: number, n: number, level: number): number {
  let len = size;
  for (let k = 0; k < level; k++) len = Math.ceil(len / n);
  return len;
}

/**
 * Number of settled nodes of `level` in a tree of `size` leaves: floor(size / n^level). Every node
 * before this index can never change again; the node at this index, if the level has one, can.
 */
export function settledLength(size: number, n: number, level: number): number {
  let len = size;
  for (let k = 0; k < level; k++) len = Math.floor(len / n);
  return len;
}

/** N^maxDepth, saturated at Number.MAX_SAFE_INTEGER. */
export function capacityFor(n: number, maxDepth: number): number {
  let cap = 1;
  for (let k = 0; k < maxDepth; k++) {
    cap *= n;
    if (cap >= Number.MAX_SAFE_INTEGER) return Number.MAX_SAFE_INTEGER;
  }
  return cap;
}

/** Validates the tree parameters (RangeError on misuse). */
export function assertTreeParams(n: unknown, maxDepth: unknown): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 2 || n > 256) {
    throw new RangeError(`n must be an integer in 2..256, got ${String(n)}`);
  }
  if (typeof maxDepth !== 'number' || !Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > 64) {
    throw new RangeError(`maxDepth must be an integer in 1..64, got ${String(maxDepth)}`);
  }
}
