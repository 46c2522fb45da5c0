import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeanIMT } from '@rotortree/core';
import { mmapCheckpointStore } from '../src/index.js';
import { chunkNodesFor } from '@rotortree/core';
import { configFor, dirForTest, expectSameTree, growTo, hasher, leaves, treeOf } from './support/trees.js';


/** Writes `tree` as a checkpoint in a fresh store, reopens it and compares every node. */
async function roundTrip(n: number, size: number, mmap: 'auto' | 'off' = 'auto'): Promise<void> {
  const dir = dirForTest();
  const tree = treeOf(n, size);
  const w = mmapCheckpointStore({ dir, mmap });
  expect(await w.open(configFor(n))).toBeUndefined();
  await w.write(tree.snapshot(), size);
  await w.close();
  const r = mmapCheckpointStore({ dir, mmap, verify: true });
  const got = await r.open(configFor(n));
  expect(got?.seq).toBe(size);
  expectSameTree(got!.view, tree);
  await r.close();
}

describe('write then open gives back every node', () => {
  for (const n of [2, 3, 4, 16]) {
    const cn = chunkNodesFor(n);
    const sizes = [0, 1, 2, n, n + 1, cn - 1, cn, cn + 1, 2 * cn, n * cn + 3];
    it(`n=${n}: sizes around chunk boundaries`, async () => {
      for (const size of sizes) await roundTrip(n, size);
    });
  }

  it('random sizes and n (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(2, 3, 4, 5, 16), fc.integer({ min: 0, max: 6000 }), async (n, size) => roundTrip(n, size)),
      { numRuns: 25 },
    );
  });

  it('the same with mmap off', async () => {
    await roundTrip(4, 5000, 'off');
    await roundTrip(3, 3079, 'off');
  });
});

describe('successive checkpoints of a growing tree', () => {
  it('each reopen equals the tree at that size (random growth, several n)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(2, 3, 4, 16),
        fc.array(fc.integer({ min: 0, max: 2500 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        async (n, steps, segChunks) => {
          const dir = dirForTest();
          const tree = new LeanIMT({ hasher, n, maxDepth: 32 });
          const maxSegmentBytes = segChunks * chunkNodesFor(n) * 32;
          let seq = 0;
          for (const step of steps) {
            growTo(tree, tree.size + step);
            seq += 1;
            const s = mmapCheckpointStore({ dir, maxSegmentBytes });
            const before = await s.open(configFor(n));
            if (seq > 1) expect(before?.seq).toBe(seq - 1);
            await s.write(tree.snapshot(), seq);
            await s.close();
          }
          const r = mmapCheckpointStore({ dir, verify: true });
          const got = await r.open(configFor(n));
          expect(got?.seq).toBe(seq);
          expectSameTree(got!.view, treeOf(n, tree.size));
          await r.close();
        },
      ),
      { numRuns: 15 },
    );
  });

  it('several writes through one open store, then latest() and a reopen', async () => {
    const dir = dirForTest();
    const n = 4;
    const tree = treeOf(n, 10);
    const s = mmapCheckpointStore({ dir });
    await s.open(configFor(n));
    for (const size of [10, 1023, 1024, 1025, 4096, 5000]) {
      growTo(tree, size);
      await s.write(tree.snapshot(), size);
      const latest = await s.latest();
      expectSameTree(latest!.view, tree);
    }
    await s.close();
    const r = mmapCheckpointStore({ dir });
    expectSameTree((await r.open(configFor(n)))!.view, tree);
    await r.close();
  });
});

describe('the rotortree 0.19 hole: upper-level nodes that change after a checkpoint', () => {
  async function checkpointsAt(n: number, sizes: readonly number[]): Promise<void> {
    const dir = dirForTest();
    const tree = new LeanIMT({ hasher, n, maxDepth: 32 });
    for (const size of sizes) {
      growTo(tree, size);
      const s = mmapCheckpointStore({ dir });
      await s.open(configFor(n));
      await s.write(tree.snapshot(), size);
      await s.close();
    }
    const r = mmapCheckpointStore({ dir });
    const got = await r.open(configFor(n));
    // Rebuilt from scratch in one batch: shares nothing with the tree that was checkpointed.
    const fresh = new LeanIMT({ hasher, n, maxDepth: 32 });
    fresh.insertMany(leaves(0, tree.size));
    expectSameTree(got!.view, fresh);
    await r.close();
  }

  it('n=2: insert 255, checkpoint, insert 1, checkpoint, reopen', async () => {
    await checkpointsAt(2, [255, 256]);
  });

  it('n=4 around 127/128/129 and 1023/1024/1025', async () => {
    for (const a of [127, 128, 129, 1023, 1024, 1025]) {
      for (const b of [a + 1, a + 2, a + 129, 2049]) await checkpointsAt(4, [a, b]);
    }
  });

  // Segments hold whole chunks (1024 nodes at n=2 and n=4): the analog of the Rust repro is a level
  // whose chunk fills up while its last node is still unsettled (a lifted or partial group).
  it('n=2 and n=4: a chunk of an upper level fills while its last node can still change', async () => {
    await checkpointsAt(2, [2047, 2048]);
    await checkpointsAt(2, [2047, 2049]);
    await checkpointsAt(2, [4095, 4096]);
    await checkpointsAt(2, [4093, 4094, 4095, 4097]);
    await checkpointsAt(4, [4095, 4096]);
    await checkpointsAt(4, [4093, 4100]);
    await checkpointsAt(4, [16383, 16384]);
    await checkpointsAt(4, [16381, 16383, 16385]);
  });

  it('randomized checkpoint sizes near chunk boundaries of every level (property)', async () => {
    const near = fc
      .record({ n: fc.constantFrom(2, 4), level: fc.integer({ min: 0, max: 2 }), m: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: -3, max: 3 }) })
      .map(({ n, level, m, d }) => ({ n, size: Math.max(1, m * chunkNodesFor(n) * n ** level + d) }));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(2, 4), fc.array(near, { minLength: 2, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 3 }), async (n, points, deltas) => {
        const sizes = [...new Set([...points.filter((p) => p.n === n).map((p) => p.size), ...deltas])].sort((a, b) => a - b);
        if (sizes.length < 2) return;
        await checkpointsAt(n, sizes);
      }),
      { numRuns: 12 },
    );
  });
});
