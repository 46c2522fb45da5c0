/**
 * Test trees: deterministic leaves, trees built from them, tree identities, and a level-by-level
 * comparison of two views.
 */
import type { TreeView } from '@rotortree/core';
import { LeanIMT, NODE_SIZE } from '@rotortree/core';
import type { TreeIdentity } from '@rotortree/core/backend';
import { newTreeId } from '@rotortree/core/backend';
import { blake3 } from '@rotortree/hasher-blake3';
import { expect } from 'vitest';

export const hasher = blake3();
export const MAX_DEPTH = 32;

/** Leaves `from .. from + count - 1` (leaf i: 8 words mixing i), one flat buffer. */
export function leaves(from: number, count: number): Uint8Array {
  const out = new Uint8Array(count * NODE_SIZE);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) for (let w = 0; w < 8; w++) words[i * 8 + w] = Math.imul(from + i + 1, 0x2545f491) ^ Math.imul(w + 7, 0x9e3779b9);
  return out;
}

export function treeOf(n: number, size: number): LeanIMT {
  const tree = new LeanIMT({ hasher, n, maxDepth: MAX_DEPTH });
  if (size > 0) tree.insertMany(leaves(0, size));
  return tree;
}

export function growTo(tree: LeanIMT, size: number): void {
  if (size > tree.size) tree.insertMany(leaves(tree.size, size - tree.size));
}

/** A fresh tree identity for `n`. */
export function identity(n: number, treeId = newTreeId()): TreeIdentity {
  return { n, maxDepth: MAX_DEPTH, hasherId: hasher.id, treeId };
}

/** Every level of `actual` equals `expected`'s (bulk reads, one comparison per level). */
export function expectSameTree(actual: TreeView, expected: TreeView): void {
  expect([actual.n, actual.size, actual.depth]).toEqual([expected.n, expected.size, expected.depth]);
  for (let k = 0; k <= expected.depth; k++) {
    const len = expected.levelLength(k);
    expect(actual.levelLength(k), `level ${k} length`).toBe(len);
    const a = new Uint8Array(len * NODE_SIZE);
    const b = new Uint8Array(len * NODE_SIZE);
    for (let i = 0; i < len; i++) {
      actual.readNode(k, i, a, i * NODE_SIZE);
      expected.readNode(k, i, b, i * NODE_SIZE);
    }
    expect(Buffer.compare(a, b), `level ${k} differs`).toBe(0);
  }
  expect(actual.root).toEqual(expected.root);
}
