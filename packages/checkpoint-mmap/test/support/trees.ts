/**
 * Test trees and comparisons: deterministic leaves, a reference tree rebuilt from scratch, and a
 * node-by-node comparison of two views.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TreeView } from '@rotortree/core';
import { LeanIMT, NODE_SIZE, toHex } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { afterEach, expect } from 'vitest';

export const hasher = blake3();
export const MAX_DEPTH = 32;

/** Leaves `from .. from + count - 1` of the test sequence, as one flat buffer (leaf i = bytes of i, mixed). */
export function leaves(from: number, count: number): Uint8Array {
  const out = new Uint8Array(count * NODE_SIZE);
  const view = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const x = from + i;
    for (let w = 0; w < 8; w++) view.setUint32(i * NODE_SIZE + w * 4, Math.imul(x + 1, 0x9e3779b1) ^ Math.imul(w + 1, 0x85ebca77) ^ (x >>> 3), true);
  }
  return out;
}

/** A tree of the first `size` test leaves, inserted in `batches` batches (growth order does not change nodes). */
export function treeOf(n: number, size: number, maxDepth = MAX_DEPTH): LeanIMT {
  const tree = new LeanIMT({ hasher, n, maxDepth });
  if (size > 0) tree.insertMany(leaves(0, size));
  return tree;
}

/** Grows `tree` to `size` leaves. */
export function growTo(tree: LeanIMT, size: number): void {
  if (size > tree.size) tree.insertMany(leaves(tree.size, size - tree.size));
}

/** Asserts every node of every level of `actual` equals `expected`'s (the message names the first bad node). */
export function expectSameTree(actual: TreeView, expected: TreeView): void {
  expect(actual.size).toBe(expected.size);
  expect(actual.depth).toBe(expected.depth);
  expect(actual.n).toBe(expected.n);
  for (let k = 0; k <= expected.depth + 1; k++) {
    const len = expected.levelLength(k);
    expect(actual.levelLength(k)).toBe(len);
    const a = new Uint8Array(len * NODE_SIZE);
    const b = new Uint8Array(len * NODE_SIZE);
    for (let i = 0; i < len; i++) {
      actual.readNode(k, i, a, i * NODE_SIZE);
      expected.readNode(k, i, b, i * NODE_SIZE);
    }
    if (Buffer.compare(a, b) !== 0) {
      let i = 0;
      while (Buffer.compare(a.subarray(i * NODE_SIZE, (i + 1) * NODE_SIZE), b.subarray(i * NODE_SIZE, (i + 1) * NODE_SIZE)) === 0) i++;
      const hex = (x: Uint8Array): string => toHex(x.subarray(i * NODE_SIZE, (i + 1) * NODE_SIZE));
      expect(`level ${k} node ${i}: ${hex(a)}`).toBe(`level ${k} node ${i}: ${hex(b)}`);
    }
  }
  const ra = actual.root;
  const rb = expected.root;
  expect(ra === undefined ? undefined : toHex(ra)).toBe(rb === undefined ? undefined : toHex(rb));
}

/** A fresh temp directory, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rt-ckpt-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

/** A fresh temp directory, removed after the current test. */
export function dirForTest(): string {
  const t = tempDir();
  cleanups.push(t.remove);
  return t.dir;
}

/** The identity of every tree these tests write. */
export const TREE_ID = '7c'.repeat(16);

/** The config matching {@link treeOf}. */
export function configFor(n: number, maxDepth = MAX_DEPTH): { n: number; maxDepth: number; hasherId: string; treeId: string } {
  return { n, maxDepth, hasherId: hasher.id, treeId: TREE_ID };
}
