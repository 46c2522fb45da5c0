import { describe, expect, it } from 'vitest';
import { RotorTree } from '../src/engine/rotor-tree.js';
import { memoryWal } from '../src/persistence/memory/memory-wal.js';
import { memoryCheckpointStore } from '../src/persistence/memory/memory-checkpoint-store.js';
import type { Wal } from '../src/persistence/wal.js';
import { RotorTreeError } from '../src/errors.js';
import { leaf, testHasher } from './support/naive-tree.js';
import { codeOf, rejectionCode } from './support/outcomes.js';

describe('RotorTree: a failed flush poisons', () => {
  it('pending and later tokens reject POISONED; inserts throw POISONED; flush rejects', async () => {
    const wal = memoryWal();
    const tree = await RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 8, wal, flushPolicy: { kind: 'manual' } });
    const durable = tree.insert(leaf(0));
    await tree.flush();
    const pending = tree.insert(leaf(1));
    const pendingWait = pending.token.wait();
    wal.failNextFlush(new Error('EIO'));
    const failed = tree.flush();
    const during = tree.insert(leaf(2)); // appended while the failing flush runs
    expect(await rejectionCode(failed)).toBe('POISONED');
    expect(await rejectionCode(pendingWait)).toBe('POISONED');
    expect(await rejectionCode(pending.token.wait())).toBe('POISONED');
    expect(await rejectionCode(during.token.wait())).toBe('POISONED');
    expect(pending.token.isDurable()).toBe(false);
    expect(tree.poisoned).toBe(true);
    // What was durable before stays durable.
    expect(durable.token.isDurable()).toBe(true);
    await durable.token.wait();
    expect(codeOf(() => tree.insert(leaf(3)))).toBe('POISONED');
    expect(codeOf(() => tree.insertMany([leaf(3)]))).toBe('POISONED');
    expect(await rejectionCode(tree.flush())).toBe('POISONED');
    expect(await rejectionCode(tree.insertDurable(leaf(3)))).toBe('POISONED');
    // Nothing after the failure was made durable, and nothing is retried.
    expect(wal.disk.durableWalSeqs()).toEqual([1]);
    await tree.close();
    expect(wal.disk.durableWalSeqs()).toEqual([1]);
  });

  it('the interval flusher poisons too', async () => {
    const wal = memoryWal();
    const tree = await RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 8, wal, flushPolicy: { kind: 'interval', ms: 1 } });
    wal.failNextFlush();
    const r = tree.insert(leaf(0));
    expect(await rejectionCode(r.token.wait())).toBe('POISONED');
    expect(codeOf(() => tree.insert(leaf(1)))).toBe('POISONED');
    await tree.close();
  });

  it('a WAL that refuses append poisons the tree (never a tree ahead of an accepting WAL)', async () => {
    const inner = memoryWal();
    let refuse = false;
    const wal: Wal = {
      supports: inner.supports,
      open: (c) => inner.open(c),
      recover: (o) => inner.recover(o),
      append: (seq, leaves) => {
        if (refuse) throw new RotorTreeError('IO', 'refused');
        inner.append(seq, leaves);
      },
      flush: () => inner.flush(),
      truncate: (s) => inner.truncate(s),
      close: () => inner.close(),
    };
    const tree = await RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 8, wal, flushPolicy: { kind: 'manual' } });
    const ok = tree.insert(leaf(0));
    const wait = ok.token.wait();
    refuse = true;
    expect(codeOf(() => tree.insert(leaf(1)))).toBe('POISONED');
    expect(await rejectionCode(wait)).toBe('POISONED');
    expect(codeOf(() => tree.insert(leaf(2)))).toBe('POISONED');
    await tree.close();
  });

  it('a WAL that reports less than it had to flush poisons', async () => {
    const inner = memoryWal();
    const wal: Wal = {
      supports: inner.supports,
      open: (c) => inner.open(c),
      recover: (o) => inner.recover(o),
      append: (seq, leaves) => inner.append(seq, leaves),
      flush: async () => (await inner.flush()) - 1,
      truncate: (s) => inner.truncate(s),
      close: () => inner.close(),
    };
    const tree = await RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 8, wal, flushPolicy: { kind: 'manual' } });
    const r = tree.insert(leaf(0));
    expect(await rejectionCode(tree.flush())).toBe('POISONED');
    expect(r.token.isDurable()).toBe(false);
    await tree.close();
  });

  it('a poisoned tree checkpoints nothing, also with onClose, and close() still releases the backends', async () => {
    const wal = memoryWal();
    const store = memoryCheckpointStore({ disk: wal.disk });
    const tree = await RotorTree.open({
      hasher: testHasher,
      n: 2,
      maxDepth: 8,
      wal,
      checkpoints: store,
      flushPolicy: { kind: 'manual' },
      checkpointPolicy: { kind: 'onClose' },
    });
    tree.insert(leaf(0));
    wal.failNextFlush();
    expect(await rejectionCode(tree.flush())).toBe('POISONED');
    expect(await rejectionCode(tree.checkpoint())).toBe('POISONED');
    await tree.close();
    expect(wal.disk.checkpointManifest).toBeUndefined();
    expect(wal.disk.walHolder).toBeNull();
    expect(wal.disk.checkpointHolder).toBeNull();
  });
});
