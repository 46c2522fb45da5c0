// The fault proxy and the controller against a real PostgreSQL primary + synchronous standby:
// node-postgres through the proxy (protocol messages counted, a partition, a reset, a commit
// whose answer is lost), then a private pair killed and stopped by its controller.
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FaultProxy, lookupPrivateService, lookupService, postgresFraming, useService } from '../../src/network/index.js';
import type { PostgresService, PrivateService } from '../../src/network/index.js';

const shared = await lookupService('postgres');
// The private pair is created while the shared pair's tests run.
const starter = lookupPrivateService('postgres');
const privatePair = starter.available ? starter.info() : undefined;
privatePair?.catch(() => undefined); // awaited (and reported) by its tests' beforeAll
const clients: pg.Client[] = [];

/** A connected client to `url`, or to the proxy in front of it; errors after the test are ignored. */
async function client(url: string, options: { proxy?: FaultProxy; name?: string; queryTimeout?: number } = {}): Promise<pg.Client> {
  const target = new URL(url);
  const c = new pg.Client({
    host: options.proxy?.host ?? target.hostname,
    port: options.proxy?.port ?? Number(target.port),
    user: decodeURIComponent(target.username),
    database: target.pathname.slice(1),
    application_name: options.name ?? 'rotortree-network-test',
    connectionTimeoutMillis: 5000,
    ...(options.queryTimeout === undefined ? {} : { query_timeout: options.queryTimeout }),
  });
  c.on('error', () => undefined);
  clients.push(c);
  await c.connect();
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) {
    await Promise.race([c.end().catch(() => undefined), sleep(500)]);
  }
});

const errorOf = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: Error & { code?: string }) => error.code ?? error.message);
const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${Date.now()}`;

describe('through the fault proxy (the shared pair)', () => {
  let proxy: FaultProxy | undefined;
  let pgInfo: PostgresService;

  beforeAll(async () => {
    if (!shared.available) return;
    pgInfo = shared.info;
    proxy = await FaultProxy.start({ target: { port: Number(new URL(pgInfo.primary).port) }, framing: postgresFraming });
  });
  afterAll(async () => proxy?.close());
  afterEach(() => {
    proxy?.setMode('pass');
    proxy?.disarm();
  });

  it('counts protocol messages: the startup message, a simple Query, and its answers', async (ctx) => {
    useService(shared, ctx);
    const seen: string[] = [];
    const stop = proxy!.onMessage((event, when) => {
      if (when === 'before') seen.push(`${event.direction} ${event.kind}`);
    });
    const c = await client(pgInfo.primary, { proxy: proxy! });
    const before = seen.length;
    const result = await c.query('SELECT 41 + 1 AS answer');
    stop();
    expect(result.rows).toEqual([{ answer: 42 }]);
    expect(seen[0]).toBe('request StartupMessage');
    expect(seen.slice(before)).toEqual(['request Query', 'reply RowDescription', 'reply DataRow', 'reply CommandComplete', 'reply ReadyForQuery']);
  });

  it('blackhole mid-transaction: the query times out; the server keeps the session (and its locks) until the partition heals', async (ctx) => {
    useService(shared, ctx);
    const name = uniqueName('partitioned');
    const c = await client(pgInfo.primary, { proxy: proxy!, name, queryTimeout: 500 });
    await c.query('BEGIN');
    await c.query('CREATE TEMP TABLE t (x int)');
    proxy!.setMode('blackhole');
    expect(await errorOf(c.query('INSERT INTO t VALUES (1)'))).toBe('Query read timeout');
    const direct = await client(pgInfo.primary);
    const sessions = async () => (await direct.query('SELECT state FROM pg_stat_activity WHERE application_name = $1', [name])).rows;
    expect(await sessions()).toEqual([{ state: 'idle in transaction' }]);
    proxy!.setMode('pass'); // heals: the connection that lost bytes is reset, the server ends the session
    for (let i = 0; i < 50 && (await sessions()).length > 0; i++) await sleep(20);
    expect(await sessions()).toEqual([]);
  });

  it('reset before the query reaches the server: the client gets ECONNRESET', async (ctx) => {
    useService(shared, ctx);
    const c = await client(pgInfo.primary, { proxy: proxy! });
    const fired = proxy!.at({ when: 'before', direction: 'request', nth: 1, kind: 'Query' }, 'reset');
    expect(await errorOf(c.query('SELECT 1'))).toBe('ECONNRESET');
    expect((await fired).kind).toBe('Query');
  });

  it('the answer to COMMIT lost (before-reply CommandComplete -> blackhole): committed on the server, never acknowledged', async (ctx) => {
    useService(shared, ctx);
    const table = uniqueName('rt_network_commit');
    const direct = await client(pgInfo.primary);
    await direct.query(`CREATE TABLE ${table} (x int)`);
    try {
      const c = await client(pgInfo.primary, { proxy: proxy!, queryTimeout: 1000 });
      await c.query('BEGIN');
      await c.query(`INSERT INTO ${table} VALUES (7)`);
      const fired = proxy!.at({ when: 'before', direction: 'reply', nth: 1, kind: 'CommandComplete' }, 'blackhole');
      expect(await errorOf(c.query('COMMIT'))).toBe('Query read timeout');
      await fired;
      expect((await direct.query(`SELECT x FROM ${table}`)).rows).toEqual([{ x: 7 }]);
    } finally {
      await direct.query(`DROP TABLE ${table}`);
    }
  });
});

describe('the controller (a private pair: it kills and stops servers)', () => {
  let pair: PrivateService<PostgresService> | undefined;

  beforeAll(async () => {
    pair = await privatePair;
  }, 120_000);
  afterAll(async () => pair?.close(), 60_000);
  // Each test starts with both servers up, whatever the one before left.
  beforeEach(async () => pair?.controller.start(), 60_000);

  it('kill -9 of the primary: the client fails; after start() every acknowledged row is there, and the standby is synchronous again', async (ctx) => {
    useService(starter, ctx);
    const { info, controller } = pair!;
    const c = await client(info.primary);
    await c.query('CREATE TABLE acked (x int)');
    for (let i = 0; i < 20; i++) await c.query('INSERT INTO acked VALUES ($1)', [i]);
    await controller.kill();
    // The backend notices its postmaster's death at its next wait: a query or two may still pass.
    let outcome = 'resolved';
    for (let i = 0; i < 100 && outcome === 'resolved'; i++) {
      outcome = await errorOf(c.query('SELECT 1'));
      if (outcome === 'resolved') await sleep(20);
    }
    expect(outcome).not.toBe('resolved');
    const started = Date.now();
    await controller.start();
    const restartMs = Date.now() - started;
    const again = await client(info.primary);
    expect((await again.query('SELECT count(*)::int AS n FROM acked')).rows).toEqual([{ n: 20 }]);
    expect((await again.query("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'")).rows).toEqual([{ sync_state: 'sync' }]);
    ctx.annotate(`primary back (synchronous standby included) in ${restartMs} ms`);
  });

  it('synchronous standby down: a commit waits (statement_timeout does not end it); cancelled, it reports success with only a warning', async (ctx) => {
    useService(starter, ctx);
    const { info, controller } = pair!;
    const setup = await client(info.primary);
    await setup.query('CREATE TABLE IF NOT EXISTS sync_wait (x int)');
    await controller.stop('standby');
    const name = uniqueName('waiting');
    const writer = await client(info.primary, { name });
    const notices: string[] = [];
    writer.on('notice', (notice) => notices.push(notice.message ?? ''));
    await writer.query('SET statement_timeout = 200');
    let settled = false;
    const insert = writer.query('INSERT INTO sync_wait VALUES (1)').finally(() => {
      settled = true;
    });
    await sleep(1000);
    expect(settled).toBe(false);
    const other = await client(info.primary);
    await other.query('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
    const result = await insert;
    expect(result.rowCount).toBe(1);
    expect(notices.join('\n')).toMatch(/canceling wait for synchronous replication/);
    await controller.start('standby');
    const standby = await client(info.standby);
    for (let i = 0; i < 100 && (await standby.query('SELECT count(*)::int AS n FROM sync_wait')).rows[0].n === 0; i++) await sleep(20);
    expect((await standby.query('SELECT count(*)::int AS n FROM sync_wait')).rows).toEqual([{ n: 1 }]);
  });
});
