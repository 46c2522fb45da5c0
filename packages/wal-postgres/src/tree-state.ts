/**
 * Two tables beside the log, for readers of a tree on other machines (created by the writer's open
 * when missing, in the schema of the other tables):
 *
 * - `marks (tree text primary key, epoch, seq, size, root)`: the writer's last mark (core's
 *   `WalMark`): the tree's size and root after the durable record `seq`. Written after each flush
 *   by the writer holding `epoch` (marks.ts); followers check their root there.
 * - `checkpoint_pointers (tree text primary key, epoch, manifest_key, seq, size, manifest_bytes,
 *   manifest_crc)`: which checkpoint manifest (in an object store) is the tree's, published by the
 *   writer holding `epoch` (pointer.ts).
 *
 * Both are written only under the tree row's epoch (a statement that joins the `trees` row `FOR
 * SHARE` with the writer's epoch), so a writer that was taken over can never change them.
 * @module
 */
import pg from 'pg';
import type { Tables } from './schema.js';
import type { Session } from './session.js';

/** The quoted names of the two tables in one schema. */
export interface StateTables {
  readonly trees: string;
  readonly records: string;
  readonly marks: string;
  readonly pointers: string;
}

export function stateTablesIn(tables: Tables): StateTables {
  const s = pg.escapeIdentifier(tables.schema);
  return { trees: tables.trees, records: tables.records, marks: `${s}.marks`, pointers: `${s}.checkpoint_pointers` };
}

/** Server error of a statement naming a table that does not exist (a reader before any writer). */
export const UNDEFINED_TABLE = '42P01';
/** Server error of a statement naming a schema that does not exist. */
export const INVALID_SCHEMA = '3F000';

/** True for the server's "no such table/schema" errors. */
export function isMissingTable(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === UNDEFINED_TABLE || code === INVALID_SCHEMA;
}

/** Creates the two tables when either is missing (serialised with other openers as schema.ts does). */
export async function ensureStateTables(session: Session, tables: Tables): Promise<void> {
  const state = stateTablesIn(tables);
  const { rows } = await session.query(`SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL`, [state.marks, state.pointers]);
  if (rows[0]?.[0] === 't') return;
  await session.script(`
    BEGIN;
    SELECT pg_advisory_xact_lock(hashtextextended('rotortree schema ' || ${pg.escapeLiteral(tables.schema)}, 0));
    CREATE TABLE IF NOT EXISTS ${state.marks} (
      tree text PRIMARY KEY,
      epoch bigint NOT NULL,
      seq bigint NOT NULL,
      size bigint NOT NULL,
      root bytea NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${state.pointers} (
      tree text PRIMARY KEY,
      epoch bigint NOT NULL,
      manifest_key text NOT NULL,
      seq bigint NOT NULL,
      size bigint NOT NULL,
      manifest_bytes bigint NOT NULL,
      manifest_crc bigint NOT NULL
    );
    COMMIT;`);
}
