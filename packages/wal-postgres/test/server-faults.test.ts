// The server fails under the WAL, on a private primary + synchronous standby started for this file
// (it kills and stops servers: never the shared pair). The conformance suite's server groups over
// the matrix: kill -9 of the primary at network crash points, then a restart (serverKill), and the
// synchronous standby stopped under a writer (standbyDown). Then what is PostgreSQL's own: a commit
// whose wait is cancelled (success with only a warning) rejects; unsafe settings (fsync,
// full_page_writes off; no synchronous standby when one is required) refuse the open; a server
// whose default synchronous_commit is off is fine (the session raises it); remote_apply gives
// read-your-writes on the standby.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { LeanIMT } from '@rotortree/core';
import type { RotorTree } from '@rotortree/core';
import { runConformance } from '@rotortree/conformance';
import { lookupPrivateService, useService } from '@rotortree/conformance/network';
import type { PostgresService, PrivateService } from '@rotortree/conformance/network';
import { createBackend } from './conformance-backends.mjs';
import { COMBINATIONS } from './matrix.js';
import { HASHER, leafAt, leavesAt, leavesOf, openTree, outcome, rootCause, sqlClient, treeName, walOn } from './support.js';

const starter = lookupPrivateService('postgres');
// Started while the file loads: the suite's groups are registered with its address.
const pair: PrivateService<PostgresService> | undefined = starter.available ? await starter.info() : undefined;
afterAll(async () => pair?.close(), 120_000);

if (pair !== undefined) {
  for (const { store, n } of COMBINATIONS) {
    // The standby group on one n per store: the stopped standby does not depend on the tree's shape.
    const groups = n === 4 ? (['serverKill', 'standbyDown'] as const) : (['serverKill'] as const);
    runConformance(createBackend({ connection: pair.info.primary, store, n, pair: pair.info }), {
      n,
      seed: 7 + n * 1000,
      groups: [...groups],
      timeout: 300_000,
      countCombination: false, // conformance.test.ts counts it
    });
  }
}

/** The private pair, or skips (fails under CI). */
function privatePair(ctx: Parameters<typeof useService>[1]): PrivateService<PostgresService> {
  useService(starter, ctx);
  return pair!;
}

/** Sets a server setting with ALTER SYSTEM (undefined: resets it) and reloads. */
async function setServer(primary: string, name: string, value: string | undefined): Promise<void> {
  const sql = await sqlClient(primary);
  try {
    await sql.query(value === undefined ? `ALTER SYSTEM RESET ${name}` : `ALTER SYSTEM SET ${name} = '${value}'`);
    await sql.query('SELECT pg_reload_conf()');
  } finally {
    await sql.end();
  }
  // A reload reaches new sessions shortly after.
  for (let i = 0; i < 100; i++) {
    const probe = await sqlClient(primary);
    const { rows } = await probe.query(`SELECT current_setting('${name}') AS v`);
    await probe.end();
    if (value === undefined || rows[0].v === value) return;
    await sleep(20);
  }
}

/** Reopens until the tree opens (a session of the old writer may hold it for a moment). */
async function reopen(primary: string, name: string): Promise<RotorTree> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await openTree(walOn(primary, name));
    } catch (err) {
      if (attempt > 100 || (err as { code?: string }).code !== 'FILE_LOCKED') throw err;
      await sleep(100);
    }
  }
}

/** The tree holds a prefix of leafAt(0..) of at least `acked` leaves, ending at a record boundary in `ends`, with the right root. */
function expectPrefix(tree: RotorTree, acked: number, ends: readonly number[]): void {
  expect(tree.size).toBeGreaterThanOrEqual(acked);
  expect(ends).toContain(tree.size);
  expect(Buffer.from(leavesOf(tree)).equals(Buffer.from(leavesAt(0, tree.size)))).toBe(true);
  const reference = new LeanIMT({ hasher: HASHER, n: 4, maxDepth: 24 });
  if (tree.size > 0) reference.insertMany(leavesAt(0, tree.size));
  expect(tree.root).toEqual(reference.root);
}

describe('server settings checked at open', () => {
  it('fsync off, full_page_writes off: UNSAFE_SERVER; synchronous_commit off by default: opens (the session raises it)', async (ctx) => {
    const { info } = privatePair(ctx);
    for (const setting of ['fsync', 'full_page_writes']) {
      await setServer(info.primary, setting, 'off');
      try {
        expect(await outcome(openTree(walOn(info.primary, treeName('unsafe'))))).toBe('UNSAFE_SERVER');
      } finally {
        await setServer(info.primary, setting, undefined);
      }
    }
    await setServer(info.primary, 'synchronous_commit', 'off');
    try {
      const tree = await openTree(walOn(info.primary, treeName('sc-off')));
      await tree.insertDurable(leafAt(0));
      await tree.close();
    } finally {
      await setServer(info.primary, 'synchronous_commit', undefined);
    }
  });

  it('requireSynchronousStandby: UNSAFE_SERVER without synchronous_standby_names, opens with it', async (ctx) => {
    const { info } = privatePair(ctx);
    await setServer(info.primary, 'synchronous_standby_names', '');
    try {
      expect(await outcome(openTree(walOn(info.primary, treeName('nostandby'), { requireSynchronousStandby: true })))).toBe('UNSAFE_SERVER');
    } finally {
      await setServer(info.primary, 'synchronous_standby_names', undefined);
    }
    const tree = await openTree(walOn(info.primary, treeName('standby'), { requireSynchronousStandby: true }));
    await tree.close();
  });
});

describe('the synchronous standby', () => {
  it('synchronousCommit remote_apply: a flush that resolved is visible on the hot standby at once, even when it applies late; with on it may not be', async (ctx) => {
    const { info } = privatePair(ctx);
    await (await openTree(walOn(info.primary, treeName('tables')))).close(); // the tables exist on both
    // The standby applies commits 300 ms late (it still receives and flushes them at once).
    await setServer(info.standby, 'recovery_min_apply_delay', '300ms');
    const replica = await sqlClient(info.standby);
    try {
      const lastOnReplica = async (name: string): Promise<number | null> =>
        (await replica.query('SELECT max(last_seq)::int AS last FROM rotortree.records WHERE tree = $1', [name])).rows[0].last;
      for (const level of ['on', 'remote_apply'] as const) {
        const name = treeName(`apply-${level}`);
        const tree = await openTree(walOn(info.primary, name, { synchronousCommit: level }));
        tree.insert(leafAt(0));
        await tree.flush();
        const seen = await lastOnReplica(name);
        await tree.close();
        if (level === 'remote_apply') expect(seen).toBe(1);
        else expect(seen).toBeNull();
      }
    } finally {
      await replica.end();
      await setServer(info.standby, 'recovery_min_apply_delay', undefined);
    }
  });
});

describe('faults of the server', () => {
  it('a commit whose wait for the standby is cancelled comes back "successful" with a warning: the flush rejects', async (ctx) => {
    const { info, controller } = privatePair(ctx);
    const name = treeName('cancelled');
    const timeoutMs = 30_000;
    const tree = await openTree(walOn(info.primary, name, { timeoutMs }));
    tree.insert(leafAt(0));
    await tree.flush();
    await controller.stop('standby');
    const admin = await sqlClient(info.primary);
    try {
      tree.insert(leafAt(1));
      const started = Date.now();
      const flushed = rootCause(tree.flush());
      // Cancel the WAL's session once it waits for the standby.
      let cancelled = 0;
      for (let i = 0; i < 200 && cancelled === 0; i++) {
        await sleep(25);
        const { rows } = await admin.query("SELECT count(pg_cancel_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'rotortree-wal' AND wait_event = 'SyncRep'");
        cancelled = rows[0].n;
      }
      expect(cancelled).toBe(1);
      expect(await flushed).toBe('IO');
      expect(Date.now() - started).toBeLessThan(timeoutMs);
    } finally {
      await admin.end();
      await controller.start('standby');
    }
    await tree.close().catch(() => undefined);
    const again = await reopen(info.primary, name);
    expectPrefix(again, 1, [1, 2]); // the cancelled commit is on the primary: it may be there
    await again.close();
  });
});
