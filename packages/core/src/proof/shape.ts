/**
 * The shape of a proof's path, derived from the tree's sizes alone: at each level, where the rising
 * node sits in its group and how many other members the group has. A proof carries only nodes; its
 * shape follows from n and the sizes, so the binary form (format version 2) stores no shape bytes.
 * @module
 */
import { ceilDiv } from './arith.js';

/** Most levels a path can have: a tree of 2^53 - 1 leaves with n = 2. */
export const MAX_PATH_LEVELS = 53;

/**
 * The path of leaf `index` in a tree of `size` leaves (0 <= index < size): writes the position and
 * the sibling count of level k to `positions[at + k]` and `counts[at + k]`, and returns the number of
 * levels (the tree's depth).
 */
export function inclusionPath(n: number, index: number, size: number, positions: Uint8Array, counts: Uint8Array, at: number): number {
  // n a power of two and sizes below 2^31 (the common case): shifts and masks instead of divisions.
  if ((n & (n - 1)) === 0 && size <= 0x7fffffff) {
    const shift = 31 - Math.clz32(n);
    const mask = n - 1;
    let k = 0;
    for (let idx = index, len = size; len > 1; k++) {
      const position = idx & mask;
      const start = idx - position;
      const end = start + n < len ? start + n : len;
      positions[at + k] = position;
      counts[at + k] = end - start - 1;
      idx = start >>> shift;
      len = (len + mask) >>> shift;
    }
    return k;
  }
  let k = 0;
  for (let idx = index, len = size; len > 1; k++) {
    const position = idx % n;
    const start = idx - position;
    const end = start + n < len ? start + n : len;
    positions[at + k] = position;
    counts[at + k] = end - start - 1;
    idx = start / n;
    len = ceilDiv(len, n);
  }
  return k;
}

/** The sum of `counts[at .. at + levels)`: the siblings of a path. */
export function siblingCount(counts: Uint8Array, at: number, levels: number): number {
  let total = 0;
  for (let k = 0; k < levels; k++) total += counts[at + k]!;
  return total;
}

/**
 * The path of a consistency proof from `oldSize` to `newSize` leaves (1 <= oldSize <= newSize): at
 * level k the old tree's boundary node `b_k = floor((oldSize - 1) / n^k)` has `left[k]` members of its
 * group before it (`b_k % n`) and `right[k]` after it in the new tree. Returns the number of levels
 * (the new tree's depth).
 */
export function consistencyPath(n: number, oldSize: number, newSize: number, left: Uint8Array, right: Uint8Array): number {
  let k = 0;
  for (let b = oldSize - 1, len = newSize; len > 1; k++) {
    const position = b % n;
    const start = b - position;
    const end = start + n < len ? start + n : len;
    left[k] = position;
    right[k] = end - b - 1;
    b = start / n;
    len = ceilDiv(len, n);
  }
  return k;
}
