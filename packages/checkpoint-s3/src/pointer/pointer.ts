/**
 * The commit point of the S3 store: which manifest is the tree's checkpoint. Publishing is one
 * fenced step by whoever keeps the pointer, never an overwrite a stale writer could make.
 * Implementations: the standalone bucket pointer (bucket-pointer.ts: an object in the bucket, replaced by
 * conditional writes), or a database row fenced by the WAL's own epoch (`postgresCheckpointPointer`
 * of `@rotortree/wal-postgres`): any object with these methods.
 * @module
 */
import type { TreeIdentity } from '@rotortree/core/backend';

/** What a published pointer names: a manifest object and what it must be. */
export interface PointerTarget {
  /** The manifest's object key (in the store's bucket). */
  readonly manifestKey: string;
  /** The last WAL sequence number the checkpoint covers. */
  readonly seq: number;
  /** Leaves it holds. */
  readonly size: number;
  /** The manifest object's length in bytes. */
  readonly manifestBytes: number;
  /** The CRC-32C the manifest ends with (its whole-object checksum). */
  readonly manifestCrc: number;
}

/** What a writer learns when it takes the pointer. */
export interface PointerClaim {
  /**
   * This writer's epoch (fencing token), a safe integer > 0, higher than every earlier writer's of
   * this tree: every key the store writes carries it.
   */
  readonly epoch: number;
  /** What is published now, or `undefined` when no checkpoint was ever published. */
  readonly current: PointerTarget | undefined;
}

/**
 * Keeps the pointer of one tree. The store calls `claim` (writer) or `read` (reader) once, then
 * `publish` after each checkpoint's objects are written, `read` again when the outcome of a publish
 * is unknown, and `close` at the end.
 */
export interface CheckpointPointer {
  /** Where the pointer lives (an object key, a table row), for errors. */
  readonly location: string;
  /**
   * Becomes the tree's checkpoint writer: takes an epoch higher than any before, and from then on
   * refuses `publish` by any earlier epoch. `FILE_LOCKED` when it cannot (another writer holds it and
   * this implementation does not take over); `CORRUPTION` for a pointer that is damaged or names
   * another tree.
   */
  claim(tree: TreeIdentity): Promise<PointerClaim>;
  /** What is published now, without claiming anything (readers; a writer after a failed publish). */
  read(tree: TreeIdentity): Promise<PointerTarget | undefined>;
  /**
   * Replaces `previous` (what this writer last published or found at its claim) by `next`, in one
   * step that succeeds only while this writer's epoch is the tree's: else `FENCED`, and nothing
   * changed. Idempotent: a retry after a lost reply succeeds if the first attempt landed. Another
   * failure (`IO`) leaves the outcome unknown; `read` tells.
   */
  publish(next: PointerTarget, previous: PointerTarget | undefined): Promise<void>;
  /** Releases what it holds. Idempotent. */
  close(): Promise<void>;
}

/** True when two targets name the same published checkpoint. */
export function sameTarget(a: PointerTarget | undefined, b: PointerTarget | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.manifestKey === b.manifestKey && a.seq === b.seq && a.size === b.size && a.manifestBytes === b.manifestBytes && a.manifestCrc === b.manifestCrc;
}
