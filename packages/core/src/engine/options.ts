/**
 * Options of the persistent engine {@link RotorTree} and their validation.
 * @module
 */
import type { Hasher } from '../hasher.js';
import type { CheckpointStore } from '../persistence/checkpoint-store.js';
import { isTreeId } from '../persistence/tree-identity.js';
import type { Wal } from '../persistence/wal.js';
import { assertTreeParams } from '../tree/shape.js';

/**
 * When buffered WAL records are written and fdatasynced.
 * - `interval` (default, 10 ms): group commit. The first record appended after a flush arms a timer;
 *   when it fires, everything buffered is flushed at once. An idle timer never keeps the process
 *   alive; one that a token is waiting for does.
 * - `manual`: nothing is flushed until {@link RotorTree.flush} (or `insertDurable`, or `close`).
 *
 * Under both, an `insertMany` of at least 1 MiB of leaves starts a flush itself, before hashing, so
 * that the disk works while the batch is hashed (its token may resolve without a `flush()` call).
 */
export type FlushPolicy = { readonly kind: 'interval'; readonly ms: number } | { readonly kind: 'manual' };

/**
 * When the engine writes a checkpoint (needs a {@link CheckpointStore}).
 * - `manual` (default): only on {@link RotorTree.checkpoint}.
 * - `onClose`: at {@link RotorTree.close}.
 * - `everyNEntries`: in the background once `n` WAL records (a batch counts as one) were appended
 *   since the last checkpoint started.
 * - `memoryThreshold`: in the background once the leaves appended since the last checkpoint started
 *   take `bytes` (32 bytes per leaf, the WAL delta a recovery would replay).
 */
export type CheckpointPolicy =
  | { readonly kind: 'manual' }
  | { readonly kind: 'onClose' }
  | { readonly kind: 'everyNEntries'; readonly n: number }
  | { readonly kind: 'memoryThreshold'; readonly bytes: number };

/**
 * Memory tiering: which levels of a loaded checkpoint stay in the store's files (e.g. mmap'd) instead
 * of being copied into memory. Levels below `pinAboveLevel` are read from the store; levels at or
 * above it are copied at open. Without this option every level is copied (pinAboveLevel 0).
 */
export interface TieringOptions {
  /** Levels at or above it stay in memory; lower levels are read from checkpoint files. */
  readonly pinAboveLevel: number;
}

/** Options of {@link RotorTree.open}. */
export interface RotorTreeOptions<N extends number = number, D extends number = number> {
  /** The parent-hash function; its `id` is checked against the WAL and checkpoint headers. */
  readonly hasher: Hasher;
  /** Branching factor, 2..256. */
  readonly n: N;
  /** Maximum depth, 1..64: the tree holds at most n^maxDepth leaves. */
  readonly maxDepth: D;
  /** The write-ahead log (e.g. `fsWal(dir)` from `@rotortree/wal-fs`, or `memoryWal()`). */
  readonly wal: Wal;
  /** Where checkpoints go; without one the WAL is never truncated and `checkpoint()` rejects. */
  readonly checkpoints?: CheckpointStore;
  /** Default `{ kind: 'interval', ms: 10 }`. */
  readonly flushPolicy?: FlushPolicy;
  /** Default `{ kind: 'manual' }`. */
  readonly checkpointPolicy?: CheckpointPolicy;
  /** Which levels are read from the checkpoint store's files instead of memory (see {@link TieringOptions}). */
  readonly tiering?: TieringOptions;
  /**
   * Also checkpoint at {@link RotorTree.close}, whatever the policy (so that the next open replays
   * nothing). Default: true for the `onClose` policy, false otherwise.
   */
  readonly checkpointOnClose?: boolean;
  /**
   * At open, recompute every level of the checkpoint from its leaves and compare node by node
   * (`CORRUPTION` on a mismatch): O(size) hashing. Without it (the default) the stored levels are
   * adopted as they are, with only the spine rehashed (each level's last node and the root: O(depth)),
   * so a checkpoint opens in about a millisecond whatever its size.
   */
  readonly verifyCheckpoint?: boolean;
  /**
   * The tree's identity, when the caller keeps it (as `open(dir)` does in its descriptor): a WAL or
   * checkpoint of another tree is then `CORRUPTION`. Without it, the identity is the one the WAL's
   * log holds, or a new one for a new tree (see {@link RotorTree.treeId}).
   */
  readonly treeId?: string;
  /**
   * Create the tree when the WAL holds no log. Default true. With false, a missing log is
   * `CORRUPTION` naming it: for callers whose own records say the tree exists.
   */
  readonly create?: boolean;
  /**
   * Called once when the tree has closed its backends (after `close()`, whatever its outcome), or
   * when `open` fails: for resources the caller holds for the tree, such as a lock on its directory.
   */
  readonly onClosed?: () => void;
}

/** The default flush policy: group commit every 10 ms. */
export const DEFAULT_FLUSH_POLICY: FlushPolicy = { kind: 'interval', ms: 10 };

/** The default checkpoint policy. */
export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { kind: 'manual' };

/** Throws `TypeError`/`RangeError` on misuse of {@link RotorTreeOptions}. */
export function assertEngineOptions(options: RotorTreeOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('RotorTree.open needs an options object');
  assertTreeParams(options.n, options.maxDepth);
  const { hasher, wal, checkpoints } = options;
  if (hasher === null || typeof hasher !== 'object' || typeof hasher.id !== 'string') {
    throw new TypeError('hasher must implement the Hasher interface');
  }
  if (wal === null || typeof wal !== 'object' || typeof wal.open !== 'function' || typeof wal.recover !== 'function' || typeof wal.append !== 'function') {
    throw new TypeError('wal must implement the Wal interface');
  }
  if (checkpoints !== undefined && (checkpoints === null || typeof checkpoints !== 'object' || typeof checkpoints.open !== 'function' || typeof checkpoints.write !== 'function')) {
    throw new TypeError('checkpoints must implement the CheckpointStore interface');
  }
  const flush = options.flushPolicy ?? DEFAULT_FLUSH_POLICY;
  if (flush.kind === 'interval') {
    if (typeof flush.ms !== 'number' || !(flush.ms >= 0) || !Number.isFinite(flush.ms)) {
      throw new RangeError(`flushPolicy.ms must be a finite number >= 0, got ${String(flush.ms)}`);
    }
  } else if (flush.kind !== 'manual') {
    throw new RangeError(`unknown flushPolicy kind ${String((flush as { kind: unknown }).kind)}`);
  }
  const cp = options.checkpointPolicy ?? DEFAULT_CHECKPOINT_POLICY;
  switch (cp.kind) {
    case 'manual':
      break;
    case 'onClose':
      break;
    case 'everyNEntries':
      if (!Number.isInteger(cp.n) || cp.n < 1) throw new RangeError(`checkpointPolicy.n must be an integer >= 1, got ${String(cp.n)}`);
      break;
    case 'memoryThreshold':
      if (typeof cp.bytes !== 'number' || !(cp.bytes > 0)) throw new RangeError(`checkpointPolicy.bytes must be > 0, got ${String(cp.bytes)}`);
      break;
    default:
      throw new RangeError(`unknown checkpointPolicy kind ${String((cp as { kind: unknown }).kind)}`);
  }
  if (cp.kind !== 'manual' && checkpoints === undefined) {
    throw new RangeError(`checkpointPolicy ${cp.kind} needs a checkpoint store (options.checkpoints)`);
  }
  if (options.checkpointOnClose !== undefined && typeof options.checkpointOnClose !== 'boolean') {
    throw new TypeError('checkpointOnClose must be a boolean');
  }
  if (options.treeId !== undefined && !isTreeId(options.treeId)) throw new TypeError('treeId must be 32 lowercase hex digits');
  if (options.create !== undefined && typeof options.create !== 'boolean') throw new TypeError('create must be a boolean');
  if (options.onClosed !== undefined && typeof options.onClosed !== 'function') throw new TypeError('onClosed must be a function');
  if (options.verifyCheckpoint !== undefined && typeof options.verifyCheckpoint !== 'boolean') throw new TypeError('verifyCheckpoint must be a boolean');
  const tiering = options.tiering;
  if (tiering !== undefined && (!Number.isInteger(tiering.pinAboveLevel) || tiering.pinAboveLevel < 0)) {
    throw new RangeError('tiering.pinAboveLevel must be an integer >= 0');
  }
}
