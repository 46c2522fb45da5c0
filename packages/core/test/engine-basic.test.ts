import { describe, expect, it } from 'vitest';
import { RotorTree } from '../src/engine/rotor-tree.js';
import { memoryWal } from '../src/persistence/memory/memory-wal.js';
import { MemoryDisk } from '../src/persistence/memory/memory-disk.js';
import { memoryCheckpointStore } from '../src/persistence/memory/memory-checkpoint-store.js';
import type { Wal } from '../src/persistence/wal.js';
import { leaf, naiveRoot, testHasher } from './support/naive-tree.js';
import { codeOf, rejectionCode } from './support/outcomes.js';

/** Lets every pending microtask and one macrotask turn run. */
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

const manual = (wal: Wal = memoryWal()) =>
  RotorTree.open({ hasher: testHasher, n: 4, maxDepth: 10, wal, flushPolicy: { kind: 'manual' } });

describe('RotorTree: write path', () => {
  it('keeps the literal types of n and maxDepth', async () => {
    const tree = await RotorTree.open({ hasher: testHasher, n: 4, maxDepth: 10, wal: memoryWal() });
    const n: 4 = tree.n;
    const d: 10 = tree.maxDepth;
    expect([n, d]).toEqual([4, 10]);
    await tree.close();
  });

  it('returns the root of a naive tree and one sequence number per call', async () => {
    const tree = await manual();
    const leaves = [leaf(0), leaf(1), leaf(2), leaf(3), leaf(4), leaf(5)];
    const r1 = tree.insert(leaves[0]!);
    expect(r1.root).toEqual(naiveRoot(leaves.slice(0, 1), 4));
    expect(r1.token.seq).toBe(1);
    const r2 = tree.insertMany(leaves.slice(1, 5));
    expect(r2.token.seq).toBe(2);
    expect(r2.root).toEqual(naiveRoot(leaves.slice(0, 5), 4));
    const flat = new Uint8Array(32);
    flat.set(leaves[5]!);
    const r3 = tree.insertMany(flat);
    expect(r3.token.seq).toBe(3);
    expect(tree.root).toEqual(naiveRoot(leaves, 4));
    expect(tree.size).toBe(6);
    expect(tree.depth).toBe(2);
    expect(tree.seq).toBe(3);
    await tree.close();
  });

  it('rejects bad input without a WAL record or a tree change', async () => {
    const wal = memoryWal();
    const tree = await RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 2, wal, flushPolicy: { kind: 'manual' } });
    tree.insert(leaf(0));
    const root = tree.root;
    expect(codeOf(() => tree.insert(new Uint8Array(31)))).toBe('INVALID_NODE');
    expect(codeOf(() => tree.insertMany([]))).toBe('EMPTY_BATCH');
    expect(codeOf(() => tree.insertMany(new Uint8Array(40)))).toBe('INVALID_NODE');
    expect(codeOf(() => tree.insertMany([leaf(1), new Uint8Array(3)]))).toBe('INVALID_NODE');
    expect(codeOf(() => tree.insertMany([leaf(1), leaf(2), leaf(3), leaf(4)]))).toBe('MAX_DEPTH_EXCEEDED');
    expect(tree.root).toEqual(root);
    expect(tree.size).toBe(1);
    expect(tree.seq).toBe(1);
    await tree.flush();
    expect(wal.disk.durableWalSeqs()).toEqual([1]);
    // The next good insert still gets seq 2.
    expect(tree.insertMany([leaf(1), leaf(2), leaf(3)]).token.seq).toBe(2);
    expect(codeOf(() => tree.insert(leaf(4)))).toBe('MAX_DEPTH_EXCEEDED');
    await tree.close();
  });

  it('validates options with TypeError/RangeError', async () => {
    const base = { hasher: testHasher, n: 2, maxDepth: 4, wal: memoryWal() };
    await expect(RotorTree.open({ ...base, n: 1 })).rejects.toBeInstanceOf(RangeError);
    await expect(RotorTree.open({ ...base, maxDepth: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(RotorTree.open({ ...base, flushPolicy: { kind: 'interval', ms: -1 } })).rejects.toBeInstanceOf(RangeError);
    await expect(RotorTree.open({ ...base, checkpointPolicy: { kind: 'onClose' } })).rejects.toBeInstanceOf(RangeError);
    await expect(RotorTree.open({ ...base, wal: undefined as unknown as Wal })).rejects.toBeInstanceOf(TypeError);
  });
});

describe('RotorTree: durability tokens', () => {
  it('manual: tokens resolve only after flush()', async () => {
    const wal = memoryWal();
    const tree = await manual(wal);
    const a = tree.insert(leaf(0));
    const b = tree.insertMany([leaf(1), leaf(2)]);
    let resolved = 0;
    void a.token.wait().then(() => resolved++);
    void b.token.wait().then(() => resolved++);
    await settle();
    await settle();
    expect(resolved).toBe(0);
    expect(a.token.isDurable()).toBe(false);
    expect(wal.disk.durableWalSeqs()).toEqual([]);
    await tree.flush();
    expect(wal.disk.durableWalSeqs()).toEqual([1, 2]);
    await settle();
    expect(resolved).toBe(2);
    expect(a.token.isDurable() && b.token.isDurable()).toBe(true);
    expect(tree.durableSeq).toBe(2);
    await tree.close();
  });

  it('a token appended during a flush waits for the next flush', async () => {
    const wal = memoryWal();
    const tree = await manual(wal);
    tree.insert(leaf(0));
    const first = tree.flush();
    const late = tree.insert(leaf(1));
    let lateDone = false;
    void late.token.wait().then(() => (lateDone = true));
    await first;
    await settle();
    // The memory WAL takes its buffer a microtask after flush() is called, so it may have covered
    // the late record; the token then resolves with the next flush, never before its data is durable.
    expect(lateDone).toBe(late.token.isDurable() && wal.disk.durableWalSeqs().includes(2));
    await tree.flush();
    await late.token.wait();
    expect(wal.disk.durableWalSeqs()).toEqual([1, 2]);
    await tree.close();
  });

  it('interval: tokens resolve without an explicit flush, and never before the data is durable', async () => {
    const wal = memoryWal();
    const tree = await RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 16, wal, flushPolicy: { kind: 'interval', ms: 5 } });
    const results = [];
    for (let i = 0; i < 100; i++) results.push(tree.insert(leaf(i)));
    expect(results.some((r) => r.token.isDurable())).toBe(false);
    const checks = results.map((r) =>
      r.token.wait().then(() => {
        expect(wal.disk.durableWalSeqs().length).toBeGreaterThanOrEqual(r.token.seq);
      }),
    );
    await Promise.all(checks);
    expect(wal.disk.durableWalSeqs().length).toBe(100);
    // Group commit: far fewer flushes than inserts.
    expect(wal.completedFlushes).toBeLessThan(10);
    await tree.close();
  });

  it('interval: the timer does not run while idle and re-arms after new inserts', async () => {
    const wal = memoryWal();
    const tree = await RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 16, wal, flushPolicy: { kind: 'interval', ms: 1 } });
    await tree.insert(leaf(0)).token.wait();
    const flushes = wal.completedFlushes;
    await new Promise((r) => setTimeout(r, 20));
    expect(wal.completedFlushes).toBe(flushes);
    await tree.insert(leaf(1)).token.wait();
    expect(wal.completedFlushes).toBe(flushes + 1);
    await tree.close();
  });

  it('insertDurable resolves with the root once durable, without waiting for the interval', async () => {
    const wal = memoryWal();
    const tree = await RotorTree.open({ hasher: testHasher, n: 3, maxDepth: 8, wal, flushPolicy: { kind: 'interval', ms: 60_000 } });
    tree.insert(leaf(0));
    const root = await tree.insertDurable(leaf(1));
    expect(root).toEqual(naiveRoot([leaf(0), leaf(1)], 3));
    expect(wal.disk.durableWalSeqs()).toEqual([1, 2]);
    await tree.close();
  });

  it('tokens waiting on the same flush share one promise (no object per waiter)', async () => {
    const tree = await manual();
    const a = tree.insert(leaf(0));
    const b = tree.insert(leaf(1));
    expect(a.token.wait()).toBe(b.token.wait());
    await tree.flush();
    await tree.close();
  });

  it('flush() with nothing buffered resolves', async () => {
    const tree = await manual();
    await tree.flush();
    tree.insert(leaf(0));
    await tree.flush();
    await tree.flush();
    await tree.close();
  });
});

describe('RotorTree: close', () => {
  it('flushes what is buffered, is idempotent, and everything after it is CLOSED', async () => {
    const wal = memoryWal();
    const tree = await manual(wal);
    const r = tree.insert(leaf(0));
    const c1 = tree.close();
    const c2 = tree.close();
    expect(c1).toBe(c2);
    await c1;
    await r.token.wait();
    expect(wal.disk.durableWalSeqs()).toEqual([1]);
    expect(codeOf(() => tree.insert(leaf(1)))).toBe('CLOSED');
    expect(codeOf(() => tree.insertMany([leaf(1)]))).toBe('CLOSED');
    expect(codeOf(() => tree.snapshot())).toBe('CLOSED');
    expect(await rejectionCode(tree.flush())).toBe('CLOSED');
    expect(await rejectionCode(tree.checkpoint())).toBe('CLOSED');
    expect(await rejectionCode(tree.insertDurable(leaf(1)))).toBe('CLOSED');
    await tree.close();
  });

  it('releases the WAL lock, so the same WAL disk can be reopened', async () => {
    const wal = memoryWal();
    const tree = await manual(wal);
    expect(await rejectionCode(manual(memoryWal({ disk: wal.disk })))).toBe('FILE_LOCKED');
    await tree.close();
    const again = await manual(memoryWal({ disk: wal.disk }));
    await again.close();
  });

  it('a WAL opened with other parameters is CONFIG_MISMATCH', async () => {
    const wal = memoryWal();
    await (await manual(wal)).close();
    const other = RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 10, wal: memoryWal({ disk: wal.disk }) });
    expect(await rejectionCode(other)).toBe('CONFIG_MISMATCH');
    // The failed open released what it took.
    await (await manual(memoryWal({ disk: wal.disk }))).close();
  });
});

describe('RotorTree: process lifetime and close-time checkpoints', () => {
  it('a script whose only pending work is token.wait() stays alive until the group commit', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const core = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      import { RotorTree, memoryWal, hasherFromGroupFunction } from ${JSON.stringify(core)};
      const hasher = hasherFromGroupFunction('x', (i, o, c, out, oo) => out.fill(c, oo, oo + 32));
      const tree = await RotorTree.open({ hasher, n: 2, maxDepth: 8, wal: memoryWal(), flushPolicy: { kind: 'interval', ms: 50 } });
      const { token } = tree.insert(new Uint8Array(32));
      await token.wait();
      console.log('durable', token.isDurable());
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('durable true');
    expect(run.status).toBe(0);
  });

  it('checkpointOnClose checkpoints at close under another policy', async () => {
    const disk = new MemoryDisk();
    const open = () =>
      RotorTree.open({ hasher: testHasher, n: 2, maxDepth: 8, wal: memoryWal({ disk }), checkpoints: memoryCheckpointStore({ disk }), checkpointPolicy: { kind: 'everyNEntries', n: 1000 }, checkpointOnClose: true });
    const tree = await open();
    tree.insertMany([leaf(1), leaf(2), leaf(3)]);
    await tree.close();
    const again = await open();
    expect(again.recovery.checkpointLeaves).toBe(3);
    expect(again.recovery.replayedRecords).toBe(0);
    await again.close();
  });
});
