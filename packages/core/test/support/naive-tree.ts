/**
 * A small, obviously correct model of the lean n-ary tree, kept in the tests only:
 * every level rebuilt from scratch as arrays of nodes. Slow on purpose.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import type { Hasher } from '../../src/hasher.js';
import { hasherFromGroupFunction } from '../../src/hasher.js';
import type { TreeView } from '../../src/tree/view.js';
import { RotorTreeError } from '../../src/errors.js';

/** parent = BLAKE3(children concatenated), one group at a time. */
export function hashChildren(children: readonly Uint8Array[]): Uint8Array {
  const buf = new Uint8Array(children.length * 32);
  children.forEach((c, i) => buf.set(c, i * 32));
  return blake3(buf);
}

/** A plain BLAKE3 hasher for tests, independent of @rotortree/hasher-blake3. */
export const testHasher: Hasher = hasherFromGroupFunction('blake3', (input, inOffset, count, out, outOffset) => {
  out.set(blake3(input.subarray(inOffset, inOffset + count * 32)), outOffset);
});

/** All levels of the tree over `leaves`: levels[0] = leaves, last level = [root]. */
export function naiveLevels(leaves: readonly Uint8Array[], n: number): Uint8Array[][] {
  const levels: Uint8Array[][] = [leaves.slice()];
  let cur = leaves.slice();
  while (cur.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < cur.length; i += n) {
      const group = cur.slice(i, i + n);
      next.push(group.length === 1 ? group[0]! : hashChildren(group));
    }
    levels.push(next);
    cur = next;
  }
  return levels;
}

/** The naive root, or undefined for no leaves. */
export function naiveRoot(leaves: readonly Uint8Array[], n: number): Uint8Array | undefined {
  if (leaves.length === 0) return undefined;
  const levels = naiveLevels(leaves, n);
  return levels[levels.length - 1]![0];
}

/** A TreeView over the naive levels (for testing proofs independently of the arena tree). */
export function naiveView(leaves: readonly Uint8Array[], n: number, maxDepth = 32): TreeView {
  const levels = leaves.length === 0 ? [] : naiveLevels(leaves, n);
  const depth = Math.max(0, levels.length - 1);
  const node = (level: number, index: number): Uint8Array => {
    const v = levels[level]?.[index];
    if (v === undefined) throw new RotorTreeError('INDEX_OUT_OF_RANGE', `node ${level}/${index}`);
    return v;
  };
  return {
    n,
    maxDepth,
    size: leaves.length,
    depth,
    root: leaves.length === 0 ? undefined : node(depth, 0).slice(),
    levelLength: (level) => levels[level]?.length ?? 0,
    readNode: (level, index, out, outOffset) => out.set(node(level, index), outOffset),
    getNode: (level, index) => node(level, index).slice(),
  };
}

/** Deterministic leaf i: u32 LE (i) in the first 4 bytes, rest zero (the Rust crate's test_util::leaf). */
export function leaf(i: number): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(0, i, true);
  return out;
}

const leavesCache = new Map<number, Uint8Array[]>();
/** leaf(0) .. leaf(size - 1), built once per size. */
export function cachedLeaves(size: number): Uint8Array[] {
  let leaves = leavesCache.get(size);
  if (leaves === undefined) leavesCache.set(size, (leaves = Array.from({ length: size }, (_, i) => leaf(i))));
  return leaves;
}

const viewCache = new Map<string, TreeView>();
/** The naive view of `cachedLeaves(size)` with branching factor n, built once per (n, size). */
export function cachedView(n: number, size: number): TreeView {
  const key = `${n}/${size}`;
  let view = viewCache.get(key);
  if (view === undefined) viewCache.set(key, (view = naiveView(cachedLeaves(size), n)));
  return view;
}

/** Every leaf of `view`, in order. */
export function leavesOfView(view: TreeView): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < view.size; i++) out.push(view.getNode(0, i));
  return out;
}
