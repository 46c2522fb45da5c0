/**
 * `postgresCheckpointPointer()`: the commit point of a checkpoint store kept in object storage
 * (`@rotortree/checkpoint-s3`'s `CheckpointPointer`: which manifest is the tree's checkpoint) in the
 * tree's `checkpoint_pointers` row (tree-state.ts), fenced by the WAL's epoch.
 *
 * - A writer's pointer is made from its `postgresWal()`: `claim` returns the epoch the WAL took when
 *   it opened (the engine opens the WAL before the checkpoint store), so the store's keys carry it
 *   and the log and the checkpoints have one writer, fenced by one number.
 * - `publish(next, previous)` is one statement that joins the tree row `FOR SHARE` with this epoch
 *   and replaces the row only while it names `previous`: after a takeover (the epoch rose) it
 *   changes nothing and the publish is `FENCED`. A retry whose first attempt landed finds `next`
 *   there: success.
 * - A reader's pointer (`{ connection, tree }`, e.g. on the standby) only reads.
 *
 * This package does not depend on `@rotortree/checkpoint-s3`: the types below have the shapes of
 * its `PointerTarget`, `PointerClaim` and `CheckpointPointer` (TypeScript compares shapes).
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import type { Wal } from '@rotortree/core';
import type { TreeIdentity } from '@rotortree/core/backend';
import { describeServer, resolveOptions } from './options.js';
import type { PostgresConnectionConfig, ResolvedOptions } from './options.js';
import { tablesIn } from './schema.js';
import { Session } from './session.js';
import { isMissingTable, stateTablesIn } from './tree-state.js';
import type { StateTables } from './tree-state.js';
import { writerSourceOf } from './writer-registry.js';
import type { WriterSource } from './writer-registry.js';

/** What a published pointer names (the shape of checkpoint-s3's `PointerTarget`). */
export interface CheckpointTarget {
  readonly manifestKey: string;
  readonly seq: number;
  readonly size: number;
  readonly manifestBytes: number;
  readonly manifestCrc: number;
}

/** What a writer learns when it takes the pointer (checkpoint-s3's `PointerClaim`). */
export interface CheckpointClaim {
  readonly epoch: number;
  readonly current: CheckpointTarget | undefined;
}

/** A checkpoint pointer in PostgreSQL (checkpoint-s3's `CheckpointPointer`). */
export interface PostgresCheckpointPointer {
  readonly location: string;
  claim(tree: TreeIdentity): Promise<CheckpointClaim>;
  read(tree: TreeIdentity): Promise<CheckpointTarget | undefined>;
  publish(next: CheckpointTarget, previous: CheckpointTarget | undefined): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link postgresCheckpointPointer}: a writer's WAL, or a connection for a reader. */
export type PostgresCheckpointPointerOptions =
  | {
      /** The writer's `postgresWal()`: the pointer publishes under its epoch, on a session of its own. */
      readonly wal: Wal;
    }
  | {
      /** A reader's connection (a standby is fine): `claim` and `publish` throw `TypeError`. */
      readonly connection: string | PostgresConnectionConfig;
      readonly tree: string;
      /** Default `rotortree`. */
      readonly schema?: string;
      /** Bound of every query, in ms (default 10,000). */
      readonly timeoutMs?: number;
    };

/**
 * The checkpoint pointer of a tree kept in PostgreSQL (see the module doc): give it as
 * `s3CheckpointStore({ pointer })`. With `{ wal }` (a `postgresWal()`), a writer's; with `{
 * connection, tree }`, a reader's. Connects at its first use.
 */
export function postgresCheckpointPointer(options: PostgresCheckpointPointerOptions): PostgresCheckpointPointer {
  if (options === null || typeof options !== 'object') throw new TypeError('postgresCheckpointPointer needs { wal } or { connection, tree }');
  if ('wal' in options) {
    const source = writerSourceOf(options.wal);
    if (source === undefined) throw new TypeError('wal must be a WAL made by postgresWal()');
    return new PgPointer(source.options, source);
  }
  const resolved = resolveOptions({
    connection: options.connection,
    tree: options.tree,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return new PgPointer(resolved, undefined);
}

const COLUMNS = 'p.manifest_key, p.seq, p.size, p.manifest_bytes, p.manifest_crc';

class PgPointer implements PostgresCheckpointPointer {
  readonly location: string;
  readonly #options: ResolvedOptions;
  readonly #writer: WriterSource | undefined;
  readonly #tables: StateTables;
  #session: Session | undefined;
  #closed = false;

  constructor(options: ResolvedOptions, writer: WriterSource | undefined) {
    this.#options = options;
    this.#writer = writer;
    this.#tables = stateTablesIn(tablesIn(options.schema));
    this.location = `${describeServer(options.client)} ${options.schema}.checkpoint_pointers[${options.tree}]`;
  }

  async claim(tree: TreeIdentity): Promise<CheckpointClaim> {
    const writer = this.#writer;
    if (writer === undefined) throw new TypeError('a reader pointer ({ connection, tree }) cannot claim: give { wal }');
    const epoch = writer.epoch();
    if (epoch === 0) throw new TypeError('the pointer needs its WAL opened first (open the tree with this WAL and this store)');
    const row = await this.#row(tree.treeId);
    if (row.epoch !== epoch) throw this.#fenced(epoch, row.epoch);
    return { epoch, current: row.target };
  }

  async read(tree: TreeIdentity): Promise<CheckpointTarget | undefined> {
    return (await this.#row(tree.treeId)).target;
  }

  async publish(next: CheckpointTarget, previous: CheckpointTarget | undefined): Promise<void> {
    const writer = this.#writer;
    if (writer === undefined) throw new TypeError('a reader pointer ({ connection, tree }) cannot publish');
    const epoch = writer.epoch();
    const t = this.#tables;
    const session = await this.#connected();
    session.notices.length = 0;
    const { rowCount } = await this.#io(() =>
      session.query(
        `WITH fence AS (SELECT FROM ${t.trees} WHERE name = $1 AND epoch = $2 FOR SHARE)
         INSERT INTO ${t.pointers} AS p (tree, epoch, manifest_key, seq, size, manifest_bytes, manifest_crc)
           SELECT $1, $2, $3, $4::bigint, $5::bigint, $6::bigint, $7::bigint FROM fence
         ON CONFLICT (tree) DO UPDATE SET epoch = EXCLUDED.epoch, manifest_key = EXCLUDED.manifest_key, seq = EXCLUDED.seq,
             size = EXCLUDED.size, manifest_bytes = EXCLUDED.manifest_bytes, manifest_crc = EXCLUDED.manifest_crc
           WHERE p.manifest_key IS NOT DISTINCT FROM $8::text`,
        [this.#options.tree, epoch, next.manifestKey, next.seq, next.size, next.manifestBytes, next.manifestCrc, previous?.manifestKey ?? null],
      ),
    );
    const notice = session.notices[0];
    if (notice !== undefined) {
      this.#drop();
      throw new RotorTreeError('IO', `${this.location}: the server warned during the publish (${notice.message}): its outcome is unknown`, { file: this.location, cause: notice });
    }
    if (rowCount === 1) return;
    // Nothing changed: our own earlier attempt landed (a retry), or we are not the writer any more.
    const row = await this.#row(undefined);
    if (row.target !== undefined && sameTarget(row.target, next)) return;
    if (row.epoch !== epoch) throw this.#fenced(epoch, row.epoch);
    throw new RotorTreeError('FENCED', `${this.location}: the pointer no longer names what epoch ${epoch} published last (${previous?.manifestKey ?? 'nothing'}); nothing was published`, {
      file: this.location,
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const session = this.#session;
    this.#session = undefined;
    await session?.end();
  }

  /** The tree row's epoch and the published target; a row of another tree than `treeId` is `CORRUPTION`. */
  async #row(treeId: string | undefined): Promise<{ epoch: number | undefined; target: CheckpointTarget | undefined }> {
    const session = await this.#connected();
    const t = this.#tables;
    let rows: unknown[][];
    try {
      ({ rows } = await this.#io(() =>
        session.query(`SELECT t.epoch, t.tree_id, ${COLUMNS} FROM ${t.trees} t LEFT JOIN ${t.pointers} p ON p.tree = t.name WHERE t.name = $1`, [this.#options.tree]),
      ));
    } catch (err) {
      // No tables yet (a reader before any writer of this build): nothing published.
      if (err instanceof RotorTreeError && isMissingTable(err.cause)) return { epoch: undefined, target: undefined };
      throw err;
    }
    const row = rows[0] as (string | null)[] | undefined;
    if (row === undefined) return { epoch: undefined, target: undefined };
    const [epoch, stored, key, seq, size, bytes, crc] = row;
    if (treeId !== undefined && stored !== null && stored !== undefined && stored !== treeId) {
      throw new RotorTreeError('CORRUPTION', `${this.location}: the row belongs to tree ${stored}; this tree is ${treeId}`, { file: this.location });
    }
    if (key === null || key === undefined) return { epoch: Number(epoch), target: undefined };
    const target = { manifestKey: key, seq: Number(seq), size: Number(size), manifestBytes: Number(bytes), manifestCrc: Number(crc) };
    const whole = (v: number) => Number.isSafeInteger(v) && v >= 0;
    if (!whole(target.seq) || !whole(target.size) || !whole(target.manifestBytes) || !whole(target.manifestCrc) || target.manifestCrc > 0xffff_ffff) {
      throw new RotorTreeError('CORRUPTION', `${this.location}: the row is damaged (${JSON.stringify(row)})`, { file: this.location });
    }
    return { epoch: Number(epoch), target };
  }

  async #connected(): Promise<Session> {
    if (this.#closed) throw new RotorTreeError('CLOSED', `${this.location}: the pointer is closed`);
    if (this.#session !== undefined && this.#session.lost === undefined) return this.#session;
    const o = this.#options;
    const session = await this.#io(() => Session.connect(o.client, { timeoutMs: o.timeoutMs, lockTimeoutMs: o.lockTimeoutMs, applicationName: 'rotortree-pointer' }));
    // A publish is as durable as the WAL's flushes (it waits for the same standbys).
    await this.#io(() => session.script(`SET client_min_messages = warning; SET synchronous_commit = '${o.synchronousCommit}'`)).catch(async (err: unknown) => {
      await session.end();
      throw err;
    });
    this.#session = session;
    return session;
  }

  /** Runs a query: its failure is `IO` naming the pointer (the session is dropped: the next use reconnects). */
  async #io<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof RotorTreeError) throw err;
      if (!isMissingTable(err)) this.#drop();
      throw new RotorTreeError('IO', `${this.location}: ${(err as Error).message}`, { file: this.location, cause: err });
    }
  }

  #drop(): void {
    const session = this.#session;
    this.#session = undefined;
    void session?.end();
  }

  #fenced(mine: number, theirs: number | undefined): RotorTreeError {
    return new RotorTreeError('FENCED', `${this.location}: epoch ${mine} may no longer publish: the tree is held by epoch ${theirs ?? '(none)'}`, { file: this.location });
  }
}

function sameTarget(a: CheckpointTarget, b: CheckpointTarget): boolean {
  return a.manifestKey === b.manifestKey && a.seq === b.seq && a.size === b.size && a.manifestBytes === b.manifestBytes && a.manifestCrc === b.manifestCrc;
}
