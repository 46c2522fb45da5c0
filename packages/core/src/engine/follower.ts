/**
 * `RotorFollower`: a read-only copy of a tree that a writer (maybe on another machine) keeps
 * growing. It loads the latest checkpoint, tails the write-ahead log through a {@link WalReader},
 * and serves roots, sizes, snapshots and proofs.
 *
 * Rules:
 * - It takes no lock and writes nothing.
 * - It applies only records the writer made durable (the reader's job), whole, in order: every state
 *   it shows is one the writer had, and one no crash of the writer can take back.
 * - Where the writer published the root of a durable state (a {@link WalMark}), the follower checks
 *   its own root there; a difference is `CORRUPTION` and the follower stops serving (every read
 *   throws it) until reopened.
 * - When the log no longer holds what it needs next (a checkpoint covered it and the writer truncated
 *   the log), it reloads the latest checkpoint and goes on from there.
 * @module
 */
import { RotorTreeError } from '../errors.js';
import type { Hasher } from '../hasher.js';
import type { CheckpointStore, StoredCheckpoint } from '../persistence/checkpoint-store.js';
import type { WalMark } from '../persistence/wal.js';
import type { WalReadResult, WalReader } from '../persistence/wal-reader.js';
import { LeanIMT } from '../tree/lean-imt.js';
import type { TreeSnapshot } from '../tree/snapshot.js';
import { assertTreeParams } from '../tree/shape.js';
import type { TieringOptions } from './options.js';
import { ReplayBatcher, restoreCheckpoint } from './recovery.js';

/** Newer and newer checkpoints loaded in one read, each found already truncated past, before the read gives up. */
const GONE_ATTEMPTS = 10;

/** Options of {@link RotorFollower.open} (`RotorTree.follow`). */
export interface FollowOptions<N extends number = number, D extends number = number> {
  readonly hasher: Hasher;
  readonly n: N;
  readonly maxDepth: D;
  /** Reads the writer's log (e.g. `fsWalReader({ dir })`). */
  readonly wal: WalReader;
  /** The writer's checkpoints, opened read-only (e.g. `mmapCheckpointStore({ dir, readOnly: true })`). */
  readonly checkpoints?: CheckpointStore;
  /** The tree's identity, when the caller keeps it; default: the log's. */
  readonly treeId?: string;
  /** Levels below it are read from the checkpoint store's files. */
  readonly tiering?: TieringOptions;
  /**
   * Read the log every this many ms in the background (default 20), and also as soon as the reader
   * reports a change of the log (`WalReader.watch`, e.g. a file watch: the poll is then the fallback);
   * 0: only when `catchUp()` is called.
   */
  readonly pollMs?: number;
}

/** How far behind the writer a follower is. */
export interface FollowerLag {
  /** Durable records the writer has that this follower has not applied yet (as of the last read). */
  readonly records: number;
  /** Milliseconds since the follower last saw itself caught up with the writer's durable state. */
  readonly ms: number;
}

/** A read-only tree that follows its writer. */
export class RotorFollower<N extends number = number, D extends number = number> {
  readonly n: N;
  readonly maxDepth: D;
  readonly hasher: Hasher;
  /** The tree's identity. */
  readonly treeId: string;

  readonly #wal: WalReader;
  readonly #store: CheckpointStore | undefined;
  readonly #pin: number;
  #tree: LeanIMT<N, D>;
  /** The last record applied. */
  #seq: number;
  #checkpointSeq: number;
  /** The highest seq the writer made durable, as of the last read. */
  #durableSeq: number;
  /** `Date.now()` when the follower was last caught up. */
  #caughtUpAt = Date.now();
  /** Set when the follower must not serve any more (a root that differs from the writer's). */
  #broken: RotorTreeError | undefined;
  #lastError: unknown;
  #reading: Promise<number> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Stops the reader's watch of the log, if it watches. */
  #unwatch: (() => void) | undefined;
  /** A change was reported while a read ran: read again after it. */
  #changedWhileReading = false;
  #closed = false;

  private constructor(options: FollowOptions<N, D>, treeId: string, tree: LeanIMT<N, D>, seq: number) {
    this.n = options.n;
    this.maxDepth = options.maxDepth;
    this.hasher = options.hasher;
    this.treeId = treeId;
    this.#wal = options.wal;
    this.#store = options.checkpoints;
    this.#pin = options.tiering?.pinAboveLevel ?? 0;
    this.#tree = tree;
    this.#seq = seq;
    this.#checkpointSeq = seq;
    this.#durableSeq = seq;
  }

  /**
   * Opens a follower: reads the log's header (its identity; `CONFIG_MISMATCH` for other parameters),
   * loads the latest checkpoint, applies the durable records after it, and starts polling. Rejects
   * with `IO` (cause `ENOENT`) when the tree has no log yet.
   */
  static async open<N extends number, D extends number>(options: FollowOptions<N, D>): Promise<RotorFollower<N, D>> {
    if (options === null || typeof options !== 'object') throw new TypeError('follow needs an options object');
    assertTreeParams(options.n, options.maxDepth);
    const { wal, checkpoints, hasher, n, maxDepth } = options;
    if (wal === null || typeof wal !== 'object' || typeof wal.read !== 'function') throw new TypeError('wal must implement the WalReader interface');
    const pollMs = options.pollMs ?? 20;
    if (!(pollMs >= 0) || !Number.isFinite(pollMs)) throw new RangeError('pollMs must be a finite number >= 0');
    const config = { n, maxDepth, hasherId: hasher.id };
    try {
      const opened = await wal.open(config);
      const treeId = options.treeId ?? opened.treeId;
      if (opened.treeId === undefined || treeId === undefined) {
        const cause = Object.assign(new Error(`ENOENT: no log at ${opened.location}`), { code: 'ENOENT' });
        throw new RotorTreeError('IO', `there is no tree to follow at ${opened.location} (no log yet)`, { file: opened.location, cause });
      }
      const stored = checkpoints === undefined ? undefined : await checkpoints.open({ ...config, treeId });
      const tree = RotorFollower.#treeFrom(options, stored);
      const follower = new RotorFollower(options, treeId, tree, stored?.seq ?? 0);
      await follower.catchUp();
      if (follower.#lastError !== undefined) throw follower.#lastError;
      if (pollMs > 0) follower.#startPolling(pollMs);
      return follower;
    } catch (err) {
      await Promise.allSettled([wal.close(), checkpoints?.close()]);
      throw err;
    }
  }

  /** The root of the state this follower serves (a copy), `undefined` while empty. Throws `CORRUPTION` once broken. */
  get root(): Uint8Array | undefined {
    this.#assertServing();
    return this.#tree.root;
  }

  /** Leaves of the state this follower serves. */
  get size(): number {
    this.#assertServing();
    return this.#tree.size;
  }

  /** The last WAL record applied: the state served is the writer's right after it. */
  get seq(): number {
    return this.#seq;
  }

  /** The seq of the checkpoint this follower last loaded (0 without one). */
  get checkpointSeq(): number {
    return this.#checkpointSeq;
  }

  /** 0 for 0 or 1 leaves, else ceil(log_n(size)). */
  get depth(): number {
    this.#assertServing();
    return this.#tree.depth;
  }

  /** The highest seq the writer has made durable, as of the last read. */
  get writerDurableSeq(): number {
    return this.#durableSeq;
  }

  /** How far behind the writer this follower is. */
  get lag(): FollowerLag {
    const records = Math.max(0, this.#durableSeq - this.#seq);
    return { records, ms: records === 0 ? 0 : Date.now() - this.#caughtUpAt };
  }

  /** The error of the last background read, if it failed (the follower keeps serving the state before it, unless broken). */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** An immutable view of the state served (O(depth)); proofs come from here. Throws `CORRUPTION` once broken, `CLOSED` after close. */
  snapshot(): TreeSnapshot {
    this.#assertServing();
    return this.#tree.snapshot();
  }

  /**
   * Reads the log once and applies what is new (reloading the checkpoint first if the log moved past
   * this follower); resolves with the seq now served. Concurrent calls share one read. A failed read
   * is kept in {@link lastError} (and rejects this call); a root that differs from the writer's breaks
   * the follower (`CORRUPTION` from every read after).
   */
  catchUp(): Promise<number> {
    if (this.#closed) return Promise.reject(new RotorTreeError('CLOSED', 'the follower is closed'));
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    this.#reading ??= this.#readOnce().finally(() => {
      this.#reading = undefined;
      if (this.#changedWhileReading) this.#wake();
    });
    return this.#reading;
  }

  /** Stops polling and releases the reader and the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#unwatch?.();
    await this.#reading?.catch(() => undefined);
    await Promise.allSettled([this.#wal.close(), this.#store?.close()]);
  }

  async #readOnce(): Promise<number> {
    try {
      let result = await this.#apply(this.#tree, this.#seq);
      // The writer truncated its log past this follower: a checkpoint holds what it needs. The writer
      // may checkpoint and truncate again while the follower loads one (a slow download): then the
      // log is gone past that one too, and a newer checkpoint is there (or will be, where the
      // checkpoint's pointer is read from a replica behind the log's).
      for (let attempt = 1; result.gone; attempt++) {
        const stored = await this.#store?.latest?.();
        if (stored === undefined || stored.seq < this.#seq) {
          throw new RotorTreeError('CORRUPTION', `${this.#wal.location} no longer holds seq ${this.#seq + 1}, and no checkpoint covers it`, {
            file: this.#wal.location,
            seq: this.#seq + 1,
          });
        }
        const tree = RotorFollower.#treeFrom(this, stored, this.#pin);
        result = await this.#apply(tree, stored.seq);
        if (!result.gone) {
          this.#tree = tree;
          this.#checkpointSeq = stored.seq;
        } else if (attempt >= GONE_ATTEMPTS) {
          throw new RotorTreeError('CORRUPTION', `${this.#wal.location} does not continue the checkpoint at seq ${stored.seq} (${attempt} checkpoints loaded, the log gone past each)`, {
            file: this.#wal.location,
            seq: stored.seq + 1,
          });
        }
      }
      this.#seq = result.lastSeq;
      this.#durableSeq = Math.max(this.#durableSeq, result.durableSeq);
      if (this.#seq >= this.#durableSeq) this.#caughtUpAt = Date.now();
      this.#lastError = undefined;
      return this.#seq;
    } catch (err) {
      this.#lastError = err;
      throw err;
    }
  }

  /** Applies the durable records after `afterSeq` to `tree` and checks the writer's roots on the way. */
  async #apply(tree: LeanIMT<N, D>, afterSeq: number): Promise<{ lastSeq: number; durableSeq: number; gone: boolean }> {
    const replay = new ReplayBatcher(tree, afterSeq);
    let result: WalReadResult;
    try {
      result = await this.#wal.read({
        treeId: this.treeId,
        afterSeq,
        visit: (seq, leaves) => replay.add(seq, leaves),
        visitRun: (firstSeq, records, leaves) => replay.addRun(firstSeq, records, leaves),
      });
    } catch (err) {
      // A read that fails after handing over records (checked and durable, as a reader hands them
      // over) has grown the tree: the position follows them, or the next read would add them twice.
      if (tree === this.#tree) {
        replay.drain();
        this.#seq = replay.lastSeq;
      }
      throw err;
    }
    if (result.gone) return { lastSeq: afterSeq, durableSeq: result.durableSeq, gone: true };
    replay.drain();
    if (replay.lastSeq !== result.lastSeq) {
      throw new RotorTreeError('CORRUPTION', `${this.#wal.location} reports seq ${result.lastSeq}, the records handed over end at ${replay.lastSeq}`, { file: this.#wal.location });
    }
    this.#checkMarks(tree, afterSeq, result.lastSeq, result.marks);
    return { lastSeq: result.lastSeq, durableSeq: result.durableSeq, gone: false };
  }

  /** Compares the roots the writer published for seqs in (from, to] with this tree's at those sizes. */
  #checkMarks(tree: LeanIMT<N, D>, from: number, to: number, marks: readonly WalMark[]): void {
    for (const mark of marks) {
      if (mark.seq <= from || mark.seq > to) continue;
      const ours = mark.size <= tree.size ? tree.rootAt(mark.size) : undefined;
      if (ours === undefined || mark.root === undefined || !sameBytes(ours, mark.root)) {
        this.#broken = new RotorTreeError(
          'CORRUPTION',
          `after seq ${mark.seq} the writer's root differs from the one this follower computed: it stops serving`,
          { file: this.#wal.location, seq: mark.seq },
        );
        throw this.#broken;
      }
    }
  }

  #startPolling(ms: number): void {
    this.#timer = setInterval(() => {
      if (this.#reading === undefined) this.catchUp().catch(() => undefined);
    }, ms);
    // A follower polling in the background never keeps the process alive.
    (this.#timer as { unref?: () => void }).unref?.();
    this.#unwatch = this.#wal.watch?.(() => this.#wake());
  }

  /** The log changed: read it now, or right after the read in progress (which may have missed the change). */
  #wake(): void {
    this.#changedWhileReading = false;
    if (this.#closed || this.#broken !== undefined) return;
    if (this.#reading !== undefined) this.#changedWhileReading = true;
    else this.catchUp().catch(() => undefined);
  }

  #assertServing(): void {
    if (this.#broken !== undefined) throw this.#broken;
    if (this.#closed) throw new RotorTreeError('CLOSED', 'the follower is closed');
  }

  /** A tree holding `stored` (or empty), its lower levels read from the store's files below the pin. */
  static #treeFrom<N extends number, D extends number>(
    options: { readonly hasher: Hasher; readonly n: N; readonly maxDepth: D; readonly tiering?: TieringOptions },
    stored: StoredCheckpoint | undefined,
    pin = options.tiering?.pinAboveLevel ?? 0,
  ): LeanIMT<N, D> {
    const tree = new LeanIMT<N, D>({ hasher: options.hasher, n: options.n, maxDepth: options.maxDepth });
    if (stored !== undefined) restoreCheckpoint(tree, stored, false, pin);
    return tree;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
