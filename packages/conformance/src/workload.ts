/**
 * The deterministic leaves every check inserts, and the independent reference recomputation of
 * roots the recovered trees are compared with.
 * @module
 */
import type { Hasher } from '@rotortree/core';

/** Leaf i of every workload: u32 LE i, then bytes that depend on i (never all zero, never repeated). */
export function leafAt(i: number): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(0, i, true);
  for (let j = 4; j < 32; j++) out[j] = (i * 31 + j * 17 + 5 + (i >>> 8) * 13) & 0xff;
  out[31] = 0xa5;
  return out;
}

/** Leaves `first .. first + k - 1`, flat. */
export function leavesAt(first: number, k: number): Uint8Array {
  const out = new Uint8Array(k * 32);
  for (let i = 0; i < k; i++) out.set(leafAt(first + i), i * 32);
  return out;
}

/** Leaves in the record (one insert or one insertMany) starting at leaf i, for process workloads. */
export function recordLength(i: number): number {
  return i % 7 === 3 ? (i % 5) + 2 : 1;
}

/** True when records following {@link recordLength} from leaf 0 end exactly at `size`. */
export function isRecordBoundary(size: number): boolean {
  let i = 0;
  while (i < size) i += recordLength(i);
  return i === size;
}

/**
 * Roots of the trees over `leafAt(0 .. size-1)`, recomputed naively (every level rebuilt as arrays,
 * one `hashGroup` call per parent: independent of the tree's batched paths), cached by size.
 */
export class ReferenceRoots {
  readonly #hasher: Hasher;
  readonly #n: number;
  readonly #cache = new Map<number, Uint8Array | undefined>();

  constructor(hasher: Hasher, n: number) {
    this.#hasher = hasher;
    this.#n = n;
  }

  /** The root over the first `size` workload leaves (`undefined` for 0). */
  root(size: number): Uint8Array | undefined {
    if (this.#cache.has(size)) return this.#cache.get(size);
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < size; i++) leaves.push(leafAt(i));
    const root = naiveRoot(this.#hasher, leaves, this.#n);
    this.#cache.set(size, root);
    return root;
  }
}

/** The root of the lean tree over `leaves`, by the definition (no padding, lone children lifted). */
export function naiveRoot(hasher: Hasher, leaves: readonly Uint8Array[], n: number): Uint8Array | undefined {
  if (leaves.length === 0) return undefined;
  let level = leaves.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += n) {
      const group = level.slice(i, i + n);
      if (group.length === 1) {
        next.push(group[0]!);
        continue;
      }
      const buf = new Uint8Array(group.length * 32);
      group.forEach((c, j) => buf.set(c, j * 32));
      const out = new Uint8Array(32);
      hasher.hashGroup(buf, 0, group.length, out, 0);
      next.push(out);
    }
    level = next;
  }
  return level[0];
}

/** Lowercase hex of the first bytes, for messages. */
export function shortHex(bytes: Uint8Array | undefined): string {
  if (bytes === undefined) return 'none';
  let s = '';
  for (let i = 0; i < Math.min(6, bytes.length); i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return s;
}
