/**
 * `postgresWal()`: the tree's write-ahead log in PostgreSQL tables (schema.ts, rows in format.ts).
 * The rules of the `Wal` contract are `WalBase`'s; this file is the I/O: a session of its own
 * (session.ts), the writership (writership.ts), one commit per flush (flush-writer.ts), and the
 * reading of the log at recovery (replay.ts over copy-out.ts).
 * @module
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { RotorTreeError } from '@rotortree/core';
import type { Wal, WalCapabilities, WalConfig, WalMark, WalRecovery } from '@rotortree/core';
import { WalBase } from '@rotortree/core/backend';
import type { LogReplay, StoredLog, TreeIdentity } from '@rotortree/core/backend';
import { CopyOut, intField } from './copy-out.js';
import { FlushWriter } from './flush-writer.js';
import { MarkWriter } from './marks.js';
import { registerWriter } from './writer-registry.js';
import type { FlushRefusal } from './flush-writer.js';
import { RowChecksum } from './format.js';
import { describeServer, resolveOptions } from './options.js';
import type { PostgresWalOptions, ResolvedOptions } from './options.js';
import { eachRecord, RowReplay } from './replay.js';
import type { KeyHandler } from './replay.js';
import { RowBuffer } from './row-buffer.js';
import { ensureSchema, tablesIn } from './schema.js';
import type { Tables } from './schema.js';
import { prepareSession } from './server-check.js';
import { Session, SessionLost } from './session.js';
import type { SessionSettings } from './session.js';
import { ensureStateTables, stateTablesIn } from './tree-state.js';
import { claimTree, currentEpoch } from './writership.js';

const UNIQUE_VIOLATION = '23505';

class PostgresWal extends WalBase implements Wal {
  readonly supports: WalCapabilities = { durable: true };
  readonly location: string;

  readonly #options: ResolvedOptions;
  readonly #tables: Tables;
  readonly #server: string;
  readonly #settings: SessionSettings;
  #session: Session | undefined;
  /** The epoch this writer holds: every write is fenced by it. */
  #epoch = 0;
  #baseSeq = 0;
  /** The `last_seq` of the log's last row at open. */
  #tail: number | undefined;
  #checksum: RowChecksum | undefined;
  #writer: FlushWriter | undefined;
  #marks: MarkWriter | undefined;
  #treeId: string | undefined;
  readonly #buffer = new RowBuffer();

  constructor(options: PostgresWalOptions) {
    super();
    this.#options = resolveOptions(options);
    this.#tables = tablesIn(this.#options.schema);
    this.#server = describeServer(this.#options.client);
    this.location = `${this.#server} ${this.#options.schema}.trees[${this.#options.tree}]`;
    this.#settings = { timeoutMs: this.#options.timeoutMs, lockTimeoutMs: this.#options.lockTimeoutMs, applicationName: 'rotortree-wal' };
    registerWriter(this, {
      options: this.#options,
      tables: this.#tables,
      location: this.location,
      epoch: () => this.#epoch,
      treeId: () => this.#treeId,
    });
  }

  // --- opening ------------------------------------------------------------------------------

  protected async _open(_config: WalConfig): Promise<StoredLog | undefined> {
    const options = this.#options;
    const session = await Session.connect(options.client, this.#settings);
    this.#session = session;
    const { me, schemaVersion } = await prepareSession(session, options, this.#tables.meta, this.location);
    await ensureSchema(session, this.#tables, schemaVersion);
    await ensureStateTables(session, this.#tables);
    const claim = await claimTree(session, this.#tables, {
      tree: options.tree,
      lockKey: `rotortree ${options.schema}.${options.tree}`,
      takeover: options.takeover,
      timeoutMs: options.timeoutMs,
      liveWaitMs: options.lockTimeoutMs,
      holder: `${hostname()} pid ${process.pid}`,
      me,
      location: this.location,
    });
    this.#epoch = claim.epoch;
    this.#tail = claim.tail;
    if (claim.stored !== undefined) {
      this.#baseSeq = claim.stored.baseSeq;
      this.#useTree(claim.stored.treeId);
    }
    return claim.stored;
  }

  protected async _create(tree: TreeIdentity): Promise<void> {
    const { rowCount } = await this.#write(() =>
      this.#session!.query(
        `UPDATE ${this.#tables.trees} SET n = $3, max_depth = $4, hasher_id = $5, tree_id = $6, base_seq = 0, created_at = now()
         WHERE name = $1 AND epoch = $2 AND tree_id IS NULL`,
        [this.#options.tree, this.#epoch, tree.n, tree.maxDepth, tree.hasherId, tree.treeId],
      ),
    );
    if (rowCount !== 1) throw this.#fenced();
    this.#useTree(tree.treeId);
  }

  #useTree(treeId: string): void {
    this.#treeId = treeId;
    this.#checksum = new RowChecksum(treeId);
    this.#writer = new FlushWriter(this.#session!, this.#tables, this.#options.tree, this.#epoch, this.#checksum);
    this.#marks = new MarkWriter(this.#session!, stateTablesIn(this.#tables), this.#options.tree, this.#epoch);
  }

  protected async _recover(replay: LogReplay): Promise<WalRecovery> {
    const { afterSeq, visit, visitRun } = replay;
    const tail = this.#tail ?? this.#baseSeq;
    let reached: number;
    if (visitRun !== undefined) {
      reached = await this.#readLog(afterSeq, (first, records, leaves) => visitRun(first, records, leaves));
    } else {
      // `visit` sees records only once the whole log is judged: check first, then read again.
      await this.#readLog(afterSeq, () => undefined);
      reached = await this.#readLog(afterSeq, eachRecord(visit));
    }
    return { lastSeq: reached > afterSeq ? reached : Math.max(this.#baseSeq, Math.min(tail, afterSeq)) };
  }

  /** Reads the rows after `afterSeq` in order, checking each, handing its records to `hand`; the last seq handed over. */
  async #readLog(afterSeq: number, hand: KeyHandler): Promise<number> {
    const { tree } = this.#options;
    const reader = new RowReplay(afterSeq, this.#checksum!, (first, part) => this.#rowName(first, part), hand);
    const sql =
      'SET LOCAL statement_timeout = 0; ' +
      `COPY (SELECT first_seq, part, last_seq, crc, body FROM ${this.#tables.records} ` +
      `WHERE tree = ${pg.escapeLiteral(tree)} AND last_seq > ${afterSeq} ORDER BY first_seq, part) TO STDOUT (FORMAT binary)`;
    const copy = new CopyOut(sql, (f) => reader.row({ firstSeq: intField(f[0]), part: intField(f[1]), lastSeq: intField(f[2]), crc: intField(f[3]), body: f[4] ?? new Uint8Array(0) }));
    // The whole log streams in one statement: bounded by inactivity rather than by its length.
    await this.#session!.submit(copy, this.#options.timeoutMs);
    reader.finish();
    return reader.lastSeq;
  }

  #rowName(firstSeq: number, part: number): string {
    return `${this.#server} ${this.#options.schema}.records(tree=${this.#options.tree}, first_seq=${firstSeq}, part=${part})`;
  }

  // --- writing ----------------------------------------------------------------------------

  protected _append(seq: number, leaves: Uint8Array): void {
    this.#buffer.append(seq, leaves);
  }

  protected async _flush(): Promise<void> {
    if (this.#buffer.isEmpty) return;
    const keys = this.#buffer.take();
    try {
      const refusal = await this.#write(() => this.#writer!.write(keys));
      if (refusal !== undefined) throw this.#refused(refusal);
    } finally {
      this.#buffer.recycle(keys);
    }
  }

  /** Keeps the mark for followers (marks.ts): written between flushes, never inside one. */
  protected override _mark(mark: WalMark): void {
    this.#marks?.note(mark);
  }

  protected async _truncate(upToSeq: number): Promise<void> {
    const { rows } = await this.#write(() =>
      this.#session!.query(
        `WITH f AS (UPDATE ${this.#tables.trees} SET base_seq = GREATEST(base_seq, $2) WHERE name = $1 AND epoch = $3 RETURNING 1),
              d AS (DELETE FROM ${this.#tables.records} r USING f WHERE r.tree = $1 AND r.first_seq <= $2 AND r.last_seq <= $2 RETURNING 1)
         SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM d)`,
        [this.#options.tree, upToSeq, this.#epoch],
      ),
    );
    if (Number(rows[0]?.[0]) !== 1) throw this.#fenced();
    const notice = this.#session!.notices[0];
    if (notice !== undefined) throw this.#refused({ kind: 'warning', notice });
    this.#baseSeq = Math.max(this.#baseSeq, upToSeq);
  }

  protected async _close(): Promise<void> {
    await this.#marks?.finish();
    await this.#marks?.pause();
    const session = this.#session;
    this.#session = undefined;
    await session?.end();
  }

  // --- failures -----------------------------------------------------------------------------

  /** Runs a write; its failure becomes the WAL's error (`FENCED`, or `IO` naming why). */
  async #write<T>(write: () => Promise<T>): Promise<T> {
    // A mark being written finishes first, and none starts until this write is done.
    await this.#marks?.pause();
    this.#session!.notices.length = 0;
    try {
      return await write();
    } catch (err) {
      throw await this.#writeError(err);
    } finally {
      this.#marks?.resume();
    }
  }

  async #writeError(err: unknown): Promise<RotorTreeError> {
    if (err instanceof RotorTreeError) return err;
    const where = { file: this.location, cause: err };
    // Another writer's row under our key: we are not the writer any more.
    if ((err as { code?: string }).code === UNIQUE_VIOLATION) return this.#fenced(err);
    if (err instanceof SessionLost && err.timedOut) {
      return new RotorTreeError('IO', `${this.location}: a write got no answer within ${this.#options.timeoutMs} ms (it may or may not have committed); the WAL is poisoned`, where);
    }
    // The session was lost (or the write failed): ended by a takeover, or a failure of its own?
    if (await this.#epochMovedOn()) return this.#fenced(err);
    return new RotorTreeError('IO', `${this.location}: a write failed (${(err as Error).message}); the WAL is poisoned`, where);
  }

  /** True when the tree's epoch is no longer ours, as read on a fresh session; false when it cannot be read. */
  async #epochMovedOn(): Promise<boolean> {
    let probe: Session | undefined;
    try {
      probe = await Session.connect(this.#options.client, this.#settings);
      const epoch = await currentEpoch(probe, this.#tables, this.#options.tree);
      return epoch !== undefined && epoch !== this.#epoch;
    } catch {
      return false;
    } finally {
      await probe?.end();
    }
  }

  #fenced(cause?: unknown): RotorTreeError {
    return new RotorTreeError('FENCED', `${this.location}: another writer took the tree over (this writer's epoch ${this.#epoch} is no longer the tree's); nothing more is written`, {
      file: this.location,
      cause,
    });
  }

  #refused(refusal: FlushRefusal): RotorTreeError {
    if (refusal.kind === 'fenced') return this.#fenced();
    if (refusal.kind === 'rolledBack') return new RotorTreeError('IO', `${this.location}: the flush's transaction was rolled back`, { file: this.location });
    const { notice } = refusal;
    return new RotorTreeError(
      'IO',
      `${this.location}: the server warned during the commit (${notice.code ?? '?'}: ${notice.message}${notice.detail === undefined ? '' : `; ${notice.detail}`}): ` +
        'it may not have reached the synchronous standby; the WAL is poisoned',
      { file: this.location, cause: notice },
    );
  }
}

/**
 * A {@link Wal} in PostgreSQL: records of one tree (`options.tree`; many trees per database) in
 * the tables of `options.schema`, one commit per flush (group commit), every write fenced by the
 * writer's epoch (a writer that was taken over gets `FENCED`), the server's durability settings
 * checked at open (`UNSAFE_SERVER`), every query bounded in time. Opening connects; building the
 * object does not.
 */
export function postgresWal(options: PostgresWalOptions): Wal {
  return new PostgresWal(options);
}
