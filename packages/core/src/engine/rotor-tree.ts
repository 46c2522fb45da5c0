/**
 * The persistent engine: a {@link LeanIMT} in memory, made durable by a write-ahead log and
 * (optionally) checkpoints.
 *
 * Write path (synchronous): check closed/poisoned → update the tree (validates; atomic) → buffer
 * one WAL record → return the root and a token. No I/O on the insert path; flushes run on async I/O
 * (see flush-lane.ts), checkpoints in the background (see checkpointer.ts).
 * @module
 */
import { NODE_SIZE, flattenLeaves, transferLeaves } from '../bytes.js';
import { RotorTreeError } from '../errors.js';
import type { Hasher } from '../hasher.js';
import type { CheckpointStore } from '../persistence/checkpoint-store.js';
import type { ImmutableRecordWriter, Wal } from '../persistence/wal.js';
import { LeanIMT } from '../tree/lean-imt.js';
import type { InsertManyOptions } from '../tree/lean-imt.js';
import type { TreeSnapshot } from '../tree/snapshot.js';
import type { ChunkSource, TreeView } from '../tree/view.js';
import { Checkpointer } from './checkpointer.js';
import { RotorFollower } from './follower.js';
import type { FollowOptions } from './follower.js';
import type { CheckpointCapture } from './checkpointer.js';
import { FlushLane } from './flush-lane.js';
import type { CheckpointPolicy, FlushPolicy, RotorTreeOptions } from './options.js';
import { DEFAULT_CHECKPOINT_POLICY, DEFAULT_FLUSH_POLICY, assertEngineOptions } from './options.js';
import type { RecoveryReport } from './recovery.js';
import { recover } from './recovery.js';
import type { InsertResult } from './token.js';
import { InsertReceipt } from './token.js';

/**
 * Most leaves in one `insertMany` (one WAL record, 1 GiB): checked before the tree changes, so a
 * batch a WAL would refuse never leaves the tree ahead of the WAL. Every WAL must accept records
 * up to this size.
 */
export const MAX_BATCH_LEAVES = 1 << 25;

/** Batches of at least this many bytes are written ahead: logged and flushing while they are hashed. */
const WRITE_AHEAD_BYTES = 1 << 20;

/**
 * An append-only n-ary Merkle tree that survives crashes.
 *
 * ```ts
 * const tree = await RotorTree.open({ hasher: blake3(), n: 4, maxDepth: 20, wal: fsWal(dir) });
 * const { root, token } = tree.insert(leaf);
 * await token.wait(); // durable: survives a crash
 * ```
 *
 * Guarantees: an insert whose token resolved survives any crash; after recovery the leaves are a
 * prefix of what was inserted (a batch is all or nothing); a failed flush poisons the tree
 * (`POISONED` for every pending and later token, insert and flush).
 *
 * @typeParam N - the branching factor as a literal type.
 * @typeParam D - the maximum depth as a literal type.
 */
export class RotorTree<N extends number = number, D extends number = number> {
  /** Branching factor. */
  readonly n: N;
  /** Maximum depth. */
  readonly maxDepth: D;
  /** The parent-hash function. */
  readonly hasher: Hasher;
  /** What recovery found at open. */
  readonly recovery: RecoveryReport;
  /** The tree's identity: created with the tree, stamped on every file of it (see `RotorTreeOptions.treeId`). */
  readonly treeId: string;
  /** The flush policy in effect. */
  readonly flushPolicy: FlushPolicy;
  /** The checkpoint policy in effect. */
  readonly checkpointPolicy: CheckpointPolicy;

  readonly #tree: LeanIMT<N, D>;
  readonly #wal: Wal;
  readonly #store: CheckpointStore | undefined;
  readonly #lane: FlushLane;
  readonly #checkpoints: Checkpointer | undefined;
  /** Levels below it are read from the checkpoint store's files after a checkpoint (0: none). */
  readonly #pinAboveLevel: number;
  readonly #checkpointOnClose: boolean;
  readonly #onClosed: (() => void) | undefined;
  /** Set when `close()` closes the checkpoint store: its mapped chunks are gone from then on. */
  #storeClosed = false;
  /** Where results compute a root not read yet (see {@link insert}). */
  readonly #rootHistory = {
    rootAt: (size: number): Uint8Array => {
      // An earlier root reads older siblings, which may live in the closed store's (unmapped) files;
      // the final root and the path to it are always in memory.
      if (this.#storeClosed && size !== this.#tree.size) {
        throw new RotorTreeError('CLOSED', "this insert's root was not read before close() closed the checkpoint files it needs");
      }
      return this.#tree.rootAt(size);
    },
  };
  /** Last sequence number appended. */
  #seq: number;
  #closed = false;
  #closing: Promise<void> | undefined;
  // Background checkpoint triggers (Infinity when the policy does not use them).
  readonly #entryLimit: number;
  readonly #leafLimit: number;
  #entriesSince = 0;
  #leavesSince = 0;

  private constructor(options: RotorTreeOptions<N, D>, tree: LeanIMT<N, D>, recovery: RecoveryReport) {
    this.n = options.n;
    this.maxDepth = options.maxDepth;
    this.hasher = options.hasher;
    this.recovery = recovery;
    this.treeId = recovery.treeId;
    this.flushPolicy = options.flushPolicy ?? DEFAULT_FLUSH_POLICY;
    this.checkpointPolicy = options.checkpointPolicy ?? DEFAULT_CHECKPOINT_POLICY;
    this.#tree = tree;
    this.#wal = options.wal;
    this.#store = options.checkpoints;
    this.#pinAboveLevel = options.tiering?.pinAboveLevel ?? 0;
    this.#checkpointOnClose = options.checkpointOnClose ?? this.checkpointPolicy.kind === 'onClose';
    this.#onClosed = options.onClosed;
    this.#seq = recovery.lastSeq;
    this.#lane = new FlushLane(this.#wal, this.flushPolicy, recovery.lastSeq, tree.size, (seq, size) => this.#markDurable(seq, size));
    this.#checkpoints =
      this.#store === undefined
        ? undefined
        : new Checkpointer(this.#store, this.#wal, this.#lane, () => this.#capture(), recovery.checkpointSeq, () => this.#retier());
    // Readers of the log learn the recovered state as durable (all of it is: recovery read it back).
    if (recovery.lastSeq > 0) this.#markDurable(recovery.lastSeq, tree.size);
    const cp = this.checkpointPolicy;
    this.#entryLimit = cp.kind === 'everyNEntries' ? cp.n : Infinity;
    this.#leafLimit = cp.kind === 'memoryThreshold' ? Math.max(1, Math.ceil(cp.bytes / NODE_SIZE)) : Infinity;
  }

  /**
   * Opens (or creates) a tree: opens the WAL (its lock: `FILE_LOCKED`; its parameters:
   * `CONFIG_MISMATCH`; the tree's identity), then the checkpoint store (the same checks; a checkpoint
   * of another tree is `CORRUPTION`), loads the checkpoint, replays the WAL records after it, and
   * reports what it found in {@link RotorTree.recovery}. Damage that cannot be a torn tail is
   * `CORRUPTION`; on any error both backends are closed again.
   */
  static async open<N extends number, D extends number>(options: RotorTreeOptions<N, D>): Promise<RotorTree<N, D>> {
    assertEngineOptions(options);
    const { hasher, n, maxDepth, wal, checkpoints } = options;
    const tree = new LeanIMT<N, D>({ hasher, n, maxDepth });
    let recovery: RecoveryReport;
    try {
      recovery = await recover(
        tree,
        wal,
        checkpoints,
        { n, maxDepth, hasherId: hasher.id },
        { treeId: options.treeId, create: options.create ?? true },
        options.verifyCheckpoint === true,
        options.tiering?.pinAboveLevel ?? 0,
      );
    } catch (err) {
      await Promise.allSettled([wal.close(), checkpoints?.close()]);
      options.onClosed?.();
      throw err;
    }
    return new RotorTree(options, tree, recovery);
  }

  /**
   * A read-only follower of a tree another writer (maybe on another machine) keeps growing: it loads
   * the latest checkpoint, tails the log through a `WalReader`, and serves roots and proofs of states
   * the writer made durable (see {@link RotorFollower}). Takes no lock.
   */
  static follow<N extends number, D extends number>(options: FollowOptions<N, D>): Promise<RotorFollower<N, D>> {
    return RotorFollower.open(options);
  }

  /** The current root (a copy), or `undefined` while the tree is empty. Includes not-yet-durable inserts. */
  get root(): Uint8Array | undefined {
    return this.#tree.root;
  }

  /** Number of leaves (including not-yet-durable inserts). */
  get size(): number {
    return this.#tree.size;
  }

  /** 0 for 0 or 1 leaves, else ceil(log_n(size)). */
  get depth(): number {
    return this.#tree.depth;
  }

  /** Sequence number of the last WAL record appended (0 before the first insert ever). */
  get seq(): number {
    return this.#seq;
  }

  /** Highest sequence number known durable. */
  get durableSeq(): number {
    return this.#lane.durableSeq;
  }

  /** True once a WAL operation failed: nothing is made durable any more. */
  get poisoned(): boolean {
    return this.#lane.poison !== undefined;
  }

  /** The error of the last checkpoint attempt (background ones included), or `undefined` if it succeeded. */
  get lastCheckpointError(): unknown {
    return this.#checkpoints?.lastError;
  }

  /** Last WAL sequence number covered by a published checkpoint (0 without one). */
  get checkpointSeq(): number {
    return this.#checkpoints?.seq ?? 0;
  }

  /** An immutable view of the current state (O(depth)); proofs come from here. */
  snapshot(): TreeSnapshot {
    this.#assertOpen();
    return this.#tree.snapshot();
  }

  /**
   * Appends one leaf (32 bytes, stored as given) and buffers one WAL record. Returns at once the
   * result, which is also the record's durability token. Its `root` is computed when first read:
   * hashing waits until something needs the upper levels (a result's `root`, {@link root}, a
   * snapshot, a batch, a checkpoint), then covers every insert since in one pass, so a stream of
   * inserts whose roots are not read costs about what one `insertMany` of them costs. Reading
   * `root` right after each insert costs one path hash per insert, as before; reading it later
   * recomputes that insert's root from the nodes that have not changed since (one group hash per level).
   * Throws `INVALID_NODE`, `MAX_DEPTH_EXCEEDED` (nothing changed), `POISONED` or `CLOSED`.
   */
  insert(leaf: Uint8Array): InsertResult {
    this.#assertWritable();
    // The leaf is stored and logged now; the levels above it are hashed when something needs them
    // (this result's root, `root`, a snapshot, a batch...), in one pass for all inserts since.
    this.#tree.append(leaf);
    return this.#commit(leaf, 1, undefined);
  }

  /**
   * Appends leaves (an array of 32-byte arrays, or one flat buffer of k*32 bytes) as one WAL record:
   * all or nothing, also at recovery. Throws `EMPTY_BATCH`, `INVALID_NODE`, `MAX_DEPTH_EXCEEDED`,
   * `RangeError` beyond {@link MAX_BATCH_LEAVES}, `TypeError` for a buffer that cannot be transferred
   * (nothing changed), `POISONED` or `CLOSED`. With `options.transfer`, a flat buffer is taken
   * instead of copied (see {@link InsertManyOptions.transfer}).
   */
  insertMany(leaves: Uint8Array | readonly Uint8Array[], options?: InsertManyOptions): InsertResult {
    this.#assertWritable();
    let flat = flattenLeaves(leaves);
    if (flat.length > MAX_BATCH_LEAVES * NODE_SIZE) {
      throw new RangeError(`insertMany: at most ${MAX_BATCH_LEAVES} leaves per call (one WAL record), got ${flat.length / NODE_SIZE}`);
    }
    const count = flat.length / NODE_SIZE;
    if (this.#tree.size + count > this.#tree.capacity) {
      throw new RotorTreeError('MAX_DEPTH_EXCEEDED', `${count} leaves do not fit: size ${this.#tree.size}, capacity ${this.#tree.capacity}`);
    }
    // The tree may keep the flat buffer when it is its own: the copy of an array, or a transferred buffer.
    const transfer = leaves instanceof Uint8Array && options?.transfer === true;
    if (transfer) flat = transferLeaves(flat);
    const owned = transfer || !(leaves instanceof Uint8Array);
    if (flat.length < WRITE_AHEAD_BYTES) return this.#commit(flat, count, this.#tree.insertManyStaged(flat, undefined, owned));
    // A large batch is logged and its flush started before it is hashed: the writes run on the libuv
    // pool while this thread hashes (hashing and the disk overlap). Everything the tree could refuse
    // is checked first; if hashing still throws, the WAL holds a batch the tree does not, so the
    // engine is poisoned (the batch may or may not be found after a reopen).
    if (this.#wal.supports.appendImmutable === true && this.#wal.appendImmutable !== undefined) return this.#insertManyByReference(flat, count, owned);
    const seq = this.#append(flat);
    this.#lane.flushUpTo(seq).catch(() => undefined); // failures reach the token's waiters
    let root: Uint8Array;
    try {
      root = this.#tree.insertManyStaged(flat, undefined, owned);
    } catch (err) {
      throw this.#lane.poisonWith(err, 'a logged batch could not be added to the tree');
    }
    this.#counted(count);
    return new InsertReceipt(root, seq, this.#lane);
  }

  /**
   * The write-ahead path without a copy of the batch: the tree stores the leaves in its level 0 in
   * slices (a stored leaf is never rewritten), the WAL takes each slice by reference (never the
   * caller's buffer, which may be reused once insertMany returns, unless it was transferred) and the flush, started with the
   * first slice, writes them as they come; the tree hashes each slice once it is handed over. The
   * tree is unchanged on any error;
   * a refusal by the WAL poisons (as in #append), and so does any failure once the record is open: a
   * record still open is given up (never written whole); one complete before hashing failed may or
   * may not be found after a reopen, as on the copying path.
   */
  #insertManyByReference(flat: Uint8Array, count: number, owned: boolean): InsertResult {
    const seq = this.#seq + 1;
    let writer: ImmutableRecordWriter | undefined;
    let root: Uint8Array;
    try {
      root = this.#tree.insertManyStaged(
        flat,
        (stored, last) => {
          if (writer === undefined) writer = this.#openStored(seq, flat.length);
          writer.add(stored);
          if (last) writer.end();
        },
        owned,
      );
    } catch (err) {
      if (writer === undefined) throw err;
      writer.abort(err);
      throw this.#lane.poisonWith(err, 'a logged batch could not be added to the tree');
    }
    this.#counted(count);
    return new InsertReceipt(root, seq, this.#lane);
  }

  /** Opens the WAL record `seq` of `byteLength` bytes appended by reference, and starts its flush. */
  #openStored(seq: number, byteLength: number): ImmutableRecordWriter {
    let writer: ImmutableRecordWriter;
    try {
      writer = this.#wal.appendImmutable!(seq, byteLength);
    } catch (err) {
      const poison = this.#lane.poisonWith(err, 'the WAL refused a record');
      throw new RotorTreeError('POISONED', 'the WAL refused a record; nothing is made durable any more', { cause: poison.cause });
    }
    this.#seq = seq;
    this.#lane.noteAppended(seq, this.#lane.appendedSize + byteLength / NODE_SIZE);
    this.#lane.flushUpTo(seq).catch(() => undefined); // failures reach the token's waiters
    return writer;
  }

  /** Inserts one leaf, starts a flush at once, and resolves with the root once the leaf is durable. */
  async insertDurable(leaf: Uint8Array): Promise<Uint8Array> {
    const result = this.insert(leaf);
    await this.#lane.flushUpTo(result.token.seq);
    return result.root;
  }

  /**
   * Writes and fdatasyncs everything appended so far; resolves when it is durable. Only one flush
   * runs at a time: a call during one is served by the next. Rejects `POISONED` or `CLOSED`.
   */
  flush(): Promise<void> {
    if (this.#closed) return Promise.reject(new RotorTreeError('CLOSED', 'the tree is closed'));
    return this.#lane.flushUpTo(this.#seq);
  }

  /**
   * Writes a checkpoint of the current state (after making the WAL durable up to it), then truncates
   * the WAL up to it. Inserts may continue meanwhile. A call during a running checkpoint is served by
   * one run after it. Rejects if there is no checkpoint store (`TypeError`), `CLOSED`, or with the
   * store's error (the previous checkpoint and the WAL stay valid).
   */
  checkpoint(): Promise<void> {
    if (this.#closed) return Promise.reject(new RotorTreeError('CLOSED', 'the tree is closed'));
    if (this.#checkpoints === undefined) return Promise.reject(new TypeError('checkpoint() needs a checkpoint store (options.checkpoints)'));
    return this.#checkpoints.request();
  }

  /**
   * Waits up to `ms` for running (and queued) checkpoints to finish. Resolves `true` when none is
   * left (whether they succeeded or not: see {@link lastCheckpointError}), `false` on timeout.
   */
  waitForCheckpoint(ms: number): Promise<boolean> {
    const cps = this.#checkpoints;
    if (cps === undefined || !cps.busy) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void cps.idle().then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * Flushes what is buffered, waits for running checkpoints, runs the `onClose` checkpoint if
   * configured, and closes the WAL and the store. Idempotent (later calls return the same promise);
   * afterwards every other method throws `CLOSED` (the `root`/`size`/`depth` getters keep the last
   * state). Rejects with the flush or checkpoint error, if any, after closing the backends anyway.
   * A poisoned tree closes without flushing or checkpointing (its poison was reported already).
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#lane.stop();
    let failure: unknown;
    if (this.#checkpoints !== undefined) await this.#checkpoints.idle();
    if (this.#lane.poison === undefined) {
      try {
        await this.#lane.flushUpTo(this.#seq);
      } catch (err) {
        failure = err;
      }
    }
    const healthy = failure === undefined && this.#lane.poison === undefined;
    if (this.#checkpointOnClose && this.#checkpoints !== undefined && healthy) {
      try {
        await this.#checkpoints.request();
      } catch (err) {
        failure = err;
      }
    }
    await this.#lane.idle();
    try {
      void this.#tree.root; // hash what single inserts left pending while every level is readable
    } catch (err) {
      failure ??= err;
    }
    this.#storeClosed = this.#store !== undefined;
    const closed = await Promise.allSettled([this.#wal.close(), this.#store?.close()]);
    for (const c of closed) if (c.status === 'rejected' && failure === undefined) failure = c.reason;
    this.#onClosed?.();
    if (failure !== undefined) throw failure;
  }

  /** Buffers the WAL record of a tree update that already happened; `root` undefined: computed when read. */
  #commit(flat: Uint8Array, leaves: number, root: Uint8Array | undefined): InsertResult {
    const seq = this.#append(flat);
    this.#counted(leaves);
    return new InsertReceipt(root, seq, this.#lane, this.#rootHistory, this.#tree.size);
  }

  /** Buffers one WAL record and returns its seq; a refusal poisons (the WAL's state is unknown). */
  #append(flat: Uint8Array): number {
    const seq = this.#seq + 1;
    try {
      this.#wal.append(seq, flat);
    } catch (err) {
      const poison = this.#lane.poisonWith(err, 'the WAL refused a record');
      throw new RotorTreeError('POISONED', 'the WAL refused a record; nothing is made durable any more', { cause: poison.cause });
    }
    this.#seq = seq;
    this.#lane.noteAppended(seq, this.#lane.appendedSize + flat.length / NODE_SIZE);
    return seq;
  }

  /**
   * Tells the WAL (for its readers) the state a completed flush made durable: seq, size, root. The
   * root is computed from the nodes that have not changed since (see `LeanIMT.rootAt`); if that fails
   * (a hasher error, a closed store), readers just get no mark this time.
   */
  #markDurable(seq: number, size: number): void {
    const wal = this.#wal;
    if (wal.mark === undefined || size === 0 || this.#storeClosed) return;
    let root: Uint8Array;
    try {
      root = this.#tree.rootAt(size);
    } catch {
      return;
    }
    wal.mark({ seq, size, root });
  }

  /**
   * Counts a record for the automatic checkpoint policies, and may start one. Only once the tree
   * holds the record: a checkpoint captures the tree with the current seq.
   */
  #counted(leaves: number): void {
    this.#entriesSince++;
    this.#leavesSince += leaves;
    if (this.#entriesSince >= this.#entryLimit || this.#leavesSince >= this.#leafLimit) this.#checkpoints?.background();
  }

  /**
   * Tiering after a checkpoint: levels below `pinAboveLevel` swap their settled in-memory chunks for
   * the store's (e.g. mmap'd) copies of the same bytes, so resident memory stays near the pinned levels.
   */
  async #retier(): Promise<void> {
    const pin = this.#pinAboveLevel;
    const latest = pin > 0 ? await this.#store?.latest?.() : undefined;
    const view = latest?.view as (TreeView & Partial<ChunkSource>) | undefined;
    if (view?.settledChunks !== undefined) this.#tree.adoptSettled(view as ChunkSource, pin);
  }

  #capture(): CheckpointCapture {
    this.#entriesSince = 0;
    this.#leavesSince = 0;
    return { view: this.#tree.snapshot(), seq: this.#seq };
  }

  #assertOpen(): void {
    if (this.#closed) throw new RotorTreeError('CLOSED', 'the tree is closed');
  }

  #assertWritable(): void {
    if (this.#closed) throw new RotorTreeError('CLOSED', 'the tree is closed');
    const poison = this.#lane.poison;
    if (poison !== undefined) {
      throw new RotorTreeError('POISONED', 'a WAL operation failed earlier; nothing is made durable any more', { cause: poison.cause });
    }
  }
}
