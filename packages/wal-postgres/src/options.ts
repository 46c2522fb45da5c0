/**
 * The options of `postgresWal`, checked once.
 * @module
 */

/**
 * A `pg` client configuration (host, port, user, password, database, ssl, ...): passed to
 * `new pg.Client(...)` as it is, with the timeouts of {@link PostgresWalOptions} on top.
 */
export interface PostgresConnectionConfig {
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string | (() => string | Promise<string>);
  readonly database?: string;
  readonly connectionString?: string;
  readonly ssl?: unknown;
  readonly application_name?: string;
  readonly [option: string]: unknown;
}

/** `synchronous_commit` levels that wait at least for the local flush (`off` is never used). */
export const SYNCHRONOUS_COMMIT_LEVELS = ['local', 'remote_write', 'on', 'remote_apply'] as const;
/** What a commit of the WAL waits for (see {@link PostgresWalOptions.synchronousCommit}). */
export type SynchronousCommit = (typeof SYNCHRONOUS_COMMIT_LEVELS)[number];

/** The client configuration the WAL's sessions are opened with (passed to `pg` as it is). */
export type ClientOptions = Readonly<Record<string, unknown>>;

/** Options of {@link postgresWal}. */
export interface PostgresWalOptions {
  /**
   * Where the database is: a connection string (`postgresql://user@host:5432/db`) or a `pg` client
   * configuration. The WAL opens one session of its own (the writership lives in it), so it takes
   * no pool; it must reach the primary directly (a pooler in transaction mode drops the session's
   * settings and its advisory lock).
   */
  readonly connection: string | PostgresConnectionConfig;
  /** The tree's name: many trees share the tables, one row each (1 to 200 characters). */
  readonly tree: string;
  /** The schema holding the tables (created if missing). Default `rotortree`. */
  readonly schema?: string;
  /**
   * When another writer holds the tree: `false` (default) fails with `FILE_LOCKED` while its
   * session is alive; `true` takes the tree over (its epoch rises; the old writer's next flush is
   * `FENCED`), ending the old writer's session if it blocks the tree row.
   */
  readonly takeover?: boolean;
  /**
   * What a commit waits for, set on the WAL's session: `on` (default: the local flush and, with
   * synchronous standbys configured, their flush), `remote_apply` (also replayed on the standbys:
   * a row acknowledged durable is then visible on them, read-your-writes for followers reading a
   * replica), `remote_write`, or `local` (the local flush only). `off` is never used.
   */
  readonly synchronousCommit?: SynchronousCommit;
  /** Refuse to open (`UNSAFE_SERVER`) unless the server has a synchronous standby configured. Default false. */
  readonly requireSynchronousStandby?: boolean;
  /**
   * Bound of every query, in ms (default 10,000): the client gives up (and the WAL is poisoned when
   * it was writing) and the server's `statement_timeout` ends the statement. A commit waiting for a
   * synchronous standby is bounded by the client alone (the server does not time that wait out).
   */
  readonly timeoutMs?: number;
  /**
   * How long a write or an open waits for the tree row's lock (the server's `lock_timeout`), and how
   * long an open without takeover waits for the session of the writer holding the tree to end
   * before it fails with `FILE_LOCKED` (a writer killed a moment ago leaves a session the server
   * ends once it notices), in ms. Default 2,000.
   */
  readonly lockTimeoutMs?: number;
}

/** The options, checked, with defaults. */
export interface ResolvedOptions {
  readonly client: ClientOptions;
  readonly tree: string;
  readonly schema: string;
  readonly takeover: boolean;
  readonly synchronousCommit: SynchronousCommit;
  readonly requireSynchronousStandby: boolean;
  readonly timeoutMs: number;
  readonly lockTimeoutMs: number;
}

const MAX_NAME = 200;

export function resolveOptions(options: PostgresWalOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('postgresWal needs { connection, tree }');
  const { connection } = options;
  let client: ClientOptions;
  if (typeof connection === 'string' && connection.length > 0) client = { connectionString: connection };
  else if (connection !== null && typeof connection === 'object') client = { ...(connection as ClientOptions) };
  else throw new TypeError('connection must be a connection string or a pg client configuration');
  const name = (value: unknown, what: string): string => {
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME) throw new TypeError(`${what} must be a string of 1 to ${MAX_NAME} characters`);
    return value;
  };
  const ms = (value: unknown, what: string, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > 2_147_483_647) throw new RangeError(`${what} must be a whole number of ms >= 1`);
    return value as number;
  };
  const flag = (value: unknown, what: string): boolean => {
    if (value === undefined) return false;
    if (typeof value !== 'boolean') throw new TypeError(`${what} must be a boolean`);
    return value;
  };
  const synchronousCommit = options.synchronousCommit ?? 'on';
  if (!SYNCHRONOUS_COMMIT_LEVELS.includes(synchronousCommit)) {
    throw new TypeError(`synchronousCommit must be one of ${SYNCHRONOUS_COMMIT_LEVELS.join(', ')}, got ${String(synchronousCommit)}`);
  }
  return {
    client,
    tree: name(options.tree, 'tree'),
    schema: name(options.schema ?? 'rotortree', 'schema'),
    takeover: flag(options.takeover, 'takeover'),
    synchronousCommit,
    requireSynchronousStandby: flag(options.requireSynchronousStandby, 'requireSynchronousStandby'),
    timeoutMs: ms(options.timeoutMs, 'timeoutMs', 10_000),
    lockTimeoutMs: ms(options.lockTimeoutMs, 'lockTimeoutMs', 2_000),
  };
}

/** `host:port/database` of a connection, for messages (never the password). */
export function describeServer(client: ClientOptions): string {
  if (typeof client['connectionString'] === 'string') {
    try {
      const url = new URL(client['connectionString']);
      return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
    } catch {
      return 'postgresql';
    }
  }
  return `${String(client['host'] ?? 'localhost')}:${String(client['port'] ?? 5432)}/${String(client['database'] ?? client['user'] ?? '')}`;
}
