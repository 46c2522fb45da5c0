/**
 * The engine over the PostgreSQL WAL (`@rotortree/wal-postgres`) on a primary with a synchronous
 * standby, beside raw node-postgres writes of the same bytes measured in the same run.
 *
 * The server: `ROTORTREE_PG_PRIMARY` (a connection string), else the `.services/postgres.env` that
 * `bash scripts/services/postgres.sh start` writes. Without one the section prints a note and skips.
 * Everything it writes goes to a schema of its own (`rotortree_bench`), dropped at the end.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { RotorTree } from '@rotortree/core';
import type { DurabilityToken, Hasher } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { postgresWal } from '@rotortree/wal-postgres';
import { median, medianOf, millionsPerSecond } from './harness.js';
import { makeLeaves } from './leaves.js';
import type { BenchContext } from './results.js';

const SCHEMA = 'rotortree_bench';
/** The WAL's rows are at most 1 MiB: the raw writes use the same rows (and one big row). */
const ROW_BYTES = 1 << 20;

/** The primary's connection string, or undefined when no server is configured. */
function findServer(): string | undefined {
  const fromEnv = process.env['ROTORTREE_PG_PRIMARY'];
  if (fromEnv) return fromEnv;
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const file = join(dir, '.services', 'postgres.env');
    if (existsSync(file)) return /^ROTORTREE_PG_PRIMARY=(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.trim();
    if (dirname(dir) === dir) return undefined;
  }
}

let trees = 0;
/** A tree name of its own. */
function newTreeName(): string {
  return `bench-${process.pid}-${++trees}`;
}

async function openTree(connection: string, hasher: Hasher, manual: boolean, tree = newTreeName()): Promise<RotorTree> {
  const wal = postgresWal({ connection, tree, schema: SCHEMA });
  return RotorTree.open({ hasher, n: 4, maxDepth: 32, wal, flushPolicy: manual ? { kind: 'manual' } : { kind: 'interval', ms: 10 } });
}

/**
 * `COPY ... FROM STDIN (FORMAT binary)` of prepared bytes: node-postgres has no COPY API of its
 * own, this is a Submittable (the client calls `submit`, then `handleCopyInResponse` when the
 * server is ready for the data).
 */
class CopyIn {
  callback: ((err: Error | undefined) => void) | undefined;
  #error: Error | undefined;
  constructor(
    readonly sql: string,
    readonly chunks: readonly Uint8Array[],
  ) {}
  submit(connection: { query(text: string): void }): void {
    connection.query(this.sql);
  }
  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    for (const chunk of this.chunks) connection.sendCopyFromChunk(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    connection.endCopyFrom();
  }
  handleError(err: Error): void {
    this.#error ??= err;
  }
  handleReadyForQuery(): void {
    this.callback?.(this.#error);
  }
}
// The other messages of the exchange need no action.
for (const name of ['handleCommandComplete', 'handleRowDescription', 'handleDataRow', 'handleEmptyQuery', 'handlePortalSuspended', 'handleCopyData']) {
  Object.defineProperty(CopyIn.prototype, name, { value: () => undefined });
}

/** The binary COPY stream of rows `(k, part, body)`: one CopyData chunk per row. */
function copyChunks(k: number, bytes: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  const header = Uint8Array.of(0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0);
  for (let part = 0, at = 0; at < bytes.length; part++, at += ROW_BYTES) {
    const body = bytes.subarray(at, Math.min(at + ROW_BYTES, bytes.length));
    const head = new Uint8Array((part === 0 ? header.length : 0) + 2 + 4 + 8 + 4 + 4 + 4);
    const view = new DataView(head.buffer);
    let p = 0;
    if (part === 0) {
      head.set(header);
      p = header.length;
    }
    view.setInt16(p, 3);
    view.setInt32(p + 2, 8);
    view.setBigInt64(p + 6, BigInt(k));
    view.setInt32(p + 14, 4);
    view.setInt32(p + 18, part);
    view.setInt32(p + 22, body.length);
    chunks.push(head, body);
  }
  chunks.push(Uint8Array.of(0xff, 0xff));
  return chunks;
}

function runSubmittable(client: pg.Client, copy: CopyIn): Promise<void> {
  return new Promise((resolve, reject) => {
    copy.callback = (err) => (err === undefined ? resolve() : reject(err));
    client.query(copy as unknown as pg.Submittable);
  });
}

export async function postgresBench(ctx: BenchContext): Promise<void> {
  const { quick, results } = ctx;
  const title = 'PostgreSQL WAL (N=4, BLAKE3, primary + synchronous standby)';
  const connection = findServer();
  if (connection === undefined) {
    results.table({ title, header: ['skipped'], rows: [['no PostgreSQL configured: `bash scripts/services/postgres.sh start` (or ROTORTREE_PG_PRIMARY) first']] });
    return;
  }
  const hasher = blake3();
  const runs = quick ? 3 : 5;
  const rows: string[][] = [];
  const raw = new pg.Client({ connectionString: connection });
  await raw.connect();
  try {
    await raw.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await raw.query(`CREATE SCHEMA ${SCHEMA}`);
    await raw.query(`CREATE TABLE ${SCHEMA}.raw (k bigint, part integer, body bytea NOT NULL, PRIMARY KEY (k, part))`);
    await raw.query(`ALTER TABLE ${SCHEMA}.raw ALTER COLUMN body SET STORAGE EXTERNAL`);
    const standbys = (await raw.query("SELECT count(*)::int AS n FROM pg_stat_replication WHERE sync_state = 'sync'")).rows[0].n as number;
    let key = 0;

    // 1. Single inserts under group commit (interval 10 ms), tokens awaited together.
    const singles = quick ? 50_000 : 200_000;
    const singleLeaves = makeLeaves(singles);
    const singleMs = await medianOf(async () => {
      const tree = await openTree(connection, hasher, false);
      const t0 = performance.now();
      let last: DurabilityToken | undefined;
      for (let i = 0; i < singles; i++) last = tree.insert(singleLeaves.subarray(i * 32, i * 32 + 32)).token;
      await last!.wait();
      const ms = performance.now() - t0;
      await tree.close();
      return ms;
    }, runs);
    results.metric('postgres.singles', singles / singleMs * 1000);
    rows.push([`insert x${singles}, interval 10 ms, tokens awaited together`, `${(millionsPerSecond(singles, singleMs) * 1000).toFixed(0)} k durable inserts/s`, '>= 200 k/s', millionsPerSecond(singles, singleMs) >= 0.2 ? 'met' : '**missed**']);

    // 2. insertDurable one at a time vs a raw one-row INSERT (autocommit) of the same 44 bytes (a
    //    leaf and its row's group table), in alternating blocks.
    const block = quick ? 50 : 200;
    const blocks = quick ? 2 : 4;
    const tree = await openTree(connection, hasher, false);
    const rowBytes = new Uint8Array(44);
    const durable: number[] = [];
    const rawTimes: number[] = [];
    let next = 0;
    const durableBlock = async (keep: boolean) => {
      for (let i = 0; i < block; i++, next++) {
        const t0 = performance.now();
        await tree.insertDurable(singleLeaves.subarray((next % singles) * 32, (next % singles) * 32 + 32));
        if (keep) durable.push(performance.now() - t0);
      }
    };
    const rawBlock = async (keep: boolean) => {
      for (let i = 0; i < block; i++) {
        const t0 = performance.now();
        await raw.query({ name: 'raw1', text: `INSERT INTO ${SCHEMA}.raw (k, part, body) VALUES ($1, 0, $2)`, values: [++key, rowBytes] });
        if (keep) rawTimes.push(performance.now() - t0);
      }
    };
    await durableBlock(false);
    await rawBlock(false);
    for (let b = 0; b < blocks; b++) {
      await rawBlock(true);
      await durableBlock(true);
    }
    await tree.close();
    const ratio = median(durable) / median(rawTimes);
    results.metric('postgres.durableRatio', ratio);
    rows.push([
      `insertDurable one at a time (${block * blocks}, median latency)`,
      `${(median(durable) * 1000).toFixed(0)} µs; raw one-row INSERT + COMMIT ${(median(rawTimes) * 1000).toFixed(0)} µs; ratio ${ratio.toFixed(2)}`,
      '<= 1.3 x',
      ratio <= 1.3 ? 'met' : '**missed**',
    ]);

    // 3. insertMany of 1M + flush vs the raw commit of the same 32 MiB: one INSERT of its rows of
    //    1 MiB, a transaction of one INSERT per row, one row of 32 MiB, COPY of the rows; the
    //    fastest is the floor.
    const bulk = quick ? 1 << 18 : 1 << 20;
    const bulkLeaves = makeLeaves(bulk);
    const rowsOf = (bytes: Uint8Array) => {
      const parts: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += ROW_BYTES) parts.push(bytes.subarray(at, Math.min(at + ROW_BYTES, bytes.length)));
      return parts;
    };
    const rawInsertRows = async () => {
      const parts = rowsOf(bulkLeaves);
      const k = ++key;
      const values: unknown[] = [k];
      const tuples = parts.map((p, i) => {
        values.push(p);
        return `($1, ${i}, $${i + 2}::bytea)`;
      });
      const t0 = performance.now();
      await raw.query(`INSERT INTO ${SCHEMA}.raw (k, part, body) VALUES ${tuples.join(', ')}`, values);
      return performance.now() - t0;
    };
    const rawInsertPerRow = async () => {
      const parts = rowsOf(bulkLeaves);
      const k = ++key;
      const t0 = performance.now();
      await raw.query('BEGIN');
      for (const [i, p] of parts.entries()) await raw.query({ name: 'rawrow', text: `INSERT INTO ${SCHEMA}.raw (k, part, body) VALUES ($1, $2, $3)`, values: [k, i, p] });
      await raw.query('COMMIT');
      return performance.now() - t0;
    };
    const rawInsertOne = async () => {
      const t0 = performance.now();
      await raw.query(`INSERT INTO ${SCHEMA}.raw (k, part, body) VALUES ($1, 0, $2)`, [++key, bulkLeaves]);
      return performance.now() - t0;
    };
    const rawCopy = async () => {
      const chunks = copyChunks(++key, bulkLeaves);
      const t0 = performance.now();
      await runSubmittable(raw, new CopyIn(`COPY ${SCHEMA}.raw (k, part, body) FROM STDIN (FORMAT binary)`, chunks));
      return performance.now() - t0;
    };
    const engineBulk = async () => {
      const t = await openTree(connection, hasher, true);
      const t0 = performance.now();
      t.insertMany(bulkLeaves);
      await t.flush();
      const ms = performance.now() - t0;
      await t.close();
      return ms;
    };
    // Interleaved: each round measures every variant once.
    const times: Record<'engine' | 'rows' | 'perRow' | 'one' | 'copy', number[]> = { engine: [], rows: [], perRow: [], one: [], copy: [] };
    await engineBulk();
    await rawInsertRows();
    for (let r = 0; r < runs; r++) {
      times.rows.push(await rawInsertRows());
      times.engine.push(await engineBulk());
      times.perRow.push(await rawInsertPerRow());
      times.copy.push(await rawCopy());
      times.one.push(await rawInsertOne());
      await raw.query(`TRUNCATE ${SCHEMA}.raw`);
    }
    const mib = (bulk * 32) / 2 ** 20;
    const rowCount = Math.ceil((bulk * 32) / ROW_BYTES);
    const floors = {
      [`one INSERT of ${rowCount} rows of 1 MiB`]: median(times.rows),
      [`a transaction of ${rowCount} one-row INSERTs of 1 MiB`]: median(times.perRow),
      [`one INSERT of one ${mib} MiB row`]: median(times.one),
      [`COPY (binary) of ${rowCount} rows of 1 MiB`]: median(times.copy),
    };
    const [floorName, floorMs] = Object.entries(floors).sort((a, b) => a[1] - b[1])[0]!;
    const bulkMs = median(times.engine);
    results.metric('postgres.bulkRatio', bulkMs / floorMs);
    rows.push([
      `insertMany of ${bulk} + flush`,
      `${bulkMs.toFixed(0)} ms (${millionsPerSecond(bulk, bulkMs).toFixed(1)} M leaves/s); raw ${mib} MiB: ${Object.entries(floors).map(([n, ms]) => `${n} ${ms.toFixed(0)} ms`).join(', ')}; ratio to the fastest (${floorName}) ${(bulkMs / floorMs).toFixed(2)}`,
      '<= 1.3 x',
      bulkMs / floorMs <= 1.3 ? 'met' : '**missed**',
    ]);

    // 4. Open + replay of 100k single-insert records: in one flush (one row), and flushed every
    //    100 inserts (1,000 rows: a writer at ~10k inserts/s with 10 ms group commits).
    const replayCount = 100_000;
    const replayLeaves = makeLeaves(replayCount);
    for (const every of [replayCount, 100]) {
      const treeName = newTreeName();
      const t = await openTree(connection, hasher, true, treeName);
      for (let i = 0; i < replayCount; i++) {
        t.insert(replayLeaves.subarray(i * 32, i * 32 + 32));
        if ((i + 1) % every === 0) await t.flush();
      }
      await t.close();
      const stored = (await raw.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.records WHERE tree = $1`, [treeName])).rows[0].n as number;
      const openMs = await medianOf(async () => {
        const t0 = performance.now();
        const again = await openTree(connection, hasher, true, treeName);
        const ms = performance.now() - t0;
        if (again.size !== replayCount) throw new Error('replay lost records');
        await again.close();
        return ms;
      }, quick ? 3 : 7);
      if (every === replayCount) results.metric('postgres.replay100k', openMs);
      rows.push([
        `open + replay of ${replayCount} single-insert records, ${every === replayCount ? 'one flush' : `a flush every ${every}`} (${stored} rows)`,
        `${openMs.toFixed(1)} ms (connect, settings, schema check, writership, read by binary COPY, rebuild)`,
        '<= 50 ms',
        openMs <= 50 ? 'met' : '**missed**',
      ]);
    }

    const file = results.get('durable.singles');
    results.table({
      title,
      header: ['workload', 'result', 'target', 'status'],
      rows,
      note:
        `${standbys} synchronous standby(s) connected; synchronous_commit = on. Medians of ${runs} runs after a warm-up run; insertDurable and the raw INSERT alternate in blocks of ${block}, ` +
        `the bulk variants in rounds. The raw writes go to a plain table of the same shape (bytea stored EXTERNAL) over one node-postgres client.` +
        (file === undefined ? '' : ` The file WAL's rows are in the durability table of this run (${file.toFixed(2)} M durable single inserts/s there).`),
    });
  } finally {
    await raw.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => undefined);
    await raw.end();
  }
}
