// postgresWalReader: a follower on the standby serves the writer's durable states, checks the
// writer's marks, reloads the checkpoint when the log was truncated past it, reads in whole pages
// (keys longer than a page too), and stops serving on a root that differs from the writer's mark.
// Runs on the shared pair.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LeanIMT, RotorTree } from '@rotortree/core';
import type { RotorFollower } from '@rotortree/core';
import { mmapCheckpointStore } from '@rotortree/checkpoint-mmap';
import { postgresWalReader } from '../src/index.js';
import type { PostgresWalReaderOptions } from '../src/index.js';
import { HASHER, leafAt, leavesAt, openTree, outcome, sharedPair, sqlClient, treeName, walOn } from './support.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pg-reader-'));
  dirs.push(d);
  return d;
}

function follow(connection: string, tree: string, extra: { checkpoints?: string; reader?: Partial<PostgresWalReaderOptions> } = {}): Promise<RotorFollower> {
  return RotorTree.follow({
    hasher: HASHER,
    n: 4,
    maxDepth: 24,
    wal: postgresWalReader({ connection, tree, timeoutMs: 5_000, ...extra.reader }),
    ...(extra.checkpoints === undefined ? {} : { checkpoints: mmapCheckpointStore({ dir: extra.checkpoints, readOnly: true }) }),
    pollMs: 0,
  });
}

function rootOf(flat: Uint8Array): Uint8Array | undefined {
  const tree = new LeanIMT({ hasher: HASHER, n: 4, maxDepth: 24 });
  tree.insertMany(flat);
  return tree.root;
}

describe('postgresWalReader', () => {
  it('follows on the standby what the writer made durable (remote_apply: visible once acknowledged), with its marks', async (ctx) => {
    const { primary, standby } = sharedPair(ctx);
    const name = treeName('follow');
    expect(await outcome(follow(standby, name))).toBe('IO'); // no tree yet
    const writer = await openTree(walOn(primary, name, { synchronousCommit: 'remote_apply' }));
    writer.insertMany(leavesAt(0, 10));
    await writer.flush();
    const follower = await follow(standby, name);
    expect(follower.size).toBe(10);
    expect(follower.root).toEqual(writer.root);

    for (let i = 10; i < 40; i++) writer.insert(leafAt(i));
    writer.insertMany(leavesAt(40, 5));
    await writer.flush();
    writer.insert(leafAt(45)); // not flushed: never shown
    await follower.catchUp();
    expect(follower.size).toBe(45);
    expect(follower.seq).toBe(32);
    expect(follower.lag.records).toBe(0);
    expect(follower.root).toEqual(rootOf(leavesAt(0, 45)));

    // The writer's mark (written between flushes, committed without waiting) reaches the standby.
    const sql = await sqlClient(standby);
    try {
      const deadline = Date.now() + 5_000;
      let mark: { seq: string; size: string } | undefined;
      while (Date.now() < deadline) {
        mark = (await sql.query('SELECT seq, size FROM rotortree.marks WHERE tree = $1', [name])).rows[0];
        if (mark?.seq === '32') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(mark).toEqual({ seq: '32', size: '45' });
    } finally {
      await sql.end();
    }
    await writer.close();
    await follower.close();
  });

  it('reloads the checkpoint when the writer truncated the log past it (gone)', async (ctx) => {
    const { primary, standby } = sharedPair(ctx);
    const name = treeName('gone');
    const dir = tempDir();
    const writer = await RotorTree.open({
      hasher: HASHER,
      n: 4,
      maxDepth: 24,
      wal: walOn(primary, name, { synchronousCommit: 'remote_apply' }),
      checkpoints: mmapCheckpointStore({ dir }),
      flushPolicy: { kind: 'manual' },
    });
    writer.insertMany(leavesAt(0, 100));
    await writer.flush();
    const follower = await follow(standby, name, { checkpoints: dir });
    expect(follower.size).toBe(100);
    for (let i = 100; i < 300; i++) writer.insert(leafAt(i));
    await writer.checkpoint(); // flushes, checkpoints, truncates the log
    writer.insert(leafAt(300));
    await writer.flush();
    await follower.catchUp();
    expect(follower.checkpointSeq).toBe(201);
    expect(follower.size).toBe(301);
    expect(follower.root).toEqual(rootOf(leavesAt(0, 301)));
    await writer.close();
    await follower.close();
  });

  it('reads in whole pages: many rows, and a key of more parts than a page', async (ctx) => {
    const { primary, standby } = sharedPair(ctx);
    const name = treeName('pages');
    const writer = await openTree(walOn(primary, name, { synchronousCommit: 'remote_apply' }));
    for (let i = 0; i < 7; i++) {
      writer.insert(leafAt(i));
      await writer.flush(); // a row each
    }
    const big = 3 * 32768 + 5; // 3 MiB + a bit: 4 parts of one key
    writer.insertMany(leavesAt(7, big));
    await writer.flush();
    writer.insert(leafAt(7 + big));
    await writer.flush();
    const follower = await follow(standby, name, { reader: { pageRows: 2 } });
    const deferred = await follower.catchUp().then(() => undefined, (e: unknown) => e);
    expect(deferred).toBeUndefined();
    expect(follower.size).toBe(8 + big);
    expect(follower.root).toEqual(writer.root);
    await writer.close();
    await follower.close();
  });

  it("a root that differs from the writer's mark: the follower stops serving (CORRUPTION)", async (ctx) => {
    const { primary, standby } = sharedPair(ctx);
    const name = treeName('badmark');
    const writer = await openTree(walOn(primary, name, { synchronousCommit: 'remote_apply' }));
    writer.insertMany(leavesAt(0, 4));
    await writer.flush();
    const follower = await follow(standby, name);
    await writer.close(); // its mark is written (close waits for it)
    const sql = await sqlClient(primary);
    try {
      const { rowCount } = await sql.query(`UPDATE rotortree.marks SET root = decode(repeat('00', 32), 'hex'), seq = seq + 1 WHERE tree = $1`, [name]);
      expect(rowCount).toBe(1);
      const again = await openTree(walOn(primary, name, { synchronousCommit: 'remote_apply' }));
      again.insert(leafAt(4));
      await again.flush();
      // Its own mark would replace the damaged one: damage it again before the follower reads.
      await again.close();
      await sql.query(`UPDATE rotortree.marks SET root = decode(repeat('00', 32), 'hex') WHERE tree = $1`, [name]);
      await sql.query('SELECT 1'); // the next commit on the primary reaches the standby after this one
      const deadline = Date.now() + 5_000;
      let code = '';
      while (Date.now() < deadline) {
        code = await outcome(follower.catchUp());
        if (code === 'CORRUPTION') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(code).toBe('CORRUPTION');
      expect(await outcome(() => follower.root)).toBe('CORRUPTION');
    } finally {
      await sql.end();
      await follower.close();
    }
  });
});
