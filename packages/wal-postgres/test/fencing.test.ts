// One writer per tree, what is PostgreSQL's own (the generic part, FILE_LOCKED, takeover cycles
// with FENCED and racing flushes, is the conformance suite's locking and fencing groups, run in
// conformance.test.ts): the primary key as a second guard; a writer cut off in the middle of a
// flush (a partition) keeps the tree row until a takeover ends its session; a recovery whose rows
// stop coming is bounded. Runs on the shared pair.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotorTree } from '@rotortree/core';
import { FaultProxy, postgresFraming } from '@rotortree/conformance/network';
import { leafAt, leavesAt, openTree, outcome, rootCause, shared, sharedPair, sqlClient, treeName, walOn } from './support.js';

describe('one writer per tree', () => {
  it('a row of the next seq written behind the writer\'s back (a second guard: the primary key) makes its flush FENCED', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('pk');
    const a = await openTree(walOn(primary, name));
    a.insert(leafAt(0));
    await a.flush();
    const sql = await sqlClient(primary);
    await sql.query(`INSERT INTO rotortree.records (tree, first_seq, part, last_seq, crc, body) VALUES ($1, 2, 0, 2, 0, '\\x00')`, [name]);
    await sql.end();
    a.insert(leafAt(1));
    expect(await rootCause(a.flush())).toBe('FENCED');
    await a.close().catch(() => undefined);
  });
});

describe('the network cut (the fault proxy on the shared pair)', () => {
  let proxy: FaultProxy | undefined;
  beforeAll(async () => {
    if (shared.available) proxy = await FaultProxy.start({ target: { port: Number(new URL(shared.info.primary).port) }, framing: postgresFraming });
  });
  afterAll(async () => proxy?.close());

  it('without takeover the tree stays FILE_LOCKED; a takeover ends the stuck session and gets the tree; the cut-off flush never lands or is acknowledged', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const url = new URL(primary);
    const name = treeName('partition');
    const viaProxy = { host: proxy!.host, port: proxy!.port, user: decodeURIComponent(url.username), database: url.pathname.slice(1) };
    const a = await openTree(walOn(primary, name, { connection: viaProxy, timeoutMs: 4_000 }));
    a.insertMany(leavesAt(0, 10));
    await a.flush();
    // A flush of two statements (a transaction): cut off after the first INSERT's answer, the
    // session sits idle in its transaction, holding the tree row.
    const cut = proxy!.at({ when: 'after', direction: 'reply', nth: 2, kind: 'CommandComplete' }, 'blackhole');
    const stuck: RotorTree = a;
    stuck.insertMany(leavesAt(10, 600_000));
    const flushA = rootCause(stuck.flush());
    await cut;
    expect(await outcome(openTree(walOn(primary, name, { lockTimeoutMs: 300 })))).toBe('FILE_LOCKED');
    const started = Date.now();
    const b = await openTree(walOn(primary, name, { takeover: true, lockTimeoutMs: 300 }));
    const tookMs = Date.now() - started;
    expect(b.size).toBe(10);
    expect(await flushA).toMatch(/^(IO|FENCED)$/);
    b.insert(leafAt(10));
    await b.close();
    proxy!.setMode('pass');
    await a.close().catch(() => undefined);
    const c = await openTree(walOn(primary, name));
    expect(c.size).toBe(11);
    await c.close();
    ctx.annotate(`takeover of a cut-off writer took ${tookMs} ms`);
  });

  it('a recovery whose rows stop coming is bounded too: the open fails (IO) within the timeout', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const url = new URL(primary);
    const name = treeName('cut-read');
    const writer = await openTree(walOn(primary, name));
    writer.insertMany(leavesAt(0, 100_000)); // several rows
    await writer.close();
    const viaProxy = { host: proxy!.host, port: proxy!.port, user: decodeURIComponent(url.username), database: url.pathname.slice(1) };
    const cut = proxy!.at({ when: 'after', direction: 'reply', nth: 1, kind: 'CopyData' }, 'blackhole');
    const started = Date.now();
    expect(await rootCause(openTree(walOn(primary, name, { connection: viaProxy, timeoutMs: 1_500 })))).toBe('IO');
    const elapsed = Date.now() - started;
    await cut;
    proxy!.setMode('pass');
    expect(elapsed).toBeLessThan(1_500 + 3_000);
    ctx.annotate(`the open failed after ${elapsed} ms (timeout 1500 ms)`);
  });
});
