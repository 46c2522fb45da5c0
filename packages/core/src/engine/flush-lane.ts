/**
 * The engine's flush lane: when WAL flushes run, which sequence numbers are durable, and who is
 * waiting for what.
 *
 * Invariants:
 * - at most one `wal.flush()` in flight; requests during it coalesce into one flush right after it;
 * - a flush covers every record appended before it started (`cover`), and resolves the waiters of
 *   those records only once `wal.flush()` (write + fdatasync) has resolved;
 * - waiters are grouped, not queued one by one: those covered by the in-flight flush share one
 *   promise, those needing a later flush share another. So `wait()` is O(1), a flush resolves all its
 *   waiters in O(1) from the engine's side, and nothing is allocated per insert;
 * - a failed flush poisons the lane for good: every pending and later waiter rejects with `POISONED`
 *   and no later flush is attempted (no fsync is ever retried as if it had succeeded).
 * @module
 */
import { Deferred } from '../deferred.js';
import { RotorTreeError } from '../errors.js';
import type { Wal } from '../persistence/wal.js';
import type { FlushPolicy } from './options.js';

const RESOLVED: Promise<void> = Promise.resolve();

type Timer = ReturnType<typeof setTimeout>;

/** Schedules WAL flushes and tracks durability. Internal to {@link RotorTree}. */
export class FlushLane {
  /** Highest sequence number appended to the WAL. */
  appendedSeq: number;
  /** Leaves of the tree once every appended record is in it. */
  appendedSize: number;
  /** Highest sequence number made durable by a completed flush (or recovered at open). */
  durableSeq: number;
  /** Set by the first failure; never cleared. */
  poison: RotorTreeError | undefined;

  readonly #wal: Wal;
  /** Interval of the group-commit timer, or undefined for manual flushing. */
  readonly #intervalMs: number | undefined;
  #timer: Timer | undefined;
  #stopped = false;
  #flushing = false;
  /** appendedSeq (and appendedSize) when the in-flight flush started. */
  #cover = 0;
  #coverSize = 0;
  /** Told of each completed flush: the seq it made durable and the tree's size after it. */
  readonly #onDurable: ((seq: number, size: number) => void) | undefined;
  /** Ends (never rejects) when the in-flight flush settles. */
  #flightDone: Promise<void> = RESOLVED;
  #flushRequested = false;
  /** Exclusive WAL operations (truncate) running: no flush may start. */
  #paused = 0;
  /** Waiters for records the in-flight flush covers (created only when someone waits). */
  #inflight: Deferred | undefined;
  /** Waiters for records that need a later flush. */
  #next: Deferred | undefined;

  constructor(wal: Wal, policy: FlushPolicy, recoveredSeq: number, recoveredSize = 0, onDurable?: (seq: number, size: number) => void) {
    this.#wal = wal;
    this.#intervalMs = policy.kind === 'interval' ? policy.ms : undefined;
    this.appendedSeq = recoveredSeq;
    this.appendedSize = recoveredSize;
    this.durableSeq = recoveredSeq;
    this.#onDurable = onDurable;
  }

  /** Records that `seq` was appended, leaving the tree `size` leaves; arms the group-commit timer if needed. The insert hot path. */
  noteAppended(seq: number, size: number): void {
    this.appendedSeq = seq;
    this.appendedSize = size;
    if (this.#timer === undefined && this.#intervalMs !== undefined) this.#armTimer();
  }

  /** Resolves once `seq` is durable; rejects with `POISONED` if a flush failed first. Does not start a flush. */
  waitFor(seq: number): Promise<void> {
    if (seq <= this.durableSeq) return RESOLVED;
    if (this.poison !== undefined) return Promise.reject(this.poison);
    if (this.#flushing && seq <= this.#cover) return (this.#inflight ??= new Deferred()).promise;
    // Someone waits for the next group commit: its timer must now keep the process alive.
    (this.#timer as { ref?: () => void } | undefined)?.ref?.();
    return (this.#next ??= new Deferred()).promise;
  }

  /** Like {@link waitFor}, and starts a flush now (or right after the one in flight) if `seq` needs one. */
  flushUpTo(seq: number): Promise<void> {
    const done = this.waitFor(seq);
    if (seq > this.durableSeq && this.poison === undefined && !(this.#flushing && seq <= this.#cover)) this.#startFlush();
    return done;
  }

  /** Poisons the lane (idempotent): pending and later waiters reject with `POISONED`. */
  poisonWith(cause: unknown, message = 'a WAL operation failed; nothing is made durable any more'): RotorTreeError {
    if (this.poison !== undefined) return this.poison;
    const poison = new RotorTreeError('POISONED', message, { cause });
    this.poison = poison;
    this.#clearTimer();
    const inflight = this.#inflight;
    const next = this.#next;
    this.#inflight = undefined;
    this.#next = undefined;
    inflight?.reject(poison);
    next?.reject(poison);
    return poison;
  }

  /**
   * Runs `fn` (a WAL operation that must not overlap a flush, e.g. truncate) once no flush is in
   * flight, holding new flushes back until it ends.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.#paused++;
    try {
      while (this.#flushing) await this.#flightDone;
      return await fn();
    } finally {
      this.#paused--;
      this.#resume();
    }
  }

  /** Stops the timer for good (at close). Explicit flushes still work. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  /** Resolves when no flush is in flight. */
  async idle(): Promise<void> {
    while (this.#flushing) await this.#flightDone;
  }

  #startFlush(): void {
    if (this.poison !== undefined) return;
    if (this.#flushing || this.#paused > 0) {
      this.#flushRequested = true;
      return;
    }
    this.#flushRequested = false;
    this.#clearTimer();
    if (this.appendedSeq <= this.durableSeq) {
      this.#resolveNextIfCovered();
      return;
    }
    this.#flushing = true;
    this.#cover = this.appendedSeq;
    this.#coverSize = this.appendedSize;
    this.#inflight = this.#next;
    this.#next = undefined;
    this.#flightDone = this.#runFlush();
  }

  async #runFlush(): Promise<void> {
    let durable: number;
    try {
      durable = await this.#wal.flush();
    } catch (err) {
      this.#flushing = false;
      this.poisonWith(err, 'a WAL flush failed; nothing is made durable any more');
      return;
    }
    this.#flushing = false;
    if (!(durable >= this.#cover)) {
      this.poisonWith(undefined, `the WAL reported seq ${durable} durable after a flush that had to cover ${this.#cover}`);
      return;
    }
    this.durableSeq = Math.max(this.durableSeq, Math.min(durable, this.appendedSeq));
    const inflight = this.#inflight;
    this.#inflight = undefined;
    inflight?.resolve();
    this.#resolveNextIfCovered();
    // After the waiters: telling readers costs the flush's callers nothing.
    if (this.durableSeq === this.#cover) this.#onDurable?.(this.#cover, this.#coverSize);
    this.#resume();
  }

  /** The `next` group holds seqs <= appendedSeq: all durable once durableSeq caught up. */
  #resolveNextIfCovered(): void {
    if (this.#next !== undefined && this.durableSeq >= this.appendedSeq) {
      const next = this.#next;
      this.#next = undefined;
      next.resolve();
    }
  }

  /** After a flush or an exclusive operation: run a requested flush, or re-arm the timer. */
  #resume(): void {
    if (this.poison !== undefined || this.#paused > 0 || this.#flushing) return;
    if (this.#flushRequested) this.#startFlush();
    else if (this.appendedSeq > this.durableSeq && this.#timer === undefined && this.#intervalMs !== undefined) this.#armTimer();
  }

  #armTimer(): void {
    if (this.#stopped || this.poison !== undefined) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#startFlush();
    }, this.#intervalMs);
    // An idle group commit never keeps the process alive; one that a token waits for does (see
    // waitFor). Node timers have ref/unref; browsers return a number.
    if (this.#next === undefined) (timer as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }
}
