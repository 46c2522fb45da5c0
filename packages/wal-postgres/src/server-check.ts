/**
 * What a writer's session sets, and what it checks of the server before it writes anything:
 * durability is checked, not assumed (`UNSAFE_SERVER`).
 *
 * - `fsync` and `full_page_writes` must be on: without them a crash of the server's machine can
 *   lose or tear committed data, whatever the commit said.
 * - `synchronous_commit` is set for the session to the level asked for (default `on`), whatever the
 *   server's default is (PostgreSQL lets each session raise it), then read back: a connection
 *   pooler that drops session settings shows here.
 * - The server must be a primary (a standby cannot take writes) of version 11 or later.
 * - With `requireSynchronousStandby`, `synchronous_standby_names` must name a standby.
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import type { SynchronousCommit } from './options.js';
import type { Rows, Session } from './session.js';


/** Who the session is on the server (to find it again, e.g. to end it at a takeover). */
export interface BackendIdentity {
  readonly pid: number;
  /** `backend_start` as text: with `pid`, names one session for good. */
  readonly since: string;
}

export interface ServerRequirements {
  readonly synchronousCommit: SynchronousCommit;
  readonly requireSynchronousStandby: boolean;
}

/** What {@link prepareSession} learned. */
export interface PreparedSession {
  readonly me: BackendIdentity;
  /** The tables' schema version, or `undefined` when they do not exist yet. */
  readonly schemaVersion: number | undefined;
}

const UNDEFINED_TABLE = '42P01';
const INVALID_SCHEMA = '3F000';

/**
 * Applies the session settings, checks the server, and reads the tables' version, in one round
 * trip (a second one when the tables do not exist: the failed read rolls the settings back).
 */
export async function prepareSession(session: Session, needs: ServerRequirements, metaTable: string, location: string): Promise<PreparedSession> {
  const settings = `
    SET client_min_messages = warning;
    SET synchronous_commit = '${needs.synchronousCommit}';
    SELECT current_setting('fsync'), current_setting('full_page_writes'), current_setting('synchronous_commit'),
      current_setting('synchronous_standby_names'), current_setting('server_version_num'), pg_is_in_recovery(),
      pg_backend_pid(), (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())::text`;
  let results: Rows[];
  let schemaVersion: number | undefined;
  try {
    results = await session.script(`${settings}, (SELECT value FROM ${metaTable} WHERE key = 'schema_version')`);
    const version = results[results.length - 1]?.rows[0]?.[8];
    schemaVersion = version === null || version === undefined ? Number.NaN : Number(version);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== UNDEFINED_TABLE && code !== INVALID_SCHEMA) throw err;
    results = await session.script(settings);
  }
  const row = results[results.length - 1]?.rows[0] ?? [];
  const [fsync, fullPageWrites, synchronousCommit, standbyNames, version, inRecovery, pid, since] = row as (string | null)[];
  const refuse = (why: string): never => {
    throw new RotorTreeError('UNSAFE_SERVER', `${location}: ${why}`, { file: location });
  };
  if (Number(version) < 110000) refuse(`PostgreSQL ${String(version)} is older than 11`);
  if (inRecovery === 't') refuse('the server is a standby (read-only): connect to the primary');
  if (fsync !== 'on') refuse(`fsync is ${String(fsync)}: committed data may be lost in a crash`);
  if (fullPageWrites !== 'on') refuse(`full_page_writes is ${String(fullPageWrites)}: committed data may be torn in a crash`);
  if (synchronousCommit !== needs.synchronousCommit) {
    refuse(`synchronous_commit is ${String(synchronousCommit)} after setting it to ${needs.synchronousCommit} (a connection pooler in transaction mode?)`);
  }
  if (needs.requireSynchronousStandby && (standbyNames ?? '').trim() === '') {
    refuse('synchronous_standby_names is empty: no synchronous standby (requireSynchronousStandby)');
  }
  return { me: { pid: Number(pid), since: String(since) }, schemaVersion };
}
