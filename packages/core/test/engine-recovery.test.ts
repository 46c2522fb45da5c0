import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RotorTree } from '../src/engine/rotor-tree.js';
import type { CheckpointPolicy, FlushPolicy } from '../src/engine/options.js';
import { MemoryDisk } from '../src/persistence/memory/memory-disk.js';
import { memoryCheckpointStore } from '../src/persistence/memory/memory-checkpoint-store.js';
import { memoryWal } from '../src/persistence/memory/memory-wal.js';
import { RotorTreeError } from '../src/errors.js';
import { leaf, leavesOfView, naiveRoot, testHasher } from './support/naive-tree.js';

function open(disk: MemoryDisk, n: number, opts: { flush?: FlushPolicy; checkpoint?: CheckpointPolicy; store?: boolean } = {}) {
  return RotorTree.open({
    hasher: testHasher,
    n,
    maxDepth: 16,
    wal: memoryWal({ disk }),
    flushPolicy: opts.flush ?? { kind: 'manual' },
    ...(opts.store === false ? {} : { checkpoints: memoryCheckpointStore({ disk }), checkpointPolicy: opts.checkpoint ?? { kind: 'manual' } }),
  });
}

const microtasks = async (k: number) => {
  for (let i = 0; i < k; i++) await Promise.resolve();
};

describe('RotorTree: reopen', () => {
  it('after close gives the same root and leaves as a tree rebuilt from scratch', async () => {
    const disk = new MemoryDisk();
    const tree = await open(disk, 3, { store: false });
    const expected: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      if (i % 4 === 0) {
        const batch = [leaf(expected.length), leaf(expected.length + 1), leaf(expected.length + 2)];
        tree.insertMany(batch);
        expected.push(...batch);
      } else {
        tree.insert(leaf(expected.length));
        expected.push(leaf(expected.length));
      }
    }
    const root = tree.root;
    await tree.close();
    const again = await open(disk, 3, { store: false });
    expect(again.recovery.replayedRecords).toBe(20);
    expect(again.recovery.replayedLeaves).toBe(expected.length);
    expect(again.recovery.lastSeq).toBe(20);
    expect(again.root).toEqual(root);
    expect(again.root).toEqual(naiveRoot(expected, 3));
    expect(leavesOfView(again.snapshot())).toEqual(expected);
    // Sequence numbers continue.
    expect(again.insert(leaf(99)).token.seq).toBe(21);
    await again.close();
  });

  it('an empty WAL opens an empty tree', async () => {
    const disk = new MemoryDisk();
    await (await open(disk, 2)).close();
    const tree = await open(disk, 2);
    expect(tree.size).toBe(0);
    expect(tree.root).toBeUndefined();
    expect(tree.recovery).toMatchObject({ replayedRecords: 0, lastSeq: 0, checkpointSeq: 0 });
    await tree.close();
  });

  it('a crash loses exactly the records that were not flushed; a batch is all or nothing', async () => {
    const disk = new MemoryDisk();
    const tree = await open(disk, 2);
    tree.insertMany([leaf(0), leaf(1), leaf(2)]);
    await tree.flush();
    tree.insertMany([leaf(3), leaf(4), leaf(5)]);
    tree.insert(leaf(6));
    disk.crash();
    const again = await open(disk, 2);
    expect(leavesOfView(again.snapshot())).toEqual([leaf(0), leaf(1), leaf(2)]);
    await again.close();
  });

  it('a crash during a flush may keep a prefix of its records, each whole', async () => {
    for (const keep of [0, 1, 2]) {
      const disk = new MemoryDisk();
      const tree = await open(disk, 2);
      tree.insertMany([leaf(0), leaf(1)]);
      tree.insertMany([leaf(2), leaf(3), leaf(4)]);
      const flushing = tree.flush().catch(() => undefined);
      // Run until the records are written; their sync has not completed yet.
      for (let i = 0; i < 50 && disk.walWritten.length === 0; i++) await Promise.resolve();
      expect(disk.walWritten.length).toBe(2);
      disk.crash({ keepUnsyncedRecords: keep });
      await flushing;
      const again = await open(disk, 2);
      const expected = [[], [leaf(0), leaf(1)], [leaf(0), leaf(1), leaf(2), leaf(3), leaf(4)]][keep]!;
      expect(leavesOfView(again.snapshot())).toEqual(expected);
      await again.close();
    }
  });

  it('replays 5k single-insert records into the same root', async () => {
    const disk = new MemoryDisk();
    const tree = await open(disk, 4, { store: false });
    for (let i = 0; i < 5_000; i++) tree.insert(leaf(i));
    const root = tree.root;
    await tree.close();
    const again = await open(disk, 4, { store: false });
    expect(again.recovery.replayedRecords).toBe(5_000);
    expect(again.root).toEqual(root);
    await again.close();
  });

  it('a gap in the WAL is CORRUPTION', async () => {
    const disk = new MemoryDisk();
    const tree = await open(disk, 2, { store: false });
    tree.insert(leaf(0));
    tree.insert(leaf(1));
    tree.insert(leaf(2));
    await tree.close();
    disk.walDurable.splice(1, 1);
    await expect(open(disk, 2, { store: false })).rejects.toSatisfy((e) => e instanceof RotorTreeError && e.code === 'CORRUPTION');
  });
});

/** One step of a random workload. */
type Op =
  | { kind: 'insert' }
  | { kind: 'batch'; size: number }
  | { kind: 'flush' }
  | { kind: 'checkpoint' }
  | { kind: 'yield'; turns: number }
  | { kind: 'sleep' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Op>({ kind: 'insert' }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map<Op>((size) => ({ kind: 'batch', size })) },
  { weight: 2, arbitrary: fc.constant<Op>({ kind: 'flush' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'checkpoint' }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 8 }).map<Op>((turns) => ({ kind: 'yield', turns })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'sleep' }) },
);

/**
 * Runs `ops` on a fresh engine, crashes the machine after them, reopens and checks the three
 * guarantees against the model (the sequence of inserted leaves, leaf i = leaf(i)). Every insert
 * whose token resolved before the crash must survive; the leaves must be a prefix ending at a
 * batch boundary; the root must equal the naive root.
 */
async function crashRun(n: number, ops: Op[], keep: number, policy: CheckpointPolicy, flush: FlushPolicy): Promise<void> {
  const disk = new MemoryDisk();
  const tree = await open(disk, n, { checkpoint: policy, flush });
  let inserted = 0;
  let acked = 0;
  const boundaries = new Set<number>([0]);
  for (const op of ops) {
    switch (op.kind) {
      case 'insert':
      case 'batch': {
        const k = op.kind === 'insert' ? 1 : op.size;
        const leaves = Array.from({ length: k }, (_, j) => leaf(inserted + j));
        const r = op.kind === 'insert' ? tree.insert(leaves[0]!) : tree.insertMany(leaves);
        inserted += k;
        boundaries.add(inserted);
        const end = inserted;
        r.token.wait().then(
          () => (acked = Math.max(acked, end)),
          () => undefined,
        );
        break;
      }
      case 'flush':
        tree.flush().catch(() => undefined);
        break;
      case 'checkpoint':
        tree.checkpoint().catch(() => undefined);
        break;
      case 'yield':
        await microtasks(op.turns);
        break;
      case 'sleep': // a macrotask turn: timers (the interval flusher) may run
        await new Promise((resolve) => setTimeout(resolve, 0));
        break;
    }
  }
  disk.crash({ keepUnsyncedRecords: keep });
  await microtasks(20); // let the dead engine's I/O fail
  const again = await open(disk, n);
  const leaves = leavesOfView(again.snapshot());
  expect(leaves.length).toBeGreaterThanOrEqual(acked);
  expect(leaves.length).toBeLessThanOrEqual(inserted);
  expect(boundaries.has(leaves.length)).toBe(true);
  for (let i = 0; i < leaves.length; i++) expect(leaves[i]).toEqual(leaf(i));
  expect(again.root).toEqual(naiveRoot(leaves, n));
  // The recovered tree keeps working and survives a clean reopen.
  again.insertMany([leaf(leaves.length), leaf(leaves.length + 1)]);
  const root = again.root;
  await again.close();
  const third = await open(disk, n);
  expect(third.root).toEqual(root);
  expect(third.size).toBe(leaves.length + 2);
  await third.close();
}

describe('RotorTree: crashes at random points (memory backends)', () => {
  it('manual flush, manual checkpoints: acknowledged inserts survive, leaves are a prefix, root matches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.array(opArb, { maxLength: 40 }),
        fc.integer({ min: 0, max: 3 }),
        async (n, ops, keep) => crashRun(n, ops, keep, { kind: 'manual' }, { kind: 'manual' }),
      ),
      { numRuns: 150 },
    );
  });

  it('with background checkpoints every few entries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.array(opArb, { maxLength: 40 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        async (n, ops, keep, every) => crashRun(n, ops, keep, { kind: 'everyNEntries', n: every }, { kind: 'manual' }),
      ),
      { numRuns: 150 },
    );
  });

  it('with interval flushing (real timers)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }),
        fc.array(opArb, { maxLength: 25 }),
        fc.integer({ min: 0, max: 2 }),
        async (n, ops, keep) => crashRun(n, ops, keep, { kind: 'memoryThreshold', bytes: 128 }, { kind: 'interval', ms: 0 }),
      ),
      { numRuns: 40 },
    );
  });
});
