import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LeanIMT, RotorTree, chunkNodesFor, toHex, verifyProof } from '@rotortree/core';
import { fsWal } from '@rotortree/wal-fs';
import { loadMmapAddon, mmapCheckpointStore } from '../src/index.js';
import { ASSUMED_BYTES_PER_CHUNK_READ, MappedResidency, procFileResidentMeter } from '../src/residency.js';
import { dirForTest, hasher, leaves } from './support/trees.js';

const addon = loadMmapAddon();
afterEach(() => {
  vi.restoreAllMocks();
});

/** A checkpointed N=4 tree of `count` leaves in a fresh directory, and the same tree in memory. */
async function checkpointed(count: number): Promise<{ dir: string; reference: LeanIMT }> {
  const dir = dirForTest();
  const flat = leaves(0, count);
  const tree = await RotorTree.open({ hasher, n: 4, maxDepth: 20, wal: fsWal({ dir }), checkpoints: mmapCheckpointStore({ dir }), flushPolicy: { kind: 'manual' } });
  tree.insertMany(flat);
  await tree.checkpoint();
  await tree.close();
  const reference = new LeanIMT({ hasher, n: 4, maxDepth: 20 });
  reference.insertMany(flat);
  return { dir, reference };
}

function rssFileKiB(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('RssFile:'));
  return line === undefined ? -1 : Number.parseInt(line.slice(8), 10);
}

describe('MappedResidency', () => {
  it('releases when the measured file-backed memory grew by the budget, measuring every 8 reads, and calls each watcher once', () => {
    let resident = 1000;
    let released = 0;
    const residency = new MappedResidency(100, () => void released++, () => resident);
    const forgets: number[] = [];
    const forget = (): void => void forgets.push(1);
    residency.watch(forget);
    residency.watch(forget);
    residency.noteChunkRead(); // baseline 1000
    for (let i = 0; i < 6; i++) {
      resident += 20;
      residency.noteChunkRead();
    }
    expect(released).toBe(0); // 7 reads: not measured yet
    residency.noteChunkRead(); // 8th: 1120 - 1000 >= 100
    expect(released).toBe(1);
    expect(forgets).toHaveLength(1);
    expect(residency.reads).toBe(0);
    resident = 1200; // the new baseline (1120) was measured at the release
    for (let i = 0; i < 16; i++) residency.noteChunkRead();
    expect(released).toBe(1);
    resident = 1220;
    for (let i = 0; i < 8; i++) residency.noteChunkRead();
    expect(released).toBe(2);
  });

  it('without a meter, assumes the fault-around window per read; without a budget, releases only when asked', () => {
    let released = 0;
    const estimated = new MappedResidency(3 * ASSUMED_BYTES_PER_CHUNK_READ, () => void released++, undefined);
    for (let i = 0; i < 9; i++) estimated.noteChunkRead();
    expect(released).toBe(3);
    const unbounded = new MappedResidency(undefined, () => void released++, () => 1e12);
    for (let i = 0; i < 100; i++) unbounded.noteChunkRead();
    expect(released).toBe(3);
    unbounded.release();
    expect(released).toBe(4);
  });

  it.skipIf(process.platform !== 'linux')('measures the file-backed resident memory of this process on Linux', () => {
    const meter = procFileResidentMeter()!;
    expect(meter()).toBeGreaterThan(1024 * 1024); // at least the node binary's pages
  });
});

describe.skipIf(addon === undefined)('resident memory of mapped segments', () => {
  it('with a budget, reads release the mapped pages, and every read and proof stays right across releases', async () => {
    const cn = chunkNodesFor(4);
    const count = cn * 40 + 123;
    const { dir, reference } = await checkpointed(count);
    const release = vi.spyOn(addon!, 'release');
    const store = mmapCheckpointStore({ dir, maxResidentBytes: 1 }); // any growth releases
    const tree = await RotorTree.open({ hasher, n: 4, maxDepth: 20, wal: fsWal({ dir }), checkpoints: store, flushPolicy: { kind: 'manual' }, tiering: { pinAboveLevel: 3 } });
    expect(store.mapped).toBe(true);
    const snap = tree.snapshot();
    const root = reference.root!;
    for (let round = 0; round < 2; round++) {
      for (let c = 0; c < 40; c++) {
        const i = c * cn + ((c * 37 + round) % cn);
        expect(toHex(snap.getNode(0, i))).toBe(toHex(reference.getNode(0, i)));
        expect(verifyProof(hasher, snap.generateProof(i), { root, size: count, n: 4 })).toBe(true);
      }
    }
    // Released along the way, and the dropped views were made (and counted) again: a second round of
    // reads of the same chunks would be invisible without that.
    expect(release.mock.calls.length).toBeGreaterThanOrEqual(2);
    for (let k = 1; k <= 2; k++) {
      for (let i = 0; i < reference.levelLength(k); i += 97) expect(toHex(snap.getNode(k, i))).toBe(toHex(reference.getNode(k, i)));
    }
    const more = leaves(count, 10);
    tree.insertMany(more);
    reference.insertMany(more);
    expect(toHex(tree.root!)).toBe(toHex(reference.root!));
    await tree.close();
  });

  it.skipIf(process.platform !== 'linux')('keeps the mapped pages a scan of the leaves makes resident near the budget', async () => {
    const count = 1 << 21; // 64 MiB of leaves
    const { dir } = await checkpointed(count);
    const scan = async (maxResidentBytes?: number): Promise<number> => {
      const store = mmapCheckpointStore({ dir, ...(maxResidentBytes === undefined ? {} : { maxResidentBytes }) });
      const tree = await RotorTree.open({ hasher, n: 4, maxDepth: 20, wal: fsWal({ dir }), checkpoints: store, flushPolicy: { kind: 'manual' }, tiering: { pinAboveLevel: 4 } });
      const snap = tree.snapshot();
      const out = new Uint8Array(32);
      const before = rssFileKiB();
      for (let i = 0; i < count; i += 128) snap.readNode(0, i, out, 0); // every 4 KiB page of the leaves
      const grown = rssFileKiB() - before;
      await tree.close();
      return grown;
    };
    const unbounded = await scan();
    const bounded = await scan(8 * 1024 * 1024);
    expect(unbounded).toBeGreaterThan(48 * 1024); // most of the 64 MiB stays mapped
    expect(bounded).toBeLessThan(24 * 1024); // the 8 MiB budget, plus what 8 reads can map between two checks
  });

  it('releaseMappedPages takes the mapped pages out of the RSS at once; nothing is released without a budget otherwise', async () => {
    const count = 1 << 19; // 16 MiB of leaves
    const { dir, reference } = await checkpointed(count);
    const release = vi.spyOn(addon!, 'release');
    const store = mmapCheckpointStore({ dir });
    const tree = await RotorTree.open({ hasher, n: 4, maxDepth: 20, wal: fsWal({ dir }), checkpoints: store, flushPolicy: { kind: 'manual' }, tiering: { pinAboveLevel: 4 } });
    const snap = tree.snapshot();
    const before = rssFileKiB();
    const out = new Uint8Array(32);
    for (let i = 0; i < count; i += 128) snap.readNode(0, i, out, 0);
    const touched = rssFileKiB();
    expect(release).not.toHaveBeenCalled();
    store.releaseMappedPages();
    const after = rssFileKiB();
    expect(release).toHaveBeenCalled();
    if (before >= 0) {
      expect(touched - before).toBeGreaterThan(12 * 1024);
      expect(touched - after).toBeGreaterThan(12 * 1024);
    }
    for (let i = 5; i < count; i += 4099) expect(toHex(snap.getNode(0, i))).toBe(toHex(reference.getNode(0, i)));
    await tree.close();
  });

  it('refuses a budget that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => mmapCheckpointStore({ dir: '/tmp/x', maxResidentBytes: bad })).toThrow(RangeError);
    }
  });
});
