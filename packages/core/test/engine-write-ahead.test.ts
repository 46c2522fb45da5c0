import { describe, expect, it } from 'vitest';
import { RotorTree } from '../src/engine/rotor-tree.js';
import { memoryWal } from '../src/persistence/memory/memory-wal.js';
import { MemoryDisk } from '../src/persistence/memory/memory-disk.js';
import { memoryCheckpointStore } from '../src/persistence/memory/memory-checkpoint-store.js';
import { LeanIMT } from '../src/tree/lean-imt.js';
import type { Hasher } from '../src/hasher.js';
import { flatLeaves as leaves, hasherFailingWhile } from './support/batches.js';
import { testHasher } from './support/naive-tree.js';
import { codeOf } from './support/outcomes.js';

// Batches of >= 1 MiB (32768 leaves) take the write-ahead path: logged and flushing before hashing.
const BIG = 40_000;

describe('RotorTree: large batches are written ahead', () => {
  it('are durable, replayed whole, and checkpointed only with their leaves in the tree', async () => {
    const disk = new MemoryDisk();
    const open = (hasher: Hasher = testHasher) =>
      RotorTree.open({ hasher, n: 4, maxDepth: 16, wal: memoryWal({ disk }), checkpoints: memoryCheckpointStore({ disk }), flushPolicy: { kind: 'manual' }, checkpointPolicy: { kind: 'everyNEntries', n: 1 } });
    const reference = new LeanIMT({ hasher: testHasher, n: 4, maxDepth: 16 });
    const tree = await open();
    const a = tree.insertMany(leaves(BIG, 0));
    reference.insertMany(leaves(BIG, 0));
    expect(a.root).toEqual(reference.root);
    await a.token.wait(); // the write-ahead flush made it durable without a flush() call
    const b = tree.insertMany(leaves(BIG + 7, BIG));
    reference.insertMany(leaves(BIG + 7, BIG));
    tree.insert(leaves(1, 3 * BIG)); // a small record after it
    reference.insert(leaves(1, 3 * BIG));
    await b.token.wait();
    await tree.waitForCheckpoint(10_000);
    await tree.flush();
    await tree.close();
    const again = await open();
    expect(again.size).toBe(2 * BIG + 8);
    expect(again.root).toEqual(reference.root);
    expect(again.recovery.checkpointLeaves).toBeGreaterThanOrEqual(BIG);
    await again.close();
  });

  it('a refused batch changes nothing; a hasher failure after logging poisons the engine', async () => {
    let armed = false;
    const flaky = hasherFailingWhile(testHasher, () => armed);
    const disk = new MemoryDisk();
    const small = await RotorTree.open({ hasher: flaky, n: 2, maxDepth: 15, wal: memoryWal({ disk }), flushPolicy: { kind: 'manual' } });
    // 2^15 leaves of capacity: a 40k batch does not fit, and nothing is logged.
    expect(() => small.insertMany(leaves(BIG, 0))).toThrow(expect.objectContaining({ code: 'MAX_DEPTH_EXCEEDED' }));
    expect(small.seq).toBe(0);
    expect(small.poisoned).toBe(false);
    await small.close();

    const tree = await RotorTree.open({ hasher: flaky, n: 4, maxDepth: 16, wal: memoryWal({ disk: new MemoryDisk() }), flushPolicy: { kind: 'manual' } });
    const first = tree.insert(leaves(1, 0));
    armed = true;
    const code = codeOf(() => tree.insertMany(leaves(BIG, 1)));
    armed = false;
    expect(code).toBe('POISONED');
    expect(tree.poisoned).toBe(true);
    expect(tree.size).toBe(1);
    expect(() => tree.insert(leaves(1, 9))).toThrow(expect.objectContaining({ code: 'POISONED' }));
    await expect(first.token.wait()).rejects.toMatchObject({ code: 'POISONED' });
    await tree.close();
  });
});
