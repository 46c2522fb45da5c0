/**
 * Runs checkpoints: capture an immutable snapshot and its seq, make the WAL durable up to that seq,
 * hand both to the store, then truncate the WAL up to that seq. Inserts continue meanwhile (the
 * snapshot shares the tree's chunks and never changes; new records go to the WAL after the seq).
 *
 * Crash windows: before the store publishes, the old checkpoint and the whole WAL remain; after it
 * and before the truncate, the WAL still holds records the checkpoint covers, which recovery skips
 * (it replays only `seq > checkpoint seq`). The WAL is flushed up to the seq first, so the WAL never
 * ends before the checkpoint's seq.
 * @module
 */
import type { CheckpointStore } from '../persistence/checkpoint-store.js';
import type { Wal } from '../persistence/wal.js';
import type { TreeView } from '../tree/view.js';
import type { FlushLane } from './flush-lane.js';

/** A tree state to checkpoint: an immutable view and the last WAL seq it contains. */
export interface CheckpointCapture {
  readonly view: TreeView;
  readonly seq: number;
}

/** Serialises checkpoints; a request during a running one coalesces into one run after it. Internal to {@link RotorTree}. */
export class Checkpointer {
  /** Last seq published by the store (recovered at open). */
  seq: number;
  /** The error of the last attempt, or undefined if it succeeded. */
  lastError: unknown;

  readonly #store: CheckpointStore;
  readonly #wal: Wal;
  readonly #lane: FlushLane;
  readonly #capture: () => CheckpointCapture;
  readonly #written: () => Promise<void>;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  /** `written` runs after each published checkpoint, before the WAL truncate (the engine re-tiers there). */
  constructor(
    store: CheckpointStore,
    wal: Wal,
    lane: FlushLane,
    capture: () => CheckpointCapture,
    seq: number,
    written: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.#store = store;
    this.#written = written;
    this.#wal = wal;
    this.#lane = lane;
    this.#capture = capture;
    this.seq = seq;
  }

  /** True while a checkpoint runs or waits to run. */
  get busy(): boolean {
    return this.#running !== undefined || this.#queued !== undefined;
  }

  /** A checkpoint of the state at the time of the call (or later). */
  request(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    const running = this.#running;
    if (running === undefined) return this.#start();
    const queued = running
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#start();
      });
    this.#queued = queued;
    return queued;
  }

  /** Starts a checkpoint in the background unless one is running; errors go to {@link lastError}. */
  background(): void {
    if (this.busy) return;
    this.request().catch(() => undefined);
  }

  /** Resolves when no checkpoint runs or waits (errors are not rethrown). */
  async idle(): Promise<void> {
    for (;;) {
      const p = this.#queued ?? this.#running;
      if (p === undefined) return;
      await p.catch(() => undefined);
    }
  }

  #start(): Promise<void> {
    const run: Promise<void> = this.#once().finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  async #once(): Promise<void> {
    const { view, seq } = this.#capture();
    if (seq <= this.seq) return;
    try {
      await this.#lane.flushUpTo(seq);
      await this.#store.write(view, seq);
    } catch (err) {
      this.lastError = err;
      throw err;
    }
    this.seq = seq;
    // Published and durable: re-tiering (mapping the new files) and dropping the WAL records the
    // checkpoint covers are independent, so they run together.
    const [written, truncated] = await Promise.allSettled([this.#written(), this.#lane.exclusive(() => this.#wal.truncate(seq))]);
    if (truncated.status === 'rejected') {
      // The WAL file is in an unknown state: stop claiming durability.
      const poison = this.#lane.poisonWith(truncated.reason, 'truncating the WAL after a checkpoint failed');
      this.lastError = poison;
      throw poison;
    }
    if (written.status === 'rejected') {
      this.lastError = written.reason;
      throw written.reason;
    }
    this.lastError = undefined;
  }
}
