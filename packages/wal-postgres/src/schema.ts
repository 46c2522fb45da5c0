/**
 * The tables, created if missing and versioned. In the schema `<schema>` (default `rotortree`):
 *
 * - `meta (key text primary key, value text)`: the row `('schema_version', '1')`. A newer version
 *   is `CONFIG_MISMATCH` (a newer release wrote it).
 * - `trees`: one row per tree (many trees per database). `name` is the key; `n`, `max_depth`,
 *   `hasher_id`, `tree_id` are null until the tree's log is created (a row without them is a claimed
 *   name with no log); `epoch` rises each time a writer takes the tree; `holder`, `holder_pid`,
 *   `holder_since` name the writer's session; `base_seq`: the log holds the records after it (a
 *   checkpoint covers the rest).
 * - `records`: the log (row format in format.ts), primary key `(tree, first_seq, part)`. `body`
 *   is stored `EXTERNAL` (out of line, uncompressed: hashes do not compress).
 * @module
 */
import pg from 'pg';
import { RotorTreeError } from '@rotortree/core';
import type { Session } from './session.js';

/** The version of the tables this build writes and reads. */
export const SCHEMA_VERSION = 1;

/** The quoted names of the tables in one schema. */
export interface Tables {
  readonly schema: string;
  readonly meta: string;
  readonly trees: string;
  readonly records: string;
}

export function tablesIn(schema: string): Tables {
  const s = pg.escapeIdentifier(schema);
  return { schema, meta: `${s}.meta`, trees: `${s}.trees`, records: `${s}.records` };
}

/**
 * Checks the tables' version (`found`: as read by the session's preparation, `undefined` when
 * the tables are missing), creating the schema and the tables first when they are missing.
 */
export async function ensureSchema(session: Session, tables: Tables, found: number | undefined): Promise<void> {
  let version = found;
  if (version === undefined) {
    await createSchema(session, tables);
    const { rows } = await session.query(`SELECT value FROM ${tables.meta} WHERE key = 'schema_version'`);
    version = Number(rows[0]?.[0]);
  }
  if (version !== SCHEMA_VERSION) {
    throw new RotorTreeError('CONFIG_MISMATCH', `the tables in schema "${tables.schema}" have version ${String(version)}; this build reads ${SCHEMA_VERSION}`, {
      file: tables.meta,
    });
  }
}

/** One transaction, serialised with other openers by an advisory lock on the schema's name. */
async function createSchema(session: Session, tables: Tables): Promise<void> {
  const schemaLiteral = pg.escapeLiteral(tables.schema);
  const ident = pg.escapeIdentifier(tables.schema);
  await session.script(`
    BEGIN;
    SELECT pg_advisory_xact_lock(hashtextextended('rotortree schema ' || ${schemaLiteral}, 0));
    DO $do$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ${schemaLiteral}) THEN
        EXECUTE 'CREATE SCHEMA ' || ${pg.escapeLiteral(ident)};
      END IF;
    END $do$;
    CREATE TABLE IF NOT EXISTS ${tables.meta} (
      key text PRIMARY KEY,
      value text NOT NULL
    );
    INSERT INTO ${tables.meta} (key, value) VALUES ('schema_version', '${SCHEMA_VERSION}') ON CONFLICT (key) DO NOTHING;
    CREATE TABLE IF NOT EXISTS ${tables.trees} (
      name text PRIMARY KEY,
      n integer,
      max_depth integer,
      hasher_id text,
      tree_id text,
      epoch bigint NOT NULL,
      holder text,
      holder_pid integer,
      holder_since timestamptz,
      base_seq bigint NOT NULL DEFAULT 0,
      created_at timestamptz
    );
    CREATE TABLE IF NOT EXISTS ${tables.records} (
      tree text NOT NULL,
      first_seq bigint NOT NULL,
      part integer NOT NULL,
      last_seq bigint NOT NULL,
      crc bigint NOT NULL,
      body bytea NOT NULL,
      PRIMARY KEY (tree, first_seq, part)
    );
    ALTER TABLE ${tables.records} ALTER COLUMN body SET STORAGE EXTERNAL;
    COMMIT;`);
}
