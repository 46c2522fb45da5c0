import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LeanIMT } from '../src/tree/lean-imt.js';
import { chunkNodesFor } from '../src/tree/level.js';
import type { ChunkSource, TreeView } from '../src/tree/view.js';
import { RotorTreeError } from '../src/errors.js';
import { toHex } from '../src/bytes.js';
import { expectSameTree } from './support/expect-tree.js';
import { leaf, naiveView, testHasher } from './support/naive-tree.js';

const leaves = (count: number, from = 0): Uint8Array[] => Array.from({ length: count }, (_, i) => leaf(from + i + 1));

/** A stored tree: the naive view plus its settled full chunks as separate buffers (like mmap windows). */
function storedView(all: Uint8Array[], n: number): { view: TreeView & ChunkSource; chunks: Uint8Array[] } {
  const view = naiveView(all, n);
  const handed: Uint8Array[] = [];
  const settledChunks = (level: number, cn: number): Uint8Array[] => {
    let settled = all.length;
    for (let k = 0; k < level; k++) settled = Math.floor(settled / n);
    const out: Uint8Array[] = [];
    for (let c = 0; (c + 1) * cn <= settled; c++) {
      // An offset into a larger buffer, as a mapped window would be.
      const backing = new Uint8Array(cn * 32 + 64);
      const chunk = backing.subarray(64, 64 + cn * 32);
      for (let i = 0; i < cn; i++) view.readNode(level, c * cn + i, chunk, i * 32);
      out.push(chunk);
      handed.push(chunk);
    }
    return out;
  };
  return { view: { ...view, settledChunks }, chunks: handed };
}

describe('LeanIMT.restore', () => {
  it('adopts settled chunks without copying, never writes into them, and keeps growing correctly', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3, 4, 16), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 1500 }), fc.boolean(), fc.integer({ min: 0, max: 4 }), (n, size, more, batch, pin) => {
        const all = leaves(size + more);
        const { view, chunks } = storedView(all.slice(0, size), n);
        const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 16 });
        tree.restore(view, pin === 0 ? Number.POSITIVE_INFINITY : pin);
        const before = chunks.map((c) => toHex(c));
        expectSameTree(tree, all.slice(0, size), tree.n);
        if (batch) tree.insertMany(all.slice(size));
        else for (const l of all.slice(size)) tree.insert(l);
        expectSameTree(tree, all, tree.n);
        // The adopted buffers (read-only mappings in production) were never written.
        expect(chunks.map((c) => toHex(c))).toEqual(before);
      }),
      { numRuns: 15 },
    );
  });

  it('really adopts (no copy) below the pinned levels', () => {
    const n = 4;
    const cn = chunkNodesFor(n);
    const all = leaves(cn * 3 + 5);
    const { view } = storedView(all, n);
    let offered = 0;
    const counting = { ...view, settledChunks: (level: number, c: number) => { const r = view.settledChunks(level, c); offered += r.length; return r; } };
    const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 10 });
    tree.restore(counting, 1);
    expect(offered).toBe(3); // level 0 only: three full chunks of settled leaves
    expectSameTree(tree, all, tree.n);
  });

  it('rejects a non-empty tree, another n, and a view whose shape does not fit its size', () => {
    const all = leaves(40);
    const tree = new LeanIMT({ hasher: testHasher, n: 4, maxDepth: 10 });
    tree.insert(leaf(1));
    expect(() => tree.restore(naiveView(all, 4))).toThrow(RangeError);
    expect(() => new LeanIMT({ hasher: testHasher, n: 3, maxDepth: 10 }).restore(naiveView(all, 4))).toThrow(RangeError);
    const bad = { ...naiveView(all, 4), levelLength: (k: number) => (k === 1 ? 9 : naiveView(all, 4).levelLength(k)) };
    let code: string | undefined;
    try {
      new LeanIMT({ hasher: testHasher, n: 4, maxDepth: 10 }).restore(bad);
    } catch (err) {
      code = (err as RotorTreeError).code;
    }
    expect(code).toBe('CORRUPTION');
    const small = new LeanIMT({ hasher: testHasher, n: 4, maxDepth: 2 });
    try {
      small.restore(naiveView(all, 4));
    } catch (err) {
      code = (err as RotorTreeError).code;
    }
    expect(code).toBe('MAX_DEPTH_EXCEEDED');
    expect(small.size).toBe(0);
  });
});
