import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RotorTree } from '../src/engine/rotor-tree.js';
import type { CheckpointPolicy } from '../src/engine/options.js';
import { settledLength } from '../src/persistence/checkpoint-store.js';
import { MemoryDisk } from '../src/persistence/memory/memory-disk.js';
import { memoryCheckpointStore } from '../src/persistence/memory/memory-checkpoint-store.js';
import { memoryWal } from '../src/persistence/memory/memory-wal.js';
import { RotorTreeError } from '../src/errors.js';
import { leaf, leavesOfView, naiveLevels, naiveRoot, testHasher } from './support/naive-tree.js';
import { rejectionCode } from './support/outcomes.js';

function open(disk: MemoryDisk, n: number, checkpointPolicy: CheckpointPolicy = { kind: 'manual' }, verifyCheckpoint = false) {
  return RotorTree.open({
    hasher: testHasher,
    n,
    maxDepth: 16,
    wal: memoryWal({ disk }),
    checkpoints: memoryCheckpointStore({ disk }),
    flushPolicy: { kind: 'manual' },
    checkpointPolicy,
    verifyCheckpoint,
  });
}

describe('settledLength', () => {
  it('counts the nodes whose subtree is full', () => {
    expect(settledLength(10, 2, 0)).toBe(10);
    expect(settledLength(10, 2, 1)).toBe(5);
    expect(settledLength(10, 2, 2)).toBe(2);
    expect(settledLength(10, 2, 3)).toBe(1);
    expect(settledLength(10, 2, 4)).toBe(0);
    expect(settledLength(9, 3, 2)).toBe(1);
  });
});

describe('RotorTree: checkpoints', () => {
  it('checkpoint + later inserts + reopen: the checkpoint is loaded, only the delta is replayed', async () => {
    const disk = new MemoryDisk();
    const tree = await open(disk, 3);
    for (let i = 0; i < 10; i++) tree.insert(leaf(i));
    await tree.checkpoint();
    expect(tree.checkpointSeq).toBe(10);
    // The WAL was truncated up to the checkpoint.
    expect(disk.durableWalSeqs()).toEqual([]);
    tree.insertMany([leaf(10), leaf(11), leaf(12)]);
    tree.insert(leaf(13));
    const root = tree.root;
    await tree.close();
    expect(disk.durableWalSeqs()).toEqual([11, 12]);
    const again = await open(disk, 3, { kind: 'manual' }, true);
    expect(again.recovery).toMatchObject({ checkpointSeq: 10, checkpointLeaves: 10, replayedRecords: 2, replayedLeaves: 4, lastSeq: 12 });
    expect(again.root).toEqual(root);
    const expected = Array.from({ length: 14 }, (_, i) => leaf(i));
    expect(again.root).toEqual(naiveRoot(expected, 3));
    expect(leavesOfView(again.snapshot())).toEqual(expected);
    expect(again.insert(leaf(14)).token.seq).toBe(13);
    await again.close();
  });

  it('repeated checkpoints at awkward sizes keep every level right (no stale unsettled nodes)', async () => {
    // rotortree 0.19's defect: N=2, 255 leaves, checkpoint, 1 more, checkpoint.
    const disk = new MemoryDisk();
    const tree = await open(disk, 2);
    const batch = Array.from({ length: 255 }, (_, i) => leaf(i));
    tree.insertMany(batch);
    await tree.checkpoint();
    tree.insert(leaf(255));
    await tree.checkpoint();
    tree.insert(leaf(256));
    await tree.checkpoint();
    await tree.close();
    const again = await open(disk, 2, { kind: 'manual' }, true);
    expect(again.recovery.replayedRecords).toBe(0);
    const leaves = Array.from({ length: 257 }, (_, i) => leaf(i));
    const levels = naiveLevels(leaves, 2);
    const view = again.snapshot();
    for (let k = 0; k < levels.length; k++) {
      for (let i = 0; i < levels[k]!.length; i++) expect(view.getNode(k, i)).toEqual(levels[k]![i]);
    }
    await again.close();
  });

  it('fast-check: any sequence of inserts and checkpoints reopens to the naive levels', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 30 }), fc.constant(0)), { maxLength: 12 }),
        async (n, steps) => {
          const disk = new MemoryDisk();
          let tree = await open(disk, n);
          let size = 0;
          for (const step of steps) {
            if (step === 0) {
              await tree.checkpoint();
            } else if (step === 1) {
              tree.insert(leaf(size++));
            } else {
              tree.insertMany(Array.from({ length: step }, (_, j) => leaf(size + j)));
              size += step;
            }
            if (step % 7 === 3) {
              await tree.close();
              tree = await open(disk, n, { kind: 'manual' }, true);
            }
          }
          await tree.close();
          const again = await open(disk, n, { kind: 'manual' }, true);
          const leaves = Array.from({ length: size }, (_, i) => leaf(i));
          expect(again.size).toBe(size);
          expect(again.root).toEqual(naiveRoot(leaves, n));
          await again.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a failed store write keeps the previous checkpoint and the whole WAL', async () => {
    const disk = new MemoryDisk();
    const store = memoryCheckpointStore({ disk });
    const tree = await RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 16, wal: memoryWal({ disk }), checkpoints: store, flushPolicy: { kind: 'manual' } });
    tree.insert(leaf(0));
    await tree.checkpoint();
    tree.insert(leaf(1));
    tree.insert(leaf(2));
    store.failNextWrite();
    expect(await rejectionCode(tree.checkpoint())).toBe('IO');
    expect(tree.lastCheckpointError).toBeInstanceOf(RotorTreeError);
    expect(tree.checkpointSeq).toBe(1);
    expect(tree.poisoned).toBe(false);
    expect(disk.durableWalSeqs()).toEqual([2, 3]);
    tree.insert(leaf(3));
    await tree.close();
    const again = await open(disk, 2, { kind: 'manual' }, true);
    expect(again.recovery).toMatchObject({ checkpointSeq: 1, replayedRecords: 3 });
    expect(leavesOfView(again.snapshot())).toEqual([leaf(0), leaf(1), leaf(2), leaf(3)]);
    // The next checkpoint works and drops the leftovers of the failed one.
    await again.checkpoint();
    expect(again.lastCheckpointError).toBeUndefined();
    await again.close();
    const third = await open(disk, 2, { kind: 'manual' }, true);
    expect(third.recovery).toMatchObject({ checkpointSeq: 4, replayedRecords: 0 });
    expect(third.root).toEqual(naiveRoot([leaf(0), leaf(1), leaf(2), leaf(3)], 2));
    await third.close();
  });

  it('a crash at any step of a checkpoint leaves a recoverable state', async () => {
    for (let turns = 0; turns < 20; turns++) {
      const disk = new MemoryDisk();
      const tree = await open(disk, 2);
      tree.insertMany(Array.from({ length: 5 }, (_, i) => leaf(i)));
      await tree.checkpoint();
      tree.insertMany(Array.from({ length: 6 }, (_, i) => leaf(5 + i)));
      await tree.flush();
      const running = tree.checkpoint().catch(() => undefined);
      tree.insert(leaf(11)); // not durable: may be lost
      for (let i = 0; i < turns; i++) await Promise.resolve();
      disk.crash();
      await running;
      const again = await open(disk, 2, { kind: 'manual' }, true);
      const size = again.size;
      expect(size === 11 || size === 12).toBe(true);
      expect(again.root).toEqual(naiveRoot(Array.from({ length: size }, (_, i) => leaf(i)), 2));
      await again.close();
    }
  });

  it('a damaged stored level is CORRUPTION with verifyCheckpoint, and a damaged root without it', async () => {
    const disk = new MemoryDisk();
    const tree = await open(disk, 2);
    tree.insertMany(Array.from({ length: 8 }, (_, i) => leaf(i)));
    await tree.checkpoint();
    await tree.close();
    // Flip a byte of a settled inner node (level 1, node 0): the root is unaffected in storage.
    disk.checkpointSegments[1]![0]![0]! ^= 1;
    expect(await rejectionCode(open(disk, 2, { kind: 'manual' }, true))).toBe('CORRUPTION');
    // Without verification only the spine (each level's last node, the root) is rehashed: this damage is not caught at open...
    const lax = await open(disk, 2);
    await lax.close();
    // ...but damage to the stored root is.
    disk.checkpointSegments[1]![0]![0]! ^= 1;
    disk.checkpointSegments[3]![0]![5]! ^= 1;
    expect(await rejectionCode(open(disk, 2))).toBe('CORRUPTION');
  });

  it('a missing segment is CORRUPTION, not an empty tree', async () => {
    const disk = new MemoryDisk();
    const tree = await open(disk, 2);
    tree.insertMany(Array.from({ length: 8 }, (_, i) => leaf(i)));
    await tree.checkpoint();
    await tree.close();
    disk.checkpointSegments[0] = [];
    expect(await rejectionCode(open(disk, 2))).toBe('CORRUPTION');
  });

  it('inserts continue while a checkpoint is written; the WAL keeps the newer records', async () => {
    const disk = new MemoryDisk();
    const tree = await open(disk, 2);
    tree.insertMany(Array.from({ length: 4 }, (_, i) => leaf(i)));
    const cp = tree.checkpoint();
    tree.insert(leaf(4));
    tree.insert(leaf(5));
    await cp;
    expect(tree.checkpointSeq).toBe(1);
    await tree.flush();
    expect(disk.durableWalSeqs()).toEqual([2, 3]);
    await tree.close();
    const again = await open(disk, 2, { kind: 'manual' }, true);
    expect(again.recovery).toMatchObject({ checkpointSeq: 1, replayedRecords: 2 });
    expect(again.size).toBe(6);
    await again.close();
  });

  it('checkpoint() during a running one is served by one run after it', async () => {
    const disk = new MemoryDisk();
    const store = memoryCheckpointStore({ disk });
    const tree = await RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 16, wal: memoryWal({ disk }), checkpoints: store, flushPolicy: { kind: 'manual' } });
    tree.insert(leaf(0));
    const a = tree.checkpoint();
    tree.insert(leaf(1));
    const b = tree.checkpoint();
    tree.insert(leaf(2));
    const c = tree.checkpoint();
    expect(b).toBe(c);
    await Promise.all([a, b, c]);
    expect(store.completedWrites).toBe(2);
    expect(tree.checkpointSeq).toBe(3);
    await tree.close();
  });

  it('checkpoint() without a store rejects with TypeError', async () => {
    const tree = await RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 8, wal: memoryWal() });
    await expect(tree.checkpoint()).rejects.toBeInstanceOf(TypeError);
    await tree.close();
  });
});

describe('RotorTree: checkpoint policies', () => {
  it('manual never checkpoints by itself', async () => {
    const disk = new MemoryDisk();
    const tree = await open(disk, 2);
    for (let i = 0; i < 50; i++) tree.insert(leaf(i));
    expect(await tree.waitForCheckpoint(50)).toBe(true);
    await tree.close();
    expect(disk.checkpointManifest).toBeUndefined();
  });

  it('onClose checkpoints at close and leaves an empty WAL', async () => {
    const disk = new MemoryDisk();
    const tree = await open(disk, 2, { kind: 'onClose' });
    for (let i = 0; i < 5; i++) tree.insert(leaf(i));
    expect(disk.checkpointManifest).toBeUndefined();
    await tree.close();
    expect(disk.checkpointManifest?.seq).toBe(5);
    expect(disk.durableWalSeqs()).toEqual([]);
    const again = await open(disk, 2);
    expect(again.recovery).toMatchObject({ checkpointSeq: 5, replayedRecords: 0 });
    expect(again.size).toBe(5);
    await again.close();
  });

  it('everyNEntries fires in the background after n records (a batch counts once)', async () => {
    const disk = new MemoryDisk();
    const tree = await open(disk, 2, { kind: 'everyNEntries', n: 3 });
    tree.insertMany(Array.from({ length: 10 }, (_, i) => leaf(i)));
    tree.insert(leaf(10));
    expect(await tree.waitForCheckpoint(1000)).toBe(true);
    expect(disk.checkpointManifest).toBeUndefined();
    tree.insert(leaf(11)); // third record
    expect(await tree.waitForCheckpoint(1000)).toBe(true);
    expect(disk.checkpointManifest?.seq).toBe(3);
    expect(tree.checkpointSeq).toBe(3);
    await tree.close();
  });

  it('memoryThreshold fires once the leaves since the last checkpoint take the given bytes', async () => {
    const disk = new MemoryDisk();
    const tree = await open(disk, 2, { kind: 'memoryThreshold', bytes: 32 * 8 });
    for (let i = 0; i < 7; i++) tree.insert(leaf(i));
    expect(await tree.waitForCheckpoint(1000)).toBe(true);
    expect(disk.checkpointManifest).toBeUndefined();
    tree.insert(leaf(7));
    expect(await tree.waitForCheckpoint(1000)).toBe(true);
    expect(disk.checkpointManifest?.seq).toBe(8);
    await tree.close();
  });

  it('waitForCheckpoint returns false when the checkpoint outlasts the timeout', async () => {
    const disk = new MemoryDisk();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store = memoryCheckpointStore({ disk, pause: () => gate });
    const tree = await RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 16, wal: memoryWal({ disk }), checkpoints: store, flushPolicy: { kind: 'manual' } });
    tree.insert(leaf(0));
    const cp = tree.checkpoint();
    expect(await tree.waitForCheckpoint(20)).toBe(false);
    release();
    expect(await tree.waitForCheckpoint(1000)).toBe(true);
    await cp;
    await tree.close();
  });
});
