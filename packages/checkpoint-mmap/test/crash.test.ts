/**
 * Crash safety on core's fault-injecting file system: a power loss at every operation of a
 * checkpoint write (and of a recovery's cleanup), in every crash mode, leaves either the previous
 * or the new checkpoint, whole.
 */
import { describe, expect, it } from 'vitest';
import type { LeanIMT } from '@rotortree/core';
import { RotorTreeError } from '@rotortree/core';
import type { CrashMode, FaultyFileSystem } from '@rotortree/core/fs';
import { CRASH_MODES, faultyFileSystem } from '@rotortree/core/fs';
import { mmapCheckpointStore } from '../src/index.js';
import type { MmapCheckpointStore } from '../src/index.js';
import { chunkNodesFor } from '@rotortree/core';
import { configFor, expectSameTree, growTo, treeOf } from './support/trees.js';

const DIR = '/data/ckpt';

function storeOn(fs: FaultyFileSystem, n: number): MmapCheckpointStore {
  // Small segments: a write creates several files, so crashes land between them too.
  return mmapCheckpointStore({ dir: DIR, fs, maxSegmentBytes: chunkNodesFor(n) * 32 * 2 });
}

/** Opens the store after a crash and checks it holds exactly one of `allowed` (by seq), whole. */
async function expectOneOf(fs: FaultyFileSystem, n: number, allowed: ReadonlyMap<number, LeanIMT>): Promise<number> {
  const s = storeOn(fs, n);
  try {
    const got = await s.open(configFor(n));
    expect(got).toBeDefined();
    const tree = allowed.get(got!.seq);
    expect(tree, `recovered seq ${got!.seq}`).toBeDefined();
    expectSameTree(got!.view, tree!);
    return got!.seq;
  } finally {
    await s.close();
  }
}

/** State: checkpoint 1 of `sizeA` leaves published. Returns the fs and op count. */
async function withFirstCheckpoint(n: number, sizeA: number | LeanIMT, seed: number): Promise<{ fs: FaultyFileSystem; tree: LeanIMT }> {
  const fs = faultyFileSystem({ seed });
  const tree = typeof sizeA === 'number' ? treeOf(n, sizeA) : sizeA;
  const s = storeOn(fs, n);
  await s.open(configFor(n));
  await s.write(tree.snapshot(), 1);
  await s.close();
  return { fs, tree };
}

describe('crash at every operation of a checkpoint write', () => {
  const cases: Array<[n: number, a: number, b: number]> = [
    [2, 255, 256],
    [2, 2047, 4100],
    [4, 1023, 5000],
    [3, 2000, 2100],
  ];
  for (const [n, sizeA, sizeB] of cases) {
    it(`n=${n}: ${sizeA} -> ${sizeB} leaves, every op index x every crash mode`, async () => {
      const treeA = treeOf(n, sizeA);
      const treeB = treeOf(n, sizeB);
      const allowed = new Map([
        [1, treeA],
        [2, treeB],
      ]);
      // Count the operations of the second write.
      const probe = await withFirstCheckpoint(n, sizeA, 1);
      const s0 = storeOn(probe.fs, n);
      await s0.open(configFor(n));
      const start = probe.fs.opCount;
      await s0.write(treeB.snapshot(), 2);
      const ops = probe.fs.opCount - start;
      await s0.close();
      expect(ops).toBeGreaterThanOrEqual(7);

      const treeC = treeOf(n, sizeB + 77);
      const seen = new Set<number>();
      // reorder keeps a random subset of the unsynced operations: try several per crash point.
      const runs = CRASH_MODES.flatMap((mode) => Array.from({ length: mode === 'reorder' ? 4 : 1 }, (_, r) => ({ mode, r })));
      for (let i = 0; i <= ops; i++) {
        for (const { mode, r } of runs) {
          const seed = 1000 * i + 10 * CRASH_MODES.indexOf(mode) + r;
          const { fs } = await withFirstCheckpoint(n, treeA, seed);
          const s = storeOn(fs, n);
          await s.open(configFor(n));
          fs.setCrashAfterOp(fs.opCount + i);
          const wrote = await s.write(treeB.snapshot(), 2).then(
            () => true,
            (err: unknown) => {
              expect((err as RotorTreeError).code).toBe('IO');
              return false;
            },
          );
          await s.close();
          fs.crash(mode);
          const seq = await expectOneOf(fs, n, allowed);
          seen.add(seq);
          // A write that resolved is durable.
          if (wrote) expect(seq).toBe(2);
          // The recovered store keeps working: grow, write, reopen (sampled: one run per point and mode).
          if (r > 0) continue;
          const s2 = storeOn(fs, n);
          await s2.open(configFor(n));
          await s2.write(treeC.snapshot(), 3);
          await s2.close();
          fs.crash('dropAll');
          await expectOneOf(fs, n, new Map([[3, treeC]]));
        }
      }
      expect([...seen].sort()).toEqual([1, 2]);
    });
  }
});

describe('crash during recovery and its cleanup', () => {
  it('leftovers of an unpublished write; crash at every op of the next open, every mode', async () => {
    const n = 4;
    const treeA = treeOf(n, 3000);
    const treeB = treeOf(n, 9000);
    const allowed = new Map([
      [1, treeA],
      [2, treeB],
    ]);
    const modes: CrashMode[] = [...CRASH_MODES];
    for (const mode of modes) {
      for (let i = 0; i < 40; i++) {
        const { fs } = await withFirstCheckpoint(n, treeA, 31 + i);
        // A write that dies just before its rename: segments and MANIFEST.tmp are durable leftovers.
        const s = storeOn(fs, n);
        await s.open(configFor(n));
        fs.failAt({ op: 'rename', nth: 1, code: 'EIO' });
        await expect(s.write(treeB.snapshot(), 2)).rejects.toMatchObject({ code: 'IO' });
        await s.close();
        fs.crash('dropAll');
        const leftovers = (await fs.readdir(DIR)).filter((f) => f !== 'MANIFEST');
        expect(leftovers.length).toBeGreaterThan(1);
        // Recovery (with its cleanup) dies at op i.
        const r = storeOn(fs, n);
        fs.setCrashAfterOp(fs.opCount + i);
        const opened = await r.open(configFor(n)).then(
          () => true,
          () => false,
        );
        await r.close();
        fs.crash(mode);
        expect(await expectOneOf(fs, n, allowed)).toBe(1);
        if (opened) {
          // Every earlier crash point failed the open: the unlinks of the cleanup were among them.
          expect(i).toBeGreaterThan(8 + leftovers.length);
          break;
        }
        expect(i).toBeLessThan(39);
      }
      // A clean open removes every leftover.
      const { fs } = await withFirstCheckpoint(n, 3000, 5);
      const published = (await fs.readdir(DIR)).filter((f) => f.startsWith('seg-'));
      const s = storeOn(fs, n);
      await s.open(configFor(n));
      fs.failAt({ op: 'rename', nth: 1, code: 'EIO' });
      await expect(s.write(treeB.snapshot(), 2)).rejects.toMatchObject({ code: 'IO' });
      await s.close();
      await expectOneOf(fs, n, allowed);
      const names = await fs.readdir(DIR);
      expect(names.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(names.filter((f) => f.startsWith('seg-'))).toEqual(published);
    }
  });
});

describe('failed writes without a crash', () => {
  for (const rule of [
    { op: 'datasync', nth: 1 },
    { op: 'datasync', nth: 3 },
    { op: 'write', nth: 2 },
    { op: 'open', nth: 2 },
    { op: 'rename', nth: 1 },
    { op: 'fsyncDir', nth: 1 },
    { op: 'fsyncDir', nth: 2 },
  ] as const) {
    it(`${rule.op} #${rule.nth} fails: the write rejects with IO, the next one works`, async () => {
      const n = 2;
      const { fs } = await withFirstCheckpoint(n, 700, 3);
      const s = storeOn(fs, n);
      await s.open(configFor(n));
      fs.failAt({ ...rule, code: 'EIO' });
      await expect(s.write(treeOf(n, 5000).snapshot(), 2)).rejects.toMatchObject({ code: 'IO' });
      const treeC = treeOf(n, 6001);
      await s.write(treeC.snapshot(), 3);
      expectSameTree((await s.latest())!.view, treeC);
      await s.close();
      fs.crash('dropAll');
      await expectOneOf(fs, n, new Map([[3, treeC]]));
      // Only what the manifest names is left.
      const names = await fs.readdir(DIR);
      expect(names.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  }

  it('rename done but its directory fsync failed: crash then gives old or new, whole', async () => {
    const n = 2;
    for (const mode of CRASH_MODES) {
      const { fs, tree } = await withFirstCheckpoint(n, 700, 11);
      const treeB = treeOf(n, 2222);
      const s = storeOn(fs, n);
      await s.open(configFor(n));
      fs.failAt({ op: 'fsyncDir', nth: 2, code: 'EIO' });
      await expect(s.write(treeB.snapshot(), 2)).rejects.toMatchObject({ code: 'IO' });
      await s.close();
      fs.crash(mode);
      await expectOneOf(fs, n, new Map([[1, tree], [2, treeB]]));
    }
  });

  it('a shrinking checkpoint is refused', async () => {
    const n = 2;
    const { fs } = await withFirstCheckpoint(n, 700, 3);
    const s = storeOn(fs, n);
    await s.open(configFor(n));
    await expect(s.write(treeOf(n, 699).snapshot(), 5)).rejects.toBeInstanceOf(RangeError);
    await expect(s.write(treeOf(n, 800).snapshot(), 0)).rejects.toBeInstanceOf(RangeError);
    const t = treeOf(n, 700);
    growTo(t, 800);
    await s.write(t.snapshot(), 2);
    await s.close();
  });
});
