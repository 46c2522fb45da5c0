/**
 * Follower lag on PostgreSQL: a writer (this process) inserts single leaves at a steady 100k/s
 * (group commit every 10 ms, `synchronousCommit: 'remote_apply'`), a follower in another process
 * (`postgresWalReader` on the synchronous standby, polling every 2 ms) reports each size it serves.
 * The lag of an acknowledged flush: from the moment the writer's token resolved to the moment the
 * follower served that size (clocks of one machine: `performance.timeOrigin + now()`).
 *
 * The servers: `ROTORTREE_PG_PRIMARY` / `ROTORTREE_PG_STANDBY`, else `.services/postgres.env`.
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { RotorTree } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { postgresWal } from '@rotortree/wal-postgres';
import { makeLeaves } from './leaves.js';
import type { BenchContext } from './results.js';

const SCHEMA = 'rotortree_bench_follow';
const RATE = 100_000;
const POLL_MS = 2;

/** The pair's connection strings, or undefined when no server is configured. */
function findPair(): { primary: string; standby: string } | undefined {
  const { ROTORTREE_PG_PRIMARY: primary, ROTORTREE_PG_STANDBY: standby } = process.env;
  if (primary && standby) return { primary, standby };
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const file = join(dir, '.services', 'postgres.env');
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      const p = /^ROTORTREE_PG_PRIMARY=(.+)$/m.exec(text)?.[1]?.trim();
      const s = /^ROTORTREE_PG_STANDBY=(.+)$/m.exec(text)?.[1]?.trim();
      return p && s ? { primary: p, standby: s } : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

const now = () => performance.timeOrigin + performance.now();

export async function followerLagBench(ctx: BenchContext): Promise<void> {
  const { quick, results } = ctx;
  const title = 'Follower lag on PostgreSQL (N=4, BLAKE3, primary + synchronous standby)';
  const pair = findPair();
  if (pair === undefined) {
    results.table({ title, header: ['skipped'], rows: [['no PostgreSQL pair configured: `bash scripts/services/postgres.sh start` first']] });
    return;
  }
  const seconds = quick ? 2 : 6;
  const total = RATE * seconds;
  const leaves = makeLeaves(total);
  const tree = `lag-${process.pid}`;
  const admin = new pg.Client({ connectionString: pair.primary });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  try {
    const writer = await RotorTree.open({
      hasher: blake3(),
      n: 4,
      maxDepth: 32,
      wal: postgresWal({ connection: pair.primary, tree, schema: SCHEMA, synchronousCommit: 'remote_apply' }),
      flushPolicy: { kind: 'interval', ms: 10 },
    });
    writer.insert(leaves.subarray(0, 32));
    await writer.flush();
    const child = fork(fileURLToPath(new URL('./follower-lag-child.js', import.meta.url)), [pair.standby, tree, SCHEMA, String(POLL_MS)]);
    const states = new Promise<{ sizes: number[]; times: number[]; error?: string }>((resolve) => child.on('message', (m: { kind: string }) => m.kind === 'states' && resolve(m as never)));
    await new Promise<void>((resolve) => child.on('message', (m: { kind: string }) => m.kind === 'ready' && resolve()));

    // Single inserts at RATE, in steps of 1 ms; one token per step tells when its flush was acknowledged.
    const acks: { size: number; t: number }[] = [];
    const waits: Promise<void>[] = [];
    let size = 1;
    const t0 = now();
    while (size < total) {
      const due = Math.min(total, 1 + Math.floor(((now() - t0) / 1000) * RATE));
      if (due <= size) {
        await sleep(1);
        continue;
      }
      let token;
      for (; size < due; size++) token = writer.insert(leaves.subarray(size * 32, size * 32 + 32)).token;
      const acked = size;
      waits.push(token!.wait().then(() => void acks.push({ size: acked, t: now() })));
    }
    await Promise.all(waits);
    const writeMs = now() - t0;
    await sleep(200);
    child.send('stop');
    const got = await states;
    await writer.close();

    const lags: number[] = [];
    let k = 0;
    for (const ack of acks.sort((a, b) => a.size - b.size)) {
      while (k < got.sizes.length && got.sizes[k]! < ack.size) k++;
      if (k < got.sizes.length) lags.push(Math.max(0, got.times[k]! - ack.t));
    }
    lags.sort((a, b) => a - b);
    const q = (f: number) => lags[Math.min(lags.length - 1, Math.floor(f * lags.length))] ?? Number.NaN;
    const median = q(0.5);
    if (lags.length > 0) results.metric('follower.lag.postgres', median);
    const rate = ((total - 1) / writeMs) * 1000;
    results.table({
      title,
      header: ['workload', 'result', 'target', 'status'],
      rows: [
        [
          `follower lag behind the writer's acknowledged flushes, single inserts at ${(rate / 1000).toFixed(0)}k/s for ${seconds} s`,
          `median ${median.toFixed(1)} ms, p90 ${q(0.9).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${q(1).toFixed(1)} ms (${lags.length} acknowledgements; ${got.sizes.length} sizes served)`,
          '<= 20 ms median',
          median <= 20 ? 'met' : '**missed**',
        ],
      ],
      note:
        `The writer (this process) flushes every 10 ms with synchronous_commit = remote_apply; the follower (another process) reads the synchronous standby every ${POLL_MS} ms ` +
        `(postgresWalReader: one REPEATABLE READ snapshot, the tree row, the mark, the new rows by binary COPY). Lag: from the writer's token resolving to the follower serving that size.` +
        (got.error === undefined ? '' : ` The follower's last read failed: ${got.error}.`),
    });
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => undefined);
    await admin.end();
  }
}
