/**
 * Tree identity through the engine: created once with the tree, kept across reopens, stamped on
 * what the backends write; a WAL or checkpoint of another tree, a checkpoint beside a missing log,
 * and a missing log of a tree that exists are `CORRUPTION` naming the place. Also the rules
 * `CheckpointStoreBase` keeps (growth, one write at a time, identity).
 */
import { describe, expect, it } from 'vitest';
import { RotorTree } from '../src/engine/rotor-tree.js';
import { MemoryDisk } from '../src/persistence/memory/memory-disk.js';
import { memoryCheckpointStore } from '../src/persistence/memory/memory-checkpoint-store.js';
import { memoryWal } from '../src/persistence/memory/memory-wal.js';
import { isTreeId, newTreeId } from '../src/persistence/tree-identity.js';
import { rejectionCode } from './support/outcomes.js';
import { leaf, testHasher } from './support/naive-tree.js';

const manual = { kind: 'manual' } as const;

function openOn(disk: MemoryDisk, extra: { treeId?: string; create?: boolean } = {}, withStore = true): Promise<RotorTree> {
  return RotorTree.open({
    hasher: testHasher,
    n: 4,
    maxDepth: 16,
    wal: memoryWal({ disk }),
    ...(withStore ? { checkpoints: memoryCheckpointStore({ disk }) } : {}),
    flushPolicy: manual,
    ...extra,
  });
}

describe('tree identity', () => {
  it('is created once, kept by every reopen, and stamped on the log and the checkpoint', async () => {
    const disk = new MemoryDisk();
    const a = await openOn(disk);
    expect(isTreeId(a.treeId)).toBe(true);
    expect(a.recovery.created).toBe(true);
    a.insert(leaf(0));
    await a.checkpoint();
    await a.close();
    expect(disk.walHeader?.treeId).toBe(a.treeId);
    expect(disk.checkpointManifest?.tree.treeId).toBe(a.treeId);
    const b = await openOn(disk);
    expect(b.treeId).toBe(a.treeId);
    expect(b.recovery.created).toBe(false);
    await b.close();
    const c = await openOn(disk, { treeId: a.treeId, create: false });
    expect(c.size).toBe(1);
    await c.close();
  });

  it('a caller-given identity is used for a new tree, and refuses a log of another tree', async () => {
    const disk = new MemoryDisk();
    const id = newTreeId();
    const a = await openOn(disk, { treeId: id });
    expect(a.treeId).toBe(id);
    await a.close();
    const err = await openOn(disk, { treeId: newTreeId() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPTION', file: 'memory-wal' });
    expect(disk.walHolder).toBeNull(); // the failed open closed its backends
    expect(disk.checkpointHolder).toBeNull();
  });

  it('refuses the WAL of another tree (naming the log) and the checkpoint of another tree (naming it)', async () => {
    const ours = new MemoryDisk();
    const theirs = new MemoryDisk();
    for (const disk of [ours, theirs]) {
      const t = await openOn(disk);
      t.insertMany([leaf(0), leaf(1), leaf(2)]);
      await t.checkpoint();
      t.insert(leaf(3));
      await t.close();
    }
    const id = ours.walHeader!.treeId;
    // Their log copied over ours: the checkpoint and the caller say it is another tree's.
    const swappedLog = new MemoryDisk();
    Object.assign(swappedLog, { walHeader: theirs.walHeader, walDurable: theirs.walDurable, checkpointManifest: ours.checkpointManifest, checkpointSegments: ours.checkpointSegments });
    const logErr = await openOn(swappedLog, { treeId: id }).catch((e: unknown) => e);
    expect(logErr).toMatchObject({ code: 'CORRUPTION', file: 'memory-wal' });
    // Their checkpoint copied over ours: the WAL (the tree's anchor) says whose tree this is.
    const swappedCheckpoint = new MemoryDisk();
    Object.assign(swappedCheckpoint, { walHeader: ours.walHeader, walDurable: ours.walDurable, checkpointManifest: theirs.checkpointManifest, checkpointSegments: theirs.checkpointSegments });
    const cpErr = await openOn(swappedCheckpoint).catch((e: unknown) => e);
    expect(cpErr).toMatchObject({ code: 'CORRUPTION', file: 'memory-checkpoint' });
  });

  it('a checkpoint beside a missing log, and a missing log of a tree that exists, are CORRUPTION', async () => {
    const disk = new MemoryDisk();
    const t = await openOn(disk);
    t.insert(leaf(0));
    await t.checkpoint();
    await t.close();
    disk.walHeader = undefined;
    disk.walDurable = [];
    const lost = await openOn(disk).catch((e: unknown) => e);
    expect(lost).toMatchObject({ code: 'CORRUPTION', file: 'memory-wal' }); // the missing log is named
    const empty = new MemoryDisk();
    const err = await openOn(empty, { create: false }, false).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPTION', file: 'memory-wal' });
    expect(empty.walHeader).toBeUndefined(); // nothing was created
  });
});

describe('CheckpointStoreBase', () => {
  const tree = { n: 4, maxDepth: 16, hasherId: testHasher.id, treeId: '33'.repeat(16) };

  it('refuses shrinking checkpoints (also after a failed write) and a second write at once', async () => {
    const disk = new MemoryDisk();
    const t = await openOn(disk, { treeId: tree.treeId });
    t.insertMany([leaf(0), leaf(1), leaf(2), leaf(3), leaf(4)]);
    const big = t.snapshot();
    await t.close();
    const small = await openOn(new MemoryDisk());
    small.insert(leaf(0));
    const smallView = small.snapshot();
    await small.close();

    const store = memoryCheckpointStore({ disk: new MemoryDisk() });
    await store.open(tree);
    await store.write(big, 5);
    await expect(store.write(smallView, 6)).rejects.toThrow(RangeError);
    await expect(store.write(big, 4)).rejects.toThrow(RangeError);
    store.failNextWrite();
    expect(await rejectionCode(store.write(big, 6))).toBe('IO');
    await expect(store.write(smallView, 7)).rejects.toThrow(RangeError); // still the published size 5
    const first = store.write(big, 8);
    await expect(store.write(big, 9)).rejects.toThrow(TypeError);
    await first;
    await store.close();
    expect(await rejectionCode(store.write(big, 10))).toBe('CLOSED');
  });
});
