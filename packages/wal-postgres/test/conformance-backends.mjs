// The combinations of the PostgreSQL WAL the conformance suite runs, as a plain ES module so that
// the kill harness's child processes (plain node) can import it too. Imports only built code.
// The connection comes from ROTORTREE_PG_PRIMARY (scripts/test.sh exports it) or .services.
import { basename } from 'node:path';
import pg from 'pg';
import { memoryCheckpointStore } from '@rotortree/core';
import { joinPath } from '@rotortree/core/fs';
import { mmapCheckpointStore } from '@rotortree/checkpoint-mmap';
import { postgresController, postgresFraming } from '@rotortree/conformance/network';
import { blake3 } from '@rotortree/hasher-blake3';
import { postgresWal } from '../dist/index.js';

/** A tree name per simulated machine (a reopen is a second call with the same machine). */
const names = new WeakMap();
let counter = 0;

/** The tree of `machine`: from its directory on a real machine (shared by processes), else its own. */
function treeOf(machine, prefix) {
  if (machine.real) return `${prefix}-${basename(machine.dir)}`;
  let name = names.get(machine);
  if (name === undefined) {
    name = `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
    names.set(machine, name);
  }
  return name;
}

/** Runs `sql` on a short-lived client of `connection`. */
async function onServer(connection, fn) {
  const client = new pg.Client({ connectionString: connection, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The suite's network crash mode over the server of `connection`: WALs through the suite's proxy,
 * PostgreSQL framing, rows damaged and copied with plain SQL, and the controller of a pair this
 * repository's script started (`pair`: kill -9, restart, standby stop; only for a private pair).
 */
function networkMode(connection, pair) {
  const url = new URL(connection);
  const user = decodeURIComponent(url.username);
  const database = url.pathname.slice(1) || user;
  return {
    server: { host: url.hostname, port: Number(url.port || 5432) },
    framing: postgresFraming,
    wal: (_machine, target) =>
      postgresWal({
        connection: { host: target.host, port: target.port, user, database },
        tree: target.log,
        takeover: target.takeover,
        timeoutMs: target.timeoutMs,
        lockTimeoutMs: Math.min(1_000, target.timeoutMs),
      }),
    ...(pair === undefined ? {} : { controller: postgresController(pair) }),
    damageRecord: (log, seq) =>
      onServer(connection, async (client) => {
        const { rows } = await client.query(
          'UPDATE rotortree.records SET body = set_byte(body, 0, get_byte(body, 0) # 1) WHERE tree = $1 AND first_seq <= $2 AND last_seq >= $2 AND part = 0 RETURNING first_seq',
          [log, seq],
        );
        if (rows.length !== 1) throw new Error(`no row of ${log} holds seq ${seq}`);
        return `tree=${log}, first_seq=${rows[0].first_seq}, part=0`;
      }),
    copyRecords: (from, to) =>
      onServer(connection, async (client) => {
        await client.query('BEGIN');
        await client.query('DELETE FROM rotortree.records WHERE tree = $1', [to]);
        await client.query('INSERT INTO rotortree.records (tree, first_seq, part, last_seq, crc, body) SELECT $2, first_seq, part, last_seq, crc, body FROM rotortree.records WHERE tree = $1', [from, to]);
        await client.query('COMMIT');
      }),
  };
}

/**
 * The backend of `{ connection, store, n?, network?, pair? }`: store is none, memory or mmap;
 * `network: true` adds the network crash mode, `pair` (a private pair's info) its controller.
 */
export function createBackend({ connection, store, n, network, pair }) {
  const prefix = `conformance-${store}`;
  return {
    name: `wal=postgres checkpoints=${store}${n === undefined ? '' : ` n=${n}`}${pair === undefined ? '' : ' (private server pair)'}`,
    hasher: blake3(),
    referenceHasher: blake3({ backend: 'js' }),
    wal: (machine) => postgresWal({ connection, tree: treeOf(machine, prefix), timeoutMs: 10_000, lockTimeoutMs: 1_000 }),
    ...(store === 'none'
      ? {}
      : {
          checkpoints(machine) {
            if (store === 'memory') return memoryCheckpointStore({ disk: machine.disk });
            const dir = joinPath(machine.dir, 'checkpoints');
            return machine.real ? mmapCheckpointStore({ dir }) : mmapCheckpointStore({ dir, fs: machine.fs, mmap: 'off' });
          },
        }),
    // Crashes of the client process are the kill harness's; crashes of the server, partitions and
    // takeovers are the network crash mode's.
    supports: { crashSimulation: false, locking: 'process' },
    ...(network === true || pair !== undefined ? { network: networkMode(connection, pair) } : {}),
  };
}
