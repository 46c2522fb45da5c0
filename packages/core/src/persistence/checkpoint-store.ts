/**
 * The checkpoint store seen by the engine ({@link RotorTree}): it makes a whole tree state durable
 * so that the WAL can be truncated. Backends: `memoryCheckpointStore()` (core) and the file store of
 * `@rotortree/checkpoint-mmap` (write-once level segments + a checksummed manifest).
 *
 * ## Settled and unsettled nodes
 *
 * In an append-only lean tree of `size` leaves, node `i` of level `k` covers leaves
 * `i*n^k .. (i+1)*n^k - 1`. Once all of them exist the node can never change again: it is
 * **settled**. Level k has `settledLength(size, n, k) = floor(size / n^k)` settled nodes, followed by
 * at most one unsettled node (its last one, whose group is still partial). A store should write each
 * settled node once, ever (append-only segments: the nodes `[settled before, settled now)` of each
 * level), and keep the unsettled tail (at most one node per level) in the manifest that publishes the
 * checkpoint. Writing an unsettled node into a write-once segment is the defect of rotortree 0.19
 * (stale upper-level chunks): a later checkpoint would find it already "written" and keep a wrong value.
 * @module
 */
import type { TreeView } from '../tree/view.js';
import type { TreeIdentity } from './tree-identity.js';

export { settledLength } from '../tree/shape.js';

/**
 * The tree a store is opened for: its parameters (another value stored is `CONFIG_MISMATCH`) and
 * identity (a checkpoint of another tree is `CORRUPTION`, naming the file). Everything the store
 * writes is stamped with both.
 */
export type CheckpointConfig = TreeIdentity;

/** A checkpoint found by {@link CheckpointStore.open}. */
export interface StoredCheckpoint {
  /** The last WAL sequence number the checkpoint covers: the WAL is replayed from `seq + 1`. */
  readonly seq: number;
  /**
   * The tree state, every level of it (settled nodes from the segments, the last node of each level
   * from the manifest's tail). Valid until the store is closed or written again; read-only.
   */
  readonly view: TreeView;
  /** Where the checkpoint was read from (a manifest's path, an object key): errors about it name it. */
  readonly location: string;
}

/** Capabilities a store claims; the conformance suite skips what a backend does not claim. */
export interface CheckpointStoreCapabilities {
  /** Written checkpoints survive a process crash and a power loss. */
  readonly durable: boolean;
}

/**
 * Durable storage of tree states.
 *
 * Contract (checked by the conformance suite; {@link CheckpointStoreBase} in `@rotortree/core/backend`
 * keeps the rules, so that a backend writes only its I/O):
 * - **open** takes the store's exclusive lock (`FILE_LOCKED`), checks `config` (`CONFIG_MISMATCH`, and
 *   `CORRUPTION` for a checkpoint of another tree) and
 *   returns the last published checkpoint, or `undefined` when none was ever published. Damage
 *   (a bad checksum, a missing or short segment, a manifest that does not parse) is `CORRUPTION` with
 *   file and offset: never a silent fallback to "no checkpoint", because the WAL before it may be
 *   truncated already. Every byte a view returns has passed its checksum (checked at open, or when
 *   first read: a read of damaged bytes throws `CORRUPTION`, never returns them). Leftovers of an unpublished write (temporary files, unreferenced segments)
 *   are ignored (and may be removed).
 * - **write** makes `view` (an immutable snapshot, safe to read while the tree keeps growing) and
 *   `seq` (the last WAL sequence number it covers) durable, and publishes them in one atomic step
 *   (e.g. one manifest renamed into place, then the directory fsynced). Before that step, a crash
 *   leaves the previous checkpoint as it was; after it, the new one. It resolves only once the new
 *   checkpoint is durable; the engine truncates the WAL up to `seq` only after that. The engine
 *   never runs two writes at once, and gives states that only grow (`view.size` and `seq` never
 *   decrease). A rejected write may leave the new checkpoint published or not, but always leaves
 *   one whole checkpoint (the old or the new).
 * - A store may write only settled nodes into write-once storage (see {@link settledLength}); the
 *   unsettled tail (at most one node per level) must be stored with the manifest, covered by its
 *   checksum.
 * - **close** releases the lock. Idempotent; later calls fail with `CLOSED`.
 */
export interface CheckpointStore {
  readonly supports: CheckpointStoreCapabilities;

  /** Where the store keeps its checkpoints (a directory's manifest, a bucket and prefix): errors about it name it. */
  readonly location: string;

  /** Opens the store and returns the last published checkpoint, if any. See the contract above. */
  open(config: CheckpointConfig): Promise<StoredCheckpoint | undefined>;

  /** Makes `view` durable as the checkpoint covering WAL records up to `seq`. See the contract above. */
  write(view: TreeView, seq: number): Promise<void>;

  /**
   * Optional, for tiering: the last published checkpoint (as {@link open} would return it), or
   * `undefined`. After each write the engine adopts its settled chunks below `pinAboveLevel` in place
   * of the tree's in-memory copies (views implementing `ChunkSource`, e.g. mmap'd segments). Such views
   * must stay valid until the store is closed.
   */
  latest?(): Promise<StoredCheckpoint | undefined>;

  /** Releases the lock and files. Idempotent. Views the store handed out may stop working. */
  close(): Promise<void>;
}

