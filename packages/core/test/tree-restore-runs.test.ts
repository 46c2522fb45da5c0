import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LeanIMT } from '../src/tree/lean-imt.js';
import { chunkNodesFor } from '../src/tree/level.js';
import type { ChunkRun, ChunkSource, TreeView } from '../src/tree/view.js';
import { toHex } from '../src/bytes.js';
import { verifyProof } from '../src/proof/index.js';
import { expectSameTree } from './support/expect-tree.js';
import { leaf, naiveLevels, naiveView, testHasher } from './support/naive-tree.js';

const leaves = (count: number, from = 0): Uint8Array[] => Array.from({ length: count }, (_, i) => leaf(from + i + 1));

/**
 * A stored tree offering its settled whole chunks as runs (like segment extents of mapped windows):
 * split at `cuts` (chunk counts per run, cycled), each run inside a larger buffer at an offset.
 */
function runView(
  all: Uint8Array[],
  n: number,
  cuts: readonly number[],
  bulk: boolean,
): { view: TreeView & ChunkSource; runs: ChunkRun[]; latest: Map<number, ChunkRun[]> } {
  const view = naiveView(all, n);
  const handed: ChunkRun[] = [];
  const latest = new Map<number, ChunkRun[]>();
  const settledRuns = (level: number, cn: number): ChunkRun[] => {
    let settled = all.length;
    for (let k = 0; k < level; k++) settled = Math.floor(settled / n);
    const whole = Math.floor(settled / cn);
    const out: ChunkRun[] = [];
    for (let c = 0, r = 0; c < whole; r++) {
      const count = Math.min(whole - c, cuts[r % cuts.length]!);
      const backing = new Uint8Array(count * cn * 32 + 64);
      const bytes = backing.subarray(32, 32 + count * cn * 32);
      for (let i = 0; i < count * cn; i++) view.readNode(level, c * cn + i, bytes, i * 32);
      out.push({ firstChunk: c, bytes });
      c += count;
    }
    handed.push(...out);
    latest.set(level, out);
    return out;
  };
  const settledChunks = (): Uint8Array[] => {
    throw new Error('a source with runs is restored from its runs');
  };
  const readNodes = (level: number, index: number, count: number, out: Uint8Array, outOffset: number): void => {
    for (let i = 0; i < count; i++) view.readNode(level, index + i, out, outOffset + i * 32);
  };
  return { view: { ...view, settledChunks, settledRuns, ...(bulk ? { readNodes } : {}) }, runs: handed, latest };
}

describe('LeanIMT.restore from runs (lazy chunk views)', () => {
  it('reads the same tree, serves snapshots and proofs, never writes into the runs, and keeps growing correctly', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 3, 4),
        // Sizes at and around whole chunks (1024 nodes for n=2 and 4, 1026 for n=3) and random ones.
        fc.oneof(fc.constantFrom(1024, 1025, 1026, 1027, 2048, 2052, 4096, 4097, 4104), fc.integer({ min: 1, max: 6000 })),
        fc.integer({ min: 1, max: 1200 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        (n, size, more, cuts, bulk, batch, pin) => {
          const all = leaves(size + more);
          const { view, runs } = runView(all.slice(0, size), n, cuts, bulk);
          const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 16 });
          tree.restore(view, pin === 0 ? Number.POSITIVE_INFINITY : pin);
          const before = runs.map((r) => toHex(r.bytes));
          const snap = tree.snapshot();
          for (let k = 0; k <= snap.depth; k++) {
            const cn = chunkNodesFor(n);
            const list = snap.settledChunks(k, cn);
            for (let c = 0; c <= list.length; c++) expect(snap.settledChunkAt(k, cn, c)).toBe(list[c]);
            expect(snap.settledChunkAt(k, cn + 1, 0)).toBeUndefined();
          }
          if (batch) tree.insertMany(all.slice(size));
          else for (const l of all.slice(size)) tree.insert(l);
          expectSameTree(tree, all, n);
          expectSameTree(snap, all.slice(0, size), n);
          const root = snap.root!;
          for (const i of [0, size - 1, Math.floor(size / 2)]) {
            expect(verifyProof(testHasher, snap.generateProof(i), { root, size, n })).toBe(true);
          }
          // The adopted buffers (read-only mappings in production) were never written.
          expect(runs.map((r) => toHex(r.bytes))).toEqual(before);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('reads adopted chunks from the runs themselves (no copy) below the pinned levels', () => {
    const n = 4;
    const cn = chunkNodesFor(n);
    const all = leaves(cn * 5 + 7);
    const { view, latest } = runView(all, n, [2], true);
    const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 10 });
    tree.restore(view, 1);
    const runs = latest.get(0)!;
    expect(runs.length).toBe(3); // chunks 0-1, 2-3, 4
    // A byte changed in a run shows through: the tree reads the run, not a copy.
    const run1 = runs[1]!.bytes;
    run1[(cn + 3) * 32] = run1[(cn + 3) * 32]! ^ 0xff;
    const changed = tree.getNode(0, 2 * cn + cn + 3);
    expect(changed[0]).toBe(all[2 * cn + cn + 3]![0]! ^ 0xff);
    // Pinned level 1 was copied.
    expect(toHex(tree.getNode(1, 0))).toBe(toHex(naiveLevels(all, n)[1]![0]!));
  });

  it('a snapshot over runs whose buffer is gone (a closed store) reports CLOSED', () => {
    const n = 4;
    const cn = chunkNodesFor(n);
    const all = leaves(cn * 2 + 3);
    const backing = new ArrayBuffer(cn * 2 * 32);
    const bytes = new Uint8Array(backing);
    const base = naiveView(all, n);
    for (let i = 0; i < cn * 2; i++) base.readNode(0, i, bytes, i * 32);
    const source = { ...base, settledChunks: () => [], settledRuns: (level: number) => (level === 0 ? [{ firstChunk: 0, bytes }] : []) };
    const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 10 });
    tree.restore(source, 1);
    const snap = tree.snapshot();
    expect(toHex(snap.getNode(0, 1))).toBe(toHex(all[1]!)); // chunk 0 made
    structuredClone(backing, { transfer: [backing] }); // detaches, as unmap does
    for (const index of [1, cn + 1]) {
      expect(() => snap.getNode(0, index)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    }
  });
});

describe('LeanIMT.adoptSettled from runs', () => {
  it('reads settled chunks from the runs afterwards, the rest stays in memory and keeps growing', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 4), fc.integer({ min: 1, max: 6000 }), fc.integer({ min: 1, max: 900 }), fc.integer({ min: 1, max: 3 }), (n, size, more, pin) => {
        const all = leaves(size + more);
        const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 16 });
        tree.insertMany(all.slice(0, size));
        const { view, latest } = runView(all.slice(0, size), n, [3, 1], false);
        const early = tree.snapshot();
        tree.adoptSettled(view, pin);
        tree.adoptSettled(view, pin); // again: nothing changes
        expectSameTree(tree, all.slice(0, size), n);
        expectSameTree(early, all.slice(0, size), n);
        tree.insertMany(all.slice(size));
        expectSameTree(tree, all, n);
        // Level 0 runs (if any) now back the tree: a changed byte shows through.
        const first = latest.get(0)?.[0];
        if (first !== undefined) {
          const saved = first.bytes[0]!;
          first.bytes[0] = saved ^ 0xff;
          expect(tree.getNode(0, 0)[0]).toBe(saved ^ 0xff);
          first.bytes[0] = saved;
        }
      }),
      { numRuns: 10 },
    );
  });
});
