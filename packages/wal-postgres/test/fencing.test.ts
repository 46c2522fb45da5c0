// One writer per tree, across machines: a second opener gets FILE_LOCKED while the writer's
// session lives; a takeover raises the epoch, and the old writer's next flush is FENCED (poisoned,
// nothing it writes lands), with nothing acknowledged lost or doubled; a writer cut off in the
// middle of a flush (a partition) is ended by the takeover. Runs on the shared pair.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeanIMT } from '@rotortree/core';
import type { RotorTree } from '@rotortree/core';
import { FaultProxy, postgresFraming } from '@rotortree/conformance/network';
import { HASHER, leafAt, leavesAt, leavesOf, openTree, outcome, rootCause, shared, sharedPair, sqlClient, treeName, walOn } from './support.js';

/** Leaves of writer A and writer B differ, so that a record landing twice (or in the wrong place) shows. */
const leafA = (i: number) => leafAt(i);
const leafB = (i: number) => leafAt(1_000_000 + i);

function rootOf(flat: Uint8Array): Uint8Array | undefined {
  const tree = new LeanIMT({ hasher: HASHER, n: 4, maxDepth: 24 });
  if (flat.length > 0) tree.insertMany(flat);
  return tree.root;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('one writer per tree', () => {
  it('FILE_LOCKED for a second opener while the writer lives; it keeps working; after it closes the tree opens', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('locked');
    const a = await openTree(walOn(primary, name));
    a.insertMany(leavesAt(0, 3));
    await a.flush();
    expect(await outcome(openTree(walOn(primary, name)))).toBe('FILE_LOCKED');
    a.insert(leafAt(3));
    await a.flush();
    await a.close();
    const b = await openTree(walOn(primary, name));
    expect(b.size).toBe(4);
    await b.close();
  });

  it('takeover: the old writer is FENCED at its next flush, poisoned, and nothing it wrote after lands; nothing acknowledged is lost or doubled', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('takeover');
    const a = await openTree(walOn(primary, name));
    for (let i = 0; i < 10; i++) a.insert(leafA(i));
    await a.flush(); // acknowledged: 10
    const pending = a.insertMany(leavesAt(500, 5)); // buffered, never flushed by A

    const b = await openTree(walOn(primary, name, { takeover: true }));
    expect(b.size).toBe(10);
    for (let i = 0; i < 3; i++) b.insert(leafB(i));
    await b.flush();

    expect(await rootCause(a.flush())).toBe('FENCED');
    expect(await outcome(pending.token.wait())).toBe('POISONED');
    expect(await outcome(() => a.insert(leafA(99)))).toBe('POISONED');
    expect(await outcome(a.flush())).toBe('POISONED');
    await a.close().catch(() => undefined);

    b.insert(leafB(3));
    await b.close();
    const c = await openTree(walOn(primary, name));
    const expected = concat(...Array.from({ length: 10 }, (_, i) => leafA(i)), ...Array.from({ length: 4 }, (_, i) => leafB(i)));
    expect(c.size).toBe(14);
    expect(leavesOf(c)).toEqual(expected);
    expect(c.root).toEqual(rootOf(expected));
    await c.close();
  });

  it('a takeover racing the old writer\'s flush: that flush either landed before it (and the new writer has it) or is FENCED', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const seen = new Set<string>();
    // A's flush starts at several moments of B's open (which takes a few round trips).
    for (const delayMs of [0, 5, 10, 20, 40, 80, 120, 160]) {
      const name = treeName('race');
      const a = await openTree(walOn(primary, name));
      a.insertMany(leavesAt(0, 4));
      await a.flush();
      a.insertMany(leavesAt(4, 4));
      const flushA = new Promise((resolve) => setTimeout(resolve, delayMs)).then(() => rootCause(a.flush()));
      const b = await openTree(walOn(primary, name, { takeover: true }));
      const outcomeA = await flushA;
      expect(['resolved', 'FENCED']).toContain(outcomeA);
      seen.add(outcomeA);
      if (outcomeA === 'resolved') expect(b.size).toBe(8);
      else expect(b.size).toBe(4);
      await Promise.all([a.close().catch(() => undefined), b.close()]);
    }
    ctx.annotate(`outcomes seen: ${[...seen].join(', ')}`);
  });

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
