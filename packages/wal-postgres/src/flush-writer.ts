/**
 * One flush = one commit: the row keys buffered since the last flush, cut into parts (rows of at
 * most PART_BYTES), go in fenced INSERT statements of several rows each; a flush that fits one
 * statement is one autocommit statement (one round trip), a larger one is a transaction.
 *
 * Every statement checks the writership in itself:
 * ```
 * WITH fence AS (SELECT FROM trees WHERE name = $1 AND epoch = $2 FOR SHARE)
 * INSERT INTO records (...) SELECT ... FROM fence, (VALUES (...), ...) AS v (...)
 * ```
 * The share lock holds the tree row until the commit, so a takeover (which raises the epoch under
 * an update lock) either waits for this commit or has committed first, and then this statement
 * inserts nothing. A statement that inserts fewer rows than it carries was fenced.
 * @module
 */
import { PART_BYTES } from './format.js';
import type { RowChecksum } from './format.js';
import type { RowKey } from './row-buffer.js';
import type { Tables } from './schema.js';
import type { Notice, Prepared, Session } from './session.js';

/** Rows per statement, and bytes (a Bind message is built in memory; the server takes < 1 GiB). */
const STATEMENT_ROWS = 16;
const STATEMENT_BYTES = 16 << 20;

/** One table row of a flush. */
export interface PartRow {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly part: number;
  readonly bytes: Uint8Array;
}

/** Why a flush did not land (the caller maps it to an error). */
export type FlushRefusal = { readonly kind: 'fenced' } | { readonly kind: 'warning'; readonly notice: Notice } | { readonly kind: 'rolledBack' };

/** Writes the rows of one tree, fenced by its epoch. */
export class FlushWriter {
  readonly #session: Session;
  readonly #tree: string;
  readonly #epoch: number;
  readonly #checksum: RowChecksum;
  readonly #insertText: (rows: number) => string;
  readonly #single: Prepared;

  constructor(session: Session, tables: Tables, tree: string, epoch: number, checksum: RowChecksum) {
    this.#session = session;
    this.#tree = tree;
    this.#epoch = epoch;
    this.#checksum = checksum;
    const texts = new Map<number, string>();
    this.#insertText = (rows) => {
      let text = texts.get(rows);
      if (text === undefined) {
        text = insertStatement(tables, rows);
        texts.set(rows, text);
      }
      return text;
    };
    this.#single = { name: 'rotortree_flush_1', text: this.#insertText(1) };
  }

  /** Writes `keys` in one commit; resolves `undefined` once durable, or why it did not land. */
  async write(keys: readonly RowKey[]): Promise<FlushRefusal | undefined> {
    const statements = groupStatements(partsOf(keys));
    const session = this.#session;
    session.notices.length = 0;
    const transaction = statements.length > 1;
    if (transaction) await session.query('BEGIN');
    let values = this.#values(statements[0]!);
    for (let i = 0; i < statements.length; i++) {
      const rows = statements[i]!;
      const sent = session.query(rows.length === 1 ? this.#single : this.#insertText(rows.length), values);
      sent.catch(() => undefined);
      // The next statement's checksums are computed while this one travels and runs.
      if (i + 1 < statements.length) values = this.#values(statements[i + 1]!);
      const { rowCount } = await sent;
      if (rowCount !== rows.length) return { kind: 'fenced' };
      const warned = this.#warning();
      if (warned !== undefined) return warned;
    }
    if (transaction) {
      const commit = await session.query('COMMIT');
      if (commit.command !== 'COMMIT') return { kind: 'rolledBack' };
    }
    return this.#warning();
  }

  /** The first warning the server sent during the flush (e.g. its wait for the standby was cancelled). */
  #warning(): FlushRefusal | undefined {
    const notice = this.#session.notices[0];
    return notice === undefined ? undefined : { kind: 'warning', notice };
  }

  #values(rows: readonly PartRow[]): unknown[] {
    const values: unknown[] = [this.#tree, this.#epoch];
    for (const row of rows) {
      values.push(row.firstSeq, row.part, row.lastSeq, this.#checksum.of(row.firstSeq, row.lastSeq, row.part, row.bytes), row.bytes);
    }
    return values;
  }
}

function insertStatement(tables: Tables, rows: number): string {
  const tuples: string[] = [];
  for (let i = 0; i < rows; i++) {
    const p = 3 + i * 5;
    tuples.push(`($${p}::bigint, $${p + 1}::integer, $${p + 2}::bigint, $${p + 3}::bigint, $${p + 4}::bytea)`);
  }
  return (
    `WITH fence AS (SELECT FROM ${tables.trees} WHERE name = $1 AND epoch = $2 FOR SHARE) ` +
    `INSERT INTO ${tables.records} (tree, first_seq, part, last_seq, crc, body) ` +
    `SELECT $1, v.f, v.p, v.l, v.c, v.b FROM fence, (VALUES ${tuples.join(', ')}) AS v (f, p, l, c, b)`
  );
}

/** Each key's body cut into parts of at most PART_BYTES (every part but the last exactly that). */
export function partsOf(keys: readonly RowKey[]): PartRow[] {
  const rows: PartRow[] = [];
  for (const { firstSeq, lastSeq, body } of keys) {
    for (let part = 0, at = 0; at < body.length; part++, at += PART_BYTES) {
      rows.push({ firstSeq, lastSeq, part, bytes: body.subarray(at, Math.min(at + PART_BYTES, body.length)) });
    }
  }
  return rows;
}

function groupStatements(rows: readonly PartRow[]): PartRow[][] {
  const statements: PartRow[][] = [];
  let current: PartRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (current.length > 0 && (current.length === STATEMENT_ROWS || bytes + row.bytes.length > STATEMENT_BYTES)) {
      statements.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += row.bytes.length;
  }
  if (current.length > 0) statements.push(current);
  return statements;
}
