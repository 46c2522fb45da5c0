// The engine end to end over the PostgreSQL WAL (the shared primary + synchronous standby):
// inserts, flushes, reopens, batches larger than a row, checkpoints (memory and mmap files) that
// truncate the log, many trees in one database, and recovery through `visit` alone.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LeanIMT, memoryCheckpointStore, memoryDisk } from '@rotortree/core';
import { openWal } from '@rotortree/core/backend';
import { mmapCheckpointStore } from '@rotortree/checkpoint-mmap';
import { PART_BYTES } from '../src/format.js';
import { HASHER, leafAt, leavesAt, leavesOf, openTree, sharedPair, sqlClient, treeName, walOn } from './support.js';

/** The root of the first `size` leaves (leafAt(0 .. size-1)), from a plain in-memory tree. */
function referenceRoot(size: number): Uint8Array | undefined {
  const tree = new LeanIMT({ hasher: HASHER, n: 4, maxDepth: 24 });
  if (size > 0) tree.insertMany(leavesAt(0, size));
  return tree.root;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('the engine over postgresWal', () => {
  it('inserts, flushes and reopens: same leaves, same root', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('engine');
    const tree = await openTree(walOn(primary, name));
    let size = 0;
    for (const k of [1, 1, 3, 1, 17, 1, 1, 2]) {
      if (k === 1) tree.insert(leafAt(size));
      else tree.insertMany(leavesAt(size, k));
      size += k;
    }
    await tree.flush();
    tree.insert(leafAt(size++));
    const { token } = tree.insertMany(leavesAt(size, 5));
    size += 5;
    const flushed = tree.flush(); // manual flushes: a token resolves once a flush covers it
    await token.wait();
    await flushed;
    await tree.insertDurable(leafAt(size++));
    await tree.close();

    const again = await openTree(walOn(primary, name));
    expect(again.size).toBe(size);
    expect(again.root).toEqual(referenceRoot(size));
    expect(leavesOf(again)).toEqual(leavesAt(0, size));
    await again.close();
  });

  it('a batch larger than a row goes in parts and comes back whole, between single inserts', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('parts');
    const big = (2 * PART_BYTES) / 32 + 1000; // three parts
    const tree = await openTree(walOn(primary, name));
    tree.insert(leafAt(0));
    tree.insertMany(leavesAt(1, big));
    tree.insert(leafAt(big + 1));
    await tree.close();

    const sql = await sqlClient(primary);
    const { rows } = await sql.query('SELECT first_seq, part, last_seq FROM rotortree.records WHERE tree = $1 ORDER BY first_seq, part', [name]);
    await sql.end();
    expect(rows.map((r) => `${r.first_seq}/${r.part}/${r.last_seq}`)).toEqual(['1/0/1', '2/0/2', '2/1/2', '2/2/2', '3/0/3']);

    const again = await openTree(walOn(primary, name));
    expect(again.size).toBe(big + 2);
    expect(again.root).toEqual(referenceRoot(big + 2));
    await again.close();
  });

  it('a checkpoint (memory store) truncates the log; reopening replays only what follows it', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('ckpt-mem');
    const disk = memoryDisk();
    const tree = await openTree(walOn(primary, name), { checkpoints: memoryCheckpointStore({ disk }) });
    tree.insertMany(leavesAt(0, 100));
    for (let i = 100; i < 110; i++) tree.insert(leafAt(i));
    await tree.checkpoint();
    for (let i = 110; i < 115; i++) tree.insert(leafAt(i));
    await tree.close();

    const sql = await sqlClient(primary);
    const { rows } = await sql.query('SELECT t.base_seq, count(r.*) AS rows, min(r.first_seq) AS first FROM rotortree.trees t LEFT JOIN rotortree.records r ON r.tree = t.name WHERE t.name = $1 GROUP BY t.base_seq', [name]);
    await sql.end();
    expect(rows[0]).toMatchObject({ base_seq: '11', rows: '1', first: '12' }); // records 1..11 are in the checkpoint

    const again = await openTree(walOn(primary, name), { checkpoints: memoryCheckpointStore({ disk }) });
    expect(again.size).toBe(115);
    expect(again.root).toEqual(referenceRoot(115));
    await again.close();
  });

  it('checkpoints in mmap files beside the log: reopen, insert, checkpoint again, reopen', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('ckpt-mmap');
    const dir = await mkdtemp(join(tmpdir(), 'rotortree-pg-'));
    dirs.push(dir);
    const store = () => mmapCheckpointStore({ dir: join(dir, 'checkpoints') });
    const tree = await openTree(walOn(primary, name), { checkpoints: store() });
    tree.insertMany(leavesAt(0, 5000));
    await tree.checkpoint();
    for (let i = 5000; i < 5020; i++) tree.insert(leafAt(i));
    await tree.close();

    let again = await openTree(walOn(primary, name), { checkpoints: store() });
    expect(again.size).toBe(5020);
    again.insertMany(leavesAt(5020, 80));
    await again.checkpoint();
    again.insert(leafAt(5100));
    await again.close();

    again = await openTree(walOn(primary, name), { checkpoints: store() });
    expect(again.size).toBe(5101);
    expect(again.root).toEqual(referenceRoot(5101));
    await again.close();
  });

  it('a checkpoint ahead of every record (the log was truncated behind it) continues after it', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('ahead');
    const disk = memoryDisk();
    const tree = await openTree(walOn(primary, name), { checkpoints: memoryCheckpointStore({ disk }) });
    tree.insertMany(leavesAt(0, 10));
    await tree.checkpoint();
    await tree.close();
    // The checkpoint holds seq 1; the log holds nothing after it. Reopen, append, reopen.
    const again = await openTree(walOn(primary, name), { checkpoints: memoryCheckpointStore({ disk }) });
    again.insert(leafAt(10));
    await again.close();
    const third = await openTree(walOn(primary, name), { checkpoints: memoryCheckpointStore({ disk }) });
    expect(third.size).toBe(11);
    expect(third.root).toEqual(referenceRoot(11));
    await third.close();
  });

  it('trees in one database are apart: each reopens with its own leaves', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const names = [treeName('many'), treeName('many'), treeName('many')];
    const trees = await Promise.all(names.map((name) => openTree(walOn(primary, name))));
    trees.forEach((tree, i) => tree.insertMany(leavesAt(0, 10 + i)));
    await Promise.all(trees.map((tree) => tree.close()));
    for (const [i, name] of names.entries()) {
      const again = await openTree(walOn(primary, name));
      expect(again.size).toBe(10 + i);
      expect(again.root).toEqual(referenceRoot(10 + i));
      await again.close();
    }
  });

  it('recovery through visit alone (no run visitor) hands every record over, in order, once the log is judged', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('visit');
    const config = { n: 4, maxDepth: 24, hasherId: HASHER.id };
    const wal = walOn(primary, name);
    await openWal(wal, config);
    const sizes = [1, 1, 2, 1, 3, 3, 1];
    let at = 0;
    sizes.forEach((k, i) => {
      wal.append(i + 1, leavesAt(at, k));
      at += k;
      if (i === 2) void wal.flush();
    });
    expect(await wal.flush()).toBe(sizes.length);
    await wal.close();

    const seen: { seq: number; bytes: number; first: number }[] = [];
    const again = walOn(primary, name);
    const recovery = await openWal(again, config, 2, (seq, leaves) => seen.push({ seq, bytes: leaves.length, first: leaves[0]! }));
    await again.close();
    expect(recovery.lastSeq).toBe(7);
    expect(seen.map((s) => [s.seq, s.bytes])).toEqual([
      [3, 64],
      [4, 32],
      [5, 96],
      [6, 96],
      [7, 32],
    ]);
    expect(seen[0]!.first).toBe(leafAt(2)[0]);
  });
});
