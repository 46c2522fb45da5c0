/**
 * The writer's marks (core's `WalMark`: the size and root after a durable seq) in the `marks` row of
 * the tree (tree-state.ts), for followers.
 *
 * A mark is written after the flush it describes committed, on the WAL's own session while no flush
 * or truncate runs on it (the WAL pauses the writer around them: a statement of ours must never land
 * inside a flush's transaction), only the newest one when several come while one is written. Its
 * transaction commits with `synchronous_commit = off`: it waits for no disk and no standby (a mark
 * proves nothing; a lost one only makes followers check later). The server's log is sequential, so a
 * standby never shows a mark before the records it covers. Fenced: the statement joins the tree row
 * with this writer's epoch `FOR SHARE`, so a writer that was taken over writes no mark.
 * @module
 */
import pg from 'pg';
import type { WalMark } from '@rotortree/core';
import type { StateTables } from './tree-state.js';
import type { Session } from './session.js';

/**
 * Least time between two mark writes, in ms. A mark write is a round trip on the WAL's session that
 * a flush arriving meanwhile waits for: after every flush it doubled `insertDurable`'s latency. At
 * most one per interval costs a flush stream one such wait per interval, and followers see a mark
 * at most this much later (they read records as soon as they are committed; marks only check roots).
 */
export const MARK_INTERVAL_MS = 20;

export class MarkWriter {
  readonly #session: Session;
  readonly #tables: StateTables;
  readonly #tree: string;
  readonly #epoch: number;
  #pending: WalMark | undefined;
  #writing: Promise<void> | undefined;
  #paused = 0;
  #lastWrite = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(session: Session, tables: StateTables, tree: string, epoch: number) {
    this.#session = session;
    this.#tables = tables;
    this.#tree = tree;
    this.#epoch = epoch;
  }

  /** Keeps `mark` to write (replacing one not written yet). Never throws. */
  note(mark: WalMark): void {
    this.#pending = mark;
    this.#kick();
  }

  /** Waits for a mark being written and holds the next ones back until {@link resume}. */
  async pause(): Promise<void> {
    this.#paused++;
    await this.#writing;
  }

  resume(): void {
    this.#paused--;
    this.#kick();
  }

  /** Writes a mark the interval holds back now, and waits for it (the WAL closes). */
  async finish(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastWrite = Number.NEGATIVE_INFINITY;
    this.#kick();
    await this.#writing;
  }

  #kick(): void {
    const mark = this.#pending;
    if (this.#paused > 0 || this.#writing !== undefined || mark === undefined || this.#session.lost !== undefined) return;
    const wait = this.#lastWrite + MARK_INTERVAL_MS - performance.now();
    if (wait > 0) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#kick();
      }, wait);
      return;
    }
    this.#pending = undefined;
    this.#writing = this.#write(mark)
      .catch(() => undefined)
      .finally(() => {
        this.#writing = undefined;
        this.#lastWrite = performance.now();
        this.#kick();
      });
  }

  async #write(mark: WalMark): Promise<void> {
    const t = this.#tables;
    const tree = pg.escapeLiteral(this.#tree);
    const root = Buffer.from(mark.root!.buffer, mark.root!.byteOffset, mark.root!.byteLength).toString('hex');
    // One round trip, no parameters (a simple query), so the transaction is one message.
    const done = this.#session.script(
      `BEGIN; SET LOCAL synchronous_commit = off;
       WITH fence AS (SELECT FROM ${t.trees} WHERE name = ${tree} AND epoch = ${this.#epoch} FOR SHARE)
       INSERT INTO ${t.marks} (tree, epoch, seq, size, root) SELECT ${tree}, ${this.#epoch}, ${mark.seq}, ${mark.size}, decode('${root}', 'hex') FROM fence
       ON CONFLICT (tree) DO UPDATE SET epoch = EXCLUDED.epoch, seq = EXCLUDED.seq, size = EXCLUDED.size, root = EXCLUDED.root
         WHERE ${t.marks}.seq <= EXCLUDED.seq;
       COMMIT;`,
    );
    // A failed statement leaves its transaction open (aborted): closed before the next flush.
    await done.catch(async (err: unknown) => {
      await this.#session.query('ROLLBACK').catch(() => undefined);
      throw err;
    });
  }
}
