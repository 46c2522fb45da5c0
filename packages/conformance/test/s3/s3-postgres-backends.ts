/**
 * wal-postgres x checkpoint-s3: the log in the PostgreSQL pair, the checkpoints in the RGW, the
 * checkpoint pointer in the tree's row, fenced by the WAL's epoch (`postgresCheckpointPointer`).
 * A writer's store publishes under the epoch of the WAL opened last on its machine (the engine
 * opens the WAL first); followers read the log on the standby (the writer commits with
 * `remote_apply`, so what it was told is durable is visible there); readers of the pointer read the
 * primary.
 *
 * `@rotortree/wal-postgres` is loaded from its built `dist` by path, not declared as a dependency:
 * its tests depend on this package (a cycle turbo refuses). `scripts/test.sh` builds every package
 * before any test runs; without the build the tests say so (and fail under CI).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CheckpointStore, Wal, WalReader } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { s3CheckpointStore } from '@rotortree/checkpoint-s3';
import type { CheckpointPointer } from '@rotortree/checkpoint-s3';
import type { BackendUnderTest, Machine } from '../../src/index.js';
import type { S3Fixture, S3StoreOptions } from '../../src/checks/s3-fixture.js';
import type { PostgresService } from '../../src/network/index.js';
import type { S3Place } from './s3-backends.js';
import { keysOf, prefixOf } from './s3-backends.js';

/** What these tests use of `@rotortree/wal-postgres`. */
interface WalPostgres {
  postgresWal(options: { connection: string; tree: string; timeoutMs?: number; lockTimeoutMs?: number; takeover?: boolean; synchronousCommit?: string }): Wal;
  postgresWalReader(options: { connection: string; tree: string; timeoutMs?: number }): WalReader;
  postgresCheckpointPointer(options: { wal: Wal } | { connection: string; tree: string; timeoutMs?: number }): CheckpointPointer;
}

const DIST = fileURLToPath(new URL('../../../wal-postgres/dist/index.js', import.meta.url));

/** The built wal-postgres, or why not. */
export async function loadWalPostgres(): Promise<{ available: true; info: WalPostgres } | { available: false; reason: string }> {
  if (!existsSync(DIST)) return { available: false, reason: `@rotortree/wal-postgres is not built (${DIST}): run the build first` };
  return { available: true, info: (await import(DIST)) as WalPostgres };
}

let trees = 0;
const machineTrees = new WeakMap<Machine, string>();
const machineWals = new WeakMap<Machine, Wal>();

/** The tree name of `machine` (one per machine object). */
function treeOf(machine: Machine): string {
  let name = machineTrees.get(machine);
  if (name === undefined) machineTrees.set(machine, (name = `s3conf-${process.pid}-${Date.now().toString(36)}-${trees++}`));
  return name;
}

/** Where the pieces are. */
export interface PostgresS3Place {
  readonly s3: S3Place;
  readonly pg: PostgresService;
  readonly lib: WalPostgres;
}

function walOn(place: PostgresS3Place, machine: Machine, takeover: boolean): Wal {
  const wal = place.lib.postgresWal({ connection: place.pg.primary, tree: treeOf(machine), timeoutMs: 10_000, lockTimeoutMs: 1_000, takeover, synchronousCommit: 'remote_apply' });
  machineWals.set(machine, wal);
  return wal;
}

/** A store of `machine`'s tree: a writer's publishes through the pointer of the machine's last WAL. */
function storeOn(place: PostgresS3Place, machine: Machine, options: S3StoreOptions = {}): CheckpointStore {
  const { endpoint, ...rest } = { ...place.s3.storeDefaults, ...options };
  const wal = machineWals.get(machine);
  const pointer =
    options.readOnly === true || wal === undefined
      ? place.lib.postgresCheckpointPointer({ connection: place.pg.primary, tree: treeOf(machine), timeoutMs: 10_000 })
      : place.lib.postgresCheckpointPointer({ wal });
  const info = place.s3.info;
  return s3CheckpointStore({
    endpoint: endpoint ?? info.endpoint,
    region: info.region,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    bucket: place.s3.bucket,
    prefix: prefixOf(machine),
    pointer,
    ...rest,
  });
}

/** wal-postgres x checkpoint-s3 for the suite's groups that apply without simulated crashes. */
export function postgresS3Backend(place: PostgresS3Place, n: number): BackendUnderTest {
  return {
    name: `wal=postgres checkpoints=s3 blake3=js n=${n}`,
    hasher: blake3({ backend: 'js' }),
    wal: (m) => walOn(place, m, false),
    walReader: (m) => place.lib.postgresWalReader({ connection: place.pg.standby, tree: treeOf(m), timeoutMs: 10_000 }),
    checkpoints: (m) => storeOn(place, m),
    checkpointReader: (m) => storeOn(place, m, { readOnly: true }),
    // The server's crashes are the S3 groups' and wal-postgres's own tests'.
    supports: { crashSimulation: false, locking: 'instance' },
  };
}

/** wal-postgres x checkpoint-s3 for the S3 groups: a takeover raises the WAL's epoch (the old writer lives on, fenced). */
export function postgresS3Fixture(place: PostgresS3Place, n: number): S3Fixture {
  return {
    backend: postgresS3Backend(place, n),
    endpoint: place.s3.info.endpoint,
    store: (m, options) => storeOn(place, m, options),
    keys: (m) => keysOf(place.s3, m),
    takeoverWal: (m) => walOn(place, m, true),
  };
}
