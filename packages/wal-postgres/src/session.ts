/**
 * One PostgreSQL session (a `pg` client on its own socket) with a bound on every wait: each query
 * runs under a client-side timer as well as the server's `statement_timeout`, because a commit
 * waiting for a synchronous standby ignores `statement_timeout` (it waited 610 s here until a
 * cancel, then reported success). A timer that fires destroys the socket: the session is dead, the
 * caller's query rejects, and nothing that answers later is believed.
 *
 * The session also collects the notices the server sends (only warnings and above: the session
 * sets `client_min_messages = warning`), since a commit whose wait for the standby was cancelled
 * comes back as a success with only a warning.
 * @module
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import pg from 'pg';
import type { ClientOptions } from './options.js';

/** The settings a session is opened with. */
export interface SessionSettings {
  /** Client-side bound of every query, and the server's `statement_timeout`. */
  readonly timeoutMs: number;
  /** The server's `lock_timeout`. */
  readonly lockTimeoutMs: number;
  readonly applicationName: string;
}

/** A query's outcome: the rows as arrays, and the command's row count and tag. */
export interface Rows {
  readonly rows: unknown[][];
  readonly rowCount: number;
  readonly command: string;
}

/** A statement sent as a named prepared statement (parsed once per session). */
export interface Prepared {
  readonly name: string;
  readonly text: string;
}

/** Why a session died: its timer fired, or the connection failed. */
export class SessionLost extends Error {
  readonly timedOut: boolean;
  constructor(message: string, timedOut: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SessionLost';
    this.timedOut = timedOut;
  }
}

/** A warning the server sent (see {@link Session.notices}). */
export interface Notice {
  readonly code: string | undefined;
  readonly message: string;
  readonly detail: string | undefined;
}

/** What a submitted protocol exchange (a `pg` Submittable, e.g. COPY OUT) reports back. */
export interface Exchange {
  /** Set by the session before submitting: called once, when the exchange is over. */
  callback: ((error: Error | undefined) => void) | undefined;
  /** Set by the session: called on each piece of progress (resets the inactivity timer). */
  onProgress: (() => void) | undefined;
}

const TEXT_PARSERS = { getTypeParser: () => (value: string) => value };

export class Session {
  /** Warnings received since the caller last cleared this list. */
  readonly notices: Notice[] = [];
  readonly #client: pg.Client;
  readonly #timeoutMs: number;
  /** The socket under the client (once the client made it). */
  readonly #socket: () => Duplex | undefined;
  /** Callers waiting for a query or an exchange: told at once when the session is lost. */
  readonly #waiters = new Set<(lost: SessionLost) => void>();
  #lost: SessionLost | undefined;

  private constructor(client: pg.Client, timeoutMs: number, socket: () => Duplex | undefined) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    this.#socket = socket;
    client.on('error', (err) => this.destroy(new SessionLost(`the connection failed: ${err.message}`, false, err)));
    client.on('notice', (n) => this.notices.push({ code: n.code, message: n.message ?? '', detail: n.detail }));
    client.on('end', () => this.destroy(new SessionLost('the server closed the connection', false)));
  }

  /** Connects (bounded by `settings.timeoutMs`) with the session settings applied at startup. */
  static async connect(options: ClientOptions, settings: SessionSettings): Promise<Session> {
    let socket: Duplex | undefined;
    const config = options as pg.ClientConfig;
    const userStream = config.stream;
    const client = new pg.Client({
      application_name: settings.applicationName,
      ...config,
      statement_timeout: settings.timeoutMs,
      lock_timeout: settings.lockTimeoutMs,
      // A session of ours left in a transaction (its client cut off) gives up its row locks.
      idle_in_transaction_session_timeout: settings.timeoutMs,
      connectionTimeoutMillis: settings.timeoutMs,
      keepAlive: true,
      // Our own handle on the socket, so that a timer can cut it (TLS, if any, runs over it).
      stream: () => {
        socket = (typeof userStream === 'function' ? userStream() : undefined) ?? new Socket();
        return socket;
      },
    });
    const session = new Session(client, settings.timeoutMs, () => socket);
    const timer = setTimeout(() => session.destroy(new SessionLost(`no connection within ${settings.timeoutMs} ms`, true)), settings.timeoutMs);
    try {
      await client.connect();
    } catch (err) {
      session.destroy(new SessionLost(`cannot connect: ${(err as Error).message}`, false, err));
      throw session.#lost!;
    } finally {
      clearTimeout(timer);
    }
    if (session.#lost !== undefined) throw session.#lost;
    return session;
  }

  /** Why the session is unusable, or `undefined` while it works. */
  get lost(): SessionLost | undefined {
    return this.#lost;
  }

  /**
   * Runs one statement (values: strings, numbers, `Uint8Array` sent as binary). Every column comes
   * back as text (`null` stays `null`). Rejects with the server's error (with its `code`), or with
   * {@link SessionLost} when the timer fired or the connection failed.
   */
  async query(statement: string | Prepared, values: readonly unknown[] = [], timeoutMs = this.#timeoutMs): Promise<Rows> {
    if (this.#lost !== undefined) throw this.#lost;
    const config = {
      text: typeof statement === 'string' ? statement : statement.text,
      ...(typeof statement === 'string' ? {} : { name: statement.name }),
      values: values as unknown[],
      rowMode: 'array' as const,
      types: TEXT_PARSERS,
    };
    return this.#bounded(this.#client.query(config), timeoutMs).then((r) => ({ rows: r.rows, rowCount: r.rowCount ?? 0, command: r.command }));
  }

  /** Runs several statements in one simple-query message (no parameters): the results, in order. */
  async script(sql: string, timeoutMs = this.#timeoutMs): Promise<Rows[]> {
    if (this.#lost !== undefined) throw this.#lost;
    const result = await this.#bounded(this.#client.query({ text: sql, rowMode: 'array', types: TEXT_PARSERS }), timeoutMs);
    const list = Array.isArray(result) ? (result as pg.QueryArrayResult[]) : [result];
    return list.map((r) => ({ rows: r.rows, rowCount: r.rowCount ?? 0, command: r.command }));
  }

  /**
   * Runs a protocol exchange of our own (see copy-out.ts), bounded by inactivity: it fails when
   * `idleMs` pass without progress.
   */
  submit(exchange: Exchange & pg.Submittable, idleMs = this.#timeoutMs): Promise<void> {
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    return new Promise<void>((resolve, reject) => {
      // One timer, re-armed when it fires for the time since the last progress (a timer per
      // message costs more than the message here).
      let lastProgress = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        const idle = Date.now() - lastProgress;
        if (idle >= idleMs) this.destroy(new SessionLost(`no progress for ${idleMs} ms`, true));
        else timer = setTimeout(check, idleMs - idle);
      };
      const onLost = (lost: SessionLost) => {
        clearTimeout(timer);
        reject(lost);
      };
      this.#waiters.add(onLost);
      exchange.onProgress = () => {
        lastProgress = Date.now();
      };
      exchange.callback = (error) => {
        clearTimeout(timer);
        this.#waiters.delete(onLost);
        if (this.#lost !== undefined) reject(this.#lost);
        else if (error !== undefined) reject(error);
        else resolve();
      };
      timer = setTimeout(check, idleMs);
      this.#client.query(exchange);
    });
  }

  /** Cuts the connection now (idempotent): every query in flight and later rejects with `cause`. */
  destroy(cause: SessionLost): void {
    if (this.#lost !== undefined) return;
    this.#lost = cause;
    this.#socket()?.destroy();
    for (const waiter of this.#waiters) waiter(cause);
    this.#waiters.clear();
  }

  /** Ends the session politely, or cuts it if that takes longer than the timeout. Never rejects. */
  async end(): Promise<void> {
    if (this.#lost !== undefined) return;
    const cut = setTimeout(() => this.destroy(new SessionLost('ended', false)), this.#timeoutMs);
    try {
      await this.#client.end();
    } catch {
      // ended either way
    } finally {
      clearTimeout(cut);
      this.destroy(new SessionLost('ended', false));
    }
  }

  /** `work` bounded by the client timer: if it fires, the session is destroyed and `work` rejects. */
  async #bounded<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const lost = new Promise<never>((_, reject) => {
      const onLost = (l: SessionLost) => reject(l);
      this.#waiters.add(onLost);
      timer = setTimeout(() => this.destroy(new SessionLost(`no answer within ${timeoutMs} ms`, true)), timeoutMs);
      void work.finally(() => this.#waiters.delete(onLost)).catch(() => undefined);
    });
    try {
      const result = await Promise.race([work, lost]);
      // An answer that raced a destroy is not believed.
      if (this.#lost !== undefined) throw this.#lost;
      return result;
    } catch (err) {
      if (this.#lost !== undefined) throw this.#lost;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
