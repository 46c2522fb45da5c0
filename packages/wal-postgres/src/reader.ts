/**
 * `postgresWalReader()`: reads a tree's log in PostgreSQL without writing anything, for followers
 * (core's `WalReader`, `RotorTree.follow`), typically on a standby.
 *
 * Each read is one read-only snapshot (`REPEATABLE READ`): the tree row (parameters, identity,
 * `base_seq`), the writer's last mark (marks.ts), then the rows after the follower's seq, by
 * `COPY ... (FORMAT binary)` in pages of {@link PAGE_ROWS} rows. Every committed row is durable (a
 * commit returns after the server's flush, and a standby applies only what it flushed), and a flush
 * is one commit, so a snapshot never shows part of a flush. Rows are checked as recovery checks them
 * (replay.ts: checksum, sequence, group table; `CORRUPTION` naming the row).
 *
 * A page is handed over only once it arrived whole and checked, so a read that fails after its
 * first page (a lost connection) still resolves with what it handed over; the failure shows at the
 * next read. A log truncated past the follower (`base_seq` > its seq) is `gone`: it reloads a
 * checkpoint.
 * @module
 */
import pg from 'pg';
import { RotorTreeError } from '@rotortree/core';
import type { WalConfig, WalMark, WalOpened, WalReadResult, WalReader } from '@rotortree/core';
import { assertTreeConfig, checkStoredTree, isTreeId } from '@rotortree/core/backend';
import { CopyOut, intField } from './copy-out.js';
import { RowChecksum } from './format.js';
import { describeServer, resolveOptions } from './options.js';
import type { PostgresConnectionConfig, ResolvedOptions } from './options.js';
import { eachRecord, RowReplay } from './replay.js';
import type { StoredRow } from './replay.js';
import { tablesIn } from './schema.js';
import { Session } from './session.js';
import { isMissingTable, stateTablesIn } from './tree-state.js';
import type { StateTables } from './tree-state.js';

/** Options of {@link postgresWalReader}. */
export interface PostgresWalReaderOptions {
  /**
   * Where to read: a standby of the writer's server (or the primary itself). With the writer's
   * `synchronousCommit: 'remote_apply'`, a flush the writer was told is durable is visible on the
   * synchronous standby when the writer learns it (read-your-writes); with `on` (the default), a
   * standby shows it a moment later (once it replayed it).
   */
  readonly connection: string | PostgresConnectionConfig;
  /** The tree's name (the writer's `postgresWal({ tree })`). */
  readonly tree: string;
  /** The schema holding the tables. Default `rotortree`. */
  readonly schema?: string;
  /** Bound of every query, in ms (default 10,000). */
  readonly timeoutMs?: number;
  /** Rows per page (default 256). @internal for tests */
  readonly pageRows?: number;
}

/** Rows per page of a read (a row holds at most 1 MiB: a page at most 256 MiB, usually a few KiB). */
const PAGE_ROWS = 256;

/** What one page of rows gave. */
interface Page {
  /** The keys, whole and checked, ready to hand over (leaves copied out of the COPY stream). */
  readonly keys: { firstSeq: number; records: number; leaves: Uint8Array; groups: Parameters<ReturnType<typeof eachRecord>>[3]; skip: number }[];
  readonly lastSeq: number;
  /** True when the page was full: more rows may follow. */
  readonly more: boolean;
}

class PostgresWalReader implements WalReader {
  readonly location: string;
  readonly #options: ResolvedOptions;
  readonly #tables: StateTables;
  readonly #server: string;
  readonly #pageRows: number;
  #config: WalConfig | undefined;
  #session: Session | undefined;
  #checksum: { treeId: string; checksum: RowChecksum } | undefined;
  /** A failure after part of a read was handed over: thrown by the next read. */
  #deferred: unknown;
  #closed = false;

  constructor(options: PostgresWalReaderOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('postgresWalReader needs { connection, tree }');
    this.#options = resolveOptions({
      connection: options.connection,
      tree: options.tree,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    this.#tables = stateTablesIn(tablesIn(this.#options.schema));
    this.#server = describeServer(this.#options.client);
    this.location = `${this.#server} ${this.#options.schema}.trees[${this.#options.tree}]`;
    this.#pageRows = options.pageRows ?? PAGE_ROWS;
    if (!Number.isSafeInteger(this.#pageRows) || this.#pageRows < 2) throw new RangeError('pageRows must be an integer >= 2');
  }

  async open(config: WalConfig): Promise<WalOpened> {
    assertTreeConfig(config);
    this.#config = { n: config.n, maxDepth: config.maxDepth, hasherId: config.hasherId };
    const session = await this.#connected();
    let row: (string | null)[] | undefined;
    try {
      row = (await session.query(`SELECT n, max_depth, hasher_id, tree_id, base_seq FROM ${this.#tables.trees} WHERE name = $1`, [this.#options.tree])).rows[0] as
        | (string | null)[]
        | undefined;
    } catch (err) {
      if (!isMissingTable(err)) throw this.#failed(err);
    }
    if (row === undefined || row[3] === null) return { treeId: undefined, location: this.location, baseSeq: 0 };
    const stored = this.#stored(row);
    checkStoredTree(stored, this.#config, this.location);
    return { treeId: stored.treeId, location: this.location, baseSeq: stored.baseSeq };
  }

  async read(options: Parameters<WalReader['read']>[0]): Promise<WalReadResult> {
    const config = this.#config;
    if (config === undefined) throw new TypeError('read() needs open() first');
    if (this.#deferred !== undefined) {
      const err = this.#deferred;
      this.#deferred = undefined;
      throw err;
    }
    const { treeId, afterSeq } = options;
    const session = await this.#connected();
    const t = this.#tables;
    const tree = pg.escapeLiteral(this.#options.tree);
    let handed = afterSeq;
    try {
      const results = await session.script(
        `BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
         SELECT t.n, t.max_depth, t.hasher_id, t.tree_id, t.base_seq, m.seq, m.size, m.root
           FROM ${t.trees} t LEFT JOIN ${t.marks} m ON m.tree = t.name WHERE t.name = ${tree}`,
      );
      const row = results[1]?.rows[0] as (string | null)[] | undefined;
      if (row === undefined || row[3] === null) throw new RotorTreeError('CORRUPTION', `${this.location} is missing (the tree row or its log)`, { file: this.location });
      const stored = this.#stored(row);
      checkStoredTree(stored, { ...config, treeId }, this.location);
      const marks = this.#marks(row);
      const markSeq = marks[0]?.seq ?? 0;
      if (stored.baseSeq > afterSeq) {
        await this.#end(session);
        return { lastSeq: afterSeq, durableSeq: Math.max(stored.baseSeq, markSeq), gone: true, marks };
      }
      const checksum = this.#checksumOf(treeId);
      for (;;) {
        let page: Page;
        try {
          page = await this.#page(session, checksum, handed);
        } catch (err) {
          if (handed === afterSeq) throw err;
          // Part of this read was handed over: report it; the failure shows at the next read.
          this.#deferred = err instanceof RotorTreeError ? err : this.#failed(err);
          this.#drop();
          return { lastSeq: handed, durableSeq: Math.max(handed, markSeq), gone: false, marks: marks.filter((m) => m.seq <= handed) };
        }
        for (const key of page.keys) {
          if (options.visitRun !== undefined) options.visitRun(key.firstSeq, key.records, key.leaves);
          else eachRecord(options.visit)(key.firstSeq, key.records, key.leaves, key.groups, key.skip);
        }
        handed = page.lastSeq;
        if (!page.more) break;
      }
      await this.#end(session);
      return { lastSeq: handed, durableSeq: Math.max(handed, stored.baseSeq, markSeq), gone: false, marks };
    } catch (err) {
      if (err instanceof RotorTreeError) {
        await this.#end(session).catch(() => undefined);
        throw err;
      }
      throw this.#failed(err);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const session = this.#session;
    this.#session = undefined;
    await session?.end();
  }

  /** The next page of whole keys after `afterSeq`, checked; its leaves copied. */
  async #page(session: Session, checksum: RowChecksum, afterSeq: number): Promise<Page> {
    const rows: StoredRow[] = [];
    const tree = pg.escapeLiteral(this.#options.tree);
    const records = this.#tables.records;
    // From the key holding afterSeq + 1 (a checkpoint may end inside a key), by the primary key.
    const sql =
      `COPY (SELECT first_seq, part, last_seq, crc, body FROM ${records} WHERE tree = ${tree} ` +
      `AND first_seq >= COALESCE((SELECT first_seq FROM ${records} WHERE tree = ${tree} AND first_seq <= ${afterSeq + 1} ORDER BY first_seq DESC LIMIT 1), 0) ` +
      `AND last_seq > ${afterSeq} ORDER BY first_seq, part LIMIT ${this.#pageRows}) TO STDOUT (FORMAT binary)`;
    const copy = new CopyOut(sql, (f) => {
      rows.push(rowOf(f));
    });
    await session.submit(copy, this.#options.timeoutMs);
    const more = rows.length === this.#pageRows;
    if (more) {
      // The last key may go on past the page: keep it for the next page, unless it is the only one.
      const last = rows[rows.length - 1]!.firstSeq;
      if (rows[0]!.firstSeq === last) return this.#wholeKey(session, checksum, afterSeq, last);
      while (rows[rows.length - 1]!.firstSeq === last) rows.pop();
    }
    return { ...this.#check(rows, checksum, afterSeq), more };
  }

  /** A key of more than a page of parts, read alone. */
  async #wholeKey(session: Session, checksum: RowChecksum, afterSeq: number, firstSeq: number): Promise<Page> {
    const rows: StoredRow[] = [];
    const sql =
      `COPY (SELECT first_seq, part, last_seq, crc, body FROM ${this.#tables.records} WHERE tree = ${pg.escapeLiteral(this.#options.tree)} ` +
      `AND first_seq = ${firstSeq} ORDER BY part) TO STDOUT (FORMAT binary)`;
    const copy = new CopyOut(sql, (f) => {
      rows.push(rowOf(f));
    });
    await session.submit(copy, this.#options.timeoutMs);
    return { ...this.#check(rows, checksum, afterSeq), more: true };
  }

  /** Checks rows as recovery does and keeps each key's records. */
  #check(rows: readonly StoredRow[], checksum: RowChecksum, afterSeq: number): Omit<Page, 'more'> {
    const keys: Page['keys'] = [];
    const replay = new RowReplay(afterSeq, checksum, (first, part) => this.#rowName(first, part), (firstSeq, records, leaves, groups, skip) => {
      keys.push({ firstSeq, records, leaves, groups, skip });
    });
    for (const row of rows) replay.row(row);
    replay.finish();
    return { keys, lastSeq: replay.lastSeq };
  }

  #marks(row: readonly (string | null)[]): WalMark[] {
    const [seq, size, root] = [row[5], row[6], row[7]];
    if (seq === null || seq === undefined || size === null || size === undefined || root === null || root === undefined) return [];
    // bytea as text: \x followed by hex.
    const bytes = /^\\x[0-9a-f]{64}$/.test(root) ? Uint8Array.from(Buffer.from(root.slice(2), 'hex')) : undefined;
    if (bytes === undefined || !Number.isSafeInteger(Number(seq)) || !Number.isSafeInteger(Number(size))) {
      throw new RotorTreeError('CORRUPTION', `${this.#server} ${this.#options.schema}.marks[${this.#options.tree}] is damaged`, { file: this.location });
    }
    return [{ seq: Number(seq), size: Number(size), root: bytes }];
  }

  #stored(row: readonly (string | null)[]): { n: number; maxDepth: number; hasherId: string; treeId: string; baseSeq: number } {
    const [n, maxDepth, hasherId, treeId, baseSeq] = row;
    const stored = { n: Number(n), maxDepth: Number(maxDepth), hasherId: hasherId ?? '', treeId: treeId ?? '', baseSeq: Number(baseSeq) };
    if (!isTreeId(stored.treeId) || !Number.isSafeInteger(stored.n) || !Number.isSafeInteger(stored.maxDepth) || !Number.isSafeInteger(stored.baseSeq) || stored.hasherId === '') {
      throw new RotorTreeError('CORRUPTION', `${this.location}: the tree row is damaged`, { file: this.location });
    }
    return stored;
  }

  #checksumOf(treeId: string): RowChecksum {
    if (this.#checksum?.treeId !== treeId) this.#checksum = { treeId, checksum: new RowChecksum(treeId) };
    return this.#checksum.checksum;
  }

  #rowName(firstSeq: number, part: number): string {
    return `${this.#server} ${this.#options.schema}.records(tree=${this.#options.tree}, first_seq=${firstSeq}, part=${part})`;
  }

  async #connected(): Promise<Session> {
    if (this.#closed) throw new RotorTreeError('CLOSED', `${this.location}: the reader is closed`);
    if (this.#session !== undefined && this.#session.lost === undefined) return this.#session;
    const o = this.#options;
    try {
      const session = await Session.connect(o.client, { timeoutMs: o.timeoutMs, lockTimeoutMs: o.lockTimeoutMs, applicationName: 'rotortree-follower' });
      this.#session = session;
      return session;
    } catch (err) {
      throw this.#failed(err);
    }
  }

  /** Ends the read's transaction. */
  async #end(session: Session): Promise<void> {
    await session.query('COMMIT');
  }

  /** A failed query: `IO` naming the log; the session is dropped (the next read reconnects). */
  #failed(err: unknown): RotorTreeError {
    this.#drop();
    return new RotorTreeError('IO', `${this.location}: ${(err as Error).message}`, { file: this.location, cause: err });
  }

  #drop(): void {
    const session = this.#session;
    this.#session = undefined;
    void session?.end();
  }
}

/** A row of the COPY stream, its body copied (the stream's bytes are views of the receive buffer). */
function rowOf(f: readonly (Uint8Array | null)[]): StoredRow {
  // Uint8Array's slice copies (a Buffer's would be a view).
  const body = Uint8Array.prototype.slice.call(f[4] ?? new Uint8Array(0));
  return { firstSeq: intField(f[0]), part: intField(f[1]), lastSeq: intField(f[2]), crc: intField(f[3]), body };
}

/**
 * A reader of the log of `options.tree` (see the module doc): give it to `RotorTree.follow({ wal })`.
 * Takes no lock, writes nothing; connects at `open`.
 */
export function postgresWalReader(options: PostgresWalReaderOptions): WalReader {
  return new PostgresWalReader(options);
}
