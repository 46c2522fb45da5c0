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
 * Roots of the trees over `leafAt(0 .. size-1)`, by the definition (one `hashGroup` call per
 * parent, lone children lifted: independent of the tree's batched paths), kept incrementally: the
 * nodes of complete subtrees do not depend on the size, so they are computed once, and the root of
 * any size costs only its right edge (at most `n` children per level). Agrees with
 * {@link naiveRoot} for every size (tested).
 */
export class ReferenceRoots {
  readonly #hasher: Hasher;
  readonly #n: number;
  /** complete[l][j]: the node at level l, index j, whose subtree of n^l leaves is whole. */
  readonly #complete: Uint8Array[][] = [[]];
  readonly #group: Uint8Array;

  constructor(hasher: Hasher, n: number) {
    this.#hasher = hasher;
    this.#n = n;
    this.#group = new Uint8Array(n * 32);
  }

  /** The root over the first `size` workload leaves (`undefined` for 0). */
  root(size: number): Uint8Array | undefined {
    if (size === 0) return undefined;
    this.#extend(size);
    let depth = 0;
    for (let span = 1; span < size; span *= this.#n) depth++;
    return this.#node(depth, 0, size);
  }

  /** Makes every complete node of the first `size` leaves known. */
  #extend(size: number): void {
    const leaves = this.#complete[0]!;
    for (let i = leaves.length; i < size; i++) leaves.push(leafAt(i));
    for (let l = 1, span = this.#n; span <= leaves.length; l++, span *= this.#n) {
      const level = (this.#complete[l] ??= []);
      const below = this.#complete[l - 1]!;
      while ((level.length + 1) * span <= leaves.length) {
        const first = level.length * this.#n;
        level.push(this.#hash(below, first, this.#n));
      }
    }
  }

  /** Node `j` of level `l` in the tree of `size` leaves (its subtree cut at `size`). */
  #node(l: number, j: number, size: number): Uint8Array {
    const childSpan = this.#n ** (l - 1);
    // Known and whole within `size` (a node whole in a larger tree is cut in a smaller one).
    const complete = (j + 1) * this.#n ** l <= size ? this.#complete[l]?.[j] : undefined;
    if (complete !== undefined) return complete;
    if (l === 0) throw new RangeError(`leaf ${j} of ${size}`);
    const childrenBelow = Math.ceil(size / childSpan);
    const first = j * this.#n;
    const count = Math.min(this.#n, childrenBelow - first);
    const children: Uint8Array[] = [];
    for (let c = 0; c < count; c++) children.push(this.#node(l - 1, first + c, size));
    return count === 1 ? children[0]! : this.#hash(children, 0, count);
  }

  #hash(nodes: readonly Uint8Array[], first: number, count: number): Uint8Array {
    for (let c = 0; c < count; c++) this.#group.set(nodes[first + c]!, c * 32);
    const out = new Uint8Array(32);
    this.#hasher.hashGroup(this.#group, 0, count, out, 0);
    return out;
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
