/**
 * The write-ahead log seen by the engine ({@link RotorTree}). Backends: `memoryWal()` (core),
 * `fsWal()` (`@rotortree/wal-fs`), or your own on {@link WalBase} (`@rotortree/core/backend`), which
 * keeps the rules below so that a backend writes only its I/O. The engine assigns sequence numbers;
 * the WAL frames, buffers, writes, syncs and recovers them.
 *
 * Opening is two steps, so that the tree's identity is known before anything else is read:
 * 1. {@link Wal.open} takes the one-writer lock and reads what the log says about the tree (its
 *    parameters: `CONFIG_MISMATCH`; its identity: reported). It creates nothing.
 * 2. {@link Wal.recover}, once the engine has loaded the checkpoint, replays the records after it, or
 *    creates the log of a new tree.
 * @module
 */
import type { TreeConfig } from './tree-identity.js';

/** What a WAL must match: a log is never reopened with other values (`CONFIG_MISMATCH`). */
export type WalConfig = TreeConfig;

/** Called by {@link Wal.recover} for each recovered record, in sequence order. `leaves` is k*32 bytes, valid only during the call. */
export type WalRecordVisitor = (seq: number, leaves: Uint8Array) => void;

/**
 * Called by {@link Wal.recover}, when the caller offers it, for a run of `records` (>= 1)
 * consecutive recovered records: seqs `firstSeq` .. `firstSeq + records - 1`, in sequence order.
 * `leaves` holds the leaves of all of them back to back (at least `records` * 32 bytes, a multiple
 * of 32; record boundaries are not kept), valid only during the call. Every record of the run has
 * been fully checked (checksums, sequence) before the call, so replaying the run is replaying each
 * of its records whole. Lets a WAL hand over many small records (single inserts) in one call
 * instead of one per record, and replay while it is still reading the log: unlike `visit`, runs may
 * be handed over before recovery has judged what follows them, so if `recover` then rejects, the
 * caller must discard everything it was handed (the engine does: its tree is dropped). When `recover`
 * resolves, exactly the records it kept were handed over.
 */
export type WalRunVisitor = (firstSeq: number, records: number, leaves: Uint8Array) => void;

/** What {@link Wal.open} found. */
export interface WalOpened {
  /** The identity of the tree the log belongs to, or `undefined` when there is no log yet. */
  readonly treeId: string | undefined;
  /** Where the log lives (a file path, a table and key): errors about it name it. */
  readonly location: string;
  /** The log holds the records after this sequence number (0 without a log): a checkpoint must cover the ones before. */
  readonly baseSeq: number;
}

/** What {@link Wal.recover} replays, for which tree. */
export interface WalRecoverOptions {
  /**
   * The tree's identity. A log of another tree is `CORRUPTION` (naming the log); a tree without a
   * log (`WalOpened.treeId` undefined) gets a new, empty log stamped with it.
   */
  readonly treeId: string;
  /** The last sequence number the loaded checkpoint holds (0 without one): records after it are replayed. */
  readonly afterSeq: number;
  readonly visit: WalRecordVisitor;
  /**
   * Optional, for callers and for backends: when given, the WAL may hand any consecutive records to
   * it as one run instead of calling `visit` for each; it may mix both (seqs stay in order, each
   * record is handed over exactly once). A backend that ignores it calls `visit` for every record.
   */
  readonly visitRun?: WalRunVisitor;
}

/** What recovery found, beyond the records themselves. */
export interface WalRecovery {
  /** Highest sequence number present in the log after recovery (`afterSeq` when none is newer). */
  readonly lastSeq: number;
  /** A torn tail that recovery cut off (and made durable), if any: reported, never thrown. */
  readonly tornTail?: { readonly file: string; readonly offset: number; readonly bytes: number };
}

/**
 * The tree's state after a durable record, as the engine tells it to the WAL after each flush (see
 * {@link Wal.mark}): readers (followers) apply records only up to such a mark, and check their root
 * when they reach its seq.
 */
export interface WalMark {
  /** A sequence number made durable by a completed flush. */
  readonly seq: number;
  /** Leaves of the tree after that record. */
  readonly size: number;
  /** The root after that record (`undefined` for an empty tree). */
  readonly root: Uint8Array | undefined;
}

/** Capabilities a WAL claims; the conformance suite skips what a backend does not claim. */
export interface WalCapabilities {
  /** Flushed records survive a process crash and a power loss. */
  readonly durable: boolean;
  /** {@link Wal.appendImmutable} is implemented (records are appended by reference, not copied). */
  readonly appendImmutable?: boolean;
}

/** Feeds one record opened by {@link Wal.appendImmutable}. */
export interface ImmutableRecordWriter {
  /** Adds the next bytes of the payload, in order (each part k*32 bytes; never more than declared). */
  add(parts: readonly Uint8Array[]): void;
  /** Completes the record: every declared byte was added (else `RangeError`, and the WAL is poisoned). */
  end(): void;
  /**
   * Gives the record up: the WAL is poisoned (`POISONED` for every later call; a flush writing
   * the record rejects), so the record is never reported durable. Idempotent; a no-op after `end`.
   */
  abort(cause: unknown): void;
}

/**
 * A write-ahead log of leaf batches. One record = one `insert` or one `insertMany`
 * (replayed all or nothing). Sequence numbers start at 1 and rise by 1 per record, across
 * checkpoints and reopenings.
 */
export interface Wal {
  readonly supports: WalCapabilities;

  /**
   * Step 1 of opening: takes the exclusive lock (`FILE_LOCKED` if held), reads the log's header (a
   * damaged one is `CORRUPTION`), checks its parameters against `config` (`CONFIG_MISMATCH`), and
   * reports the tree identity it holds. Creates and changes nothing.
   */
  open(config: WalConfig): Promise<WalOpened>;

  /**
   * Step 2 of opening: checks the identity, recovers (cuts a torn tail, reports it; `CORRUPTION`
   * with file and offset for damage that cannot be a torn tail, a sequence gap, or a log that starts
   * after `afterSeq`), and hands every record with `seq > afterSeq` to the visitors. The first record
   * handed over is `afterSeq + 1` (else `CORRUPTION`). A log that ends before `afterSeq` continues
   * after it. Without a log, creates an empty one (`afterSeq` must then be 0, else `CORRUPTION`).
   */
  recover(options: WalRecoverOptions): Promise<WalRecovery>;

  /**
   * Buffers one record in memory: synchronous, no I/O. `seq` must be the previous one + 1
   * (`RangeError`); `leaves` must be k*32 bytes, k >= 1 (`INVALID_NODE`), and is copied before return.
   */
  append(seq: number, leaves: Uint8Array): void;

  /**
   * Optional (see {@link WalCapabilities.appendImmutable}). Like {@link append}, for one record of
   * `byteLength` payload bytes (k*32, k >= 1) that the caller hands over in pieces through the
   * returned writer, without the WAL copying them: the caller guarantees that the bytes it adds
   * never change and may be referenced until the flush that writes them has settled (the engine
   * passes the tree's level-0 chunks, where a stored leaf is never rewritten). A flush may start
   * while the record is open: it writes the pieces as they come and completes only after
   * {@link ImmutableRecordWriter.end}. Until the writer is ended or aborted, no other record may be
   * appended. Validates `seq` and `byteLength` before anything else.
   */
  appendImmutable?(seq: number, byteLength: number): ImmutableRecordWriter;

  /**
   * Writes everything buffered and makes it durable, then resolves with the highest sequence number
   * now durable. Calls are serialised; records appended while a flush runs go to the next one. A
   * failed write or sync rejects (`IO`, or a backend's own code such as `FENCED`) and poisons the
   * WAL: every later `append`/`flush` fails with `POISONED`, and nothing is ever reported durable again.
   */
  flush(): Promise<number>;

  /**
   * Drops every record with `seq <= upToSeq` (a checkpoint made them durable elsewhere) and
   * keeps the rest. Crash-safe at every step: after a crash the log holds either the old or the
   * new set of records, never a mix with a hole.
   */
  truncate(upToSeq: number): Promise<void>;

  /**
   * Optional, for readers of the log (followers, see {@link WalReader}): the engine calls it after
   * each completed flush with the state the flush made durable. A WAL keeps the last mark where its
   * readers find it (cheaply: a mark proves nothing and needs no sync of its own; a lost mark only
   * makes readers lag). Never throws.
   */
  mark?(mark: WalMark): void;

  /** Flushes nothing: releases the lock and files. Idempotent. Later calls fail with `CLOSED`. */
  close(): Promise<void>;
}
