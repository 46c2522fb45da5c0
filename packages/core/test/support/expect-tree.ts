/** Assertions of a tree (or a view of one) against the naive model. */
import { expect } from 'vitest';
import { toHex } from '../../src/bytes.js';
import type { TreeView } from '../../src/tree/view.js';
import { naiveLevels } from './naive-tree.js';

/** `tree` has the size, depth, level lengths and every node of the naive tree over `all` (non-empty) with arity `n`. */
export function expectSameTree(tree: Pick<TreeView, 'size' | 'depth' | 'levelLength' | 'getNode'>, all: Uint8Array[], n: number): void {
  const levels = naiveLevels(all, n);
  expect(tree.size).toBe(all.length);
  expect(tree.depth).toBe(levels.length - 1);
  for (let k = 0; k < levels.length; k++) {
    expect(tree.levelLength(k)).toBe(levels[k]!.length);
    for (let i = 0; i < levels[k]!.length; i++) expect(toHex(tree.getNode(k, i))).toBe(toHex(levels[k]![i]!));
  }
}
