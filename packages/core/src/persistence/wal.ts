/**
 * The write-ahead log seen by the engine ({@link RotorTree}). Backends: `memoryWal()` (core) and
 * `fsWal()` (`@rotortree/wal-fs`). The engine assigns sequence numbers; the WAL frames, buffers,
 * writes, fsyncs and recovers them.
 * @module
 */

/** What a WAL must match: a directory is never reopened with other values (`CONFIG_MISMATCH`). */
export interface WalConfig {
  /** Branching factor of the tree. */
  readonly n: number;
  /** Maximum depth of the tree. */
  readonly maxDepth: number;
  /** {@link Hasher.id} of the tree's hasher. */
  readonly hasherId: string;
}

/** Called by {@link Wal.open} for each recovered record, in sequence order. `leaves` is k*32 bytes, valid only during the call. */
export type WalRecordVisitor = (seq: number, leaves: Uint8Array) => void;

/**
 * Called by {@link Wal.open}, when the caller offers it, for a run of `records` (>= 1)
 * consecutive recovered records: seqs `firstSeq` .. `firstSeq + records - 1`, in sequence order.
 * `leaves` holds the leaves of all of them back to back (at least `records` * 32 bytes, a multiple
 * of 32; record boundaries are not kept), valid only during the call. Every record of the run has
 * been fully checked (checksums, sequence) before the call, so replaying the run is replaying each
 * of its records whole. Lets a WAL hand over many small records (single inserts) in one call
 * instead of one per record, and replay while it is still reading the log: unlike `visit`, runs may
 * be handed over before recovery has judged what follows them, so if `open` then rejects, the
 * caller must discard everything it was handed (the engine does: its tree is dropped). When `open`
 * resolves, exactly the records it kept were handed over.
 */
export type WalRunVisitor = (firstSeq: number, records: number, leaves: Uint8Array) => void;

/** What recovery found, beyond the records themselves. */
export interface WalOpenResult {
  /** Highest sequence number present in the log after recovery (`afterSeq` when none is newer). */
  readonly lastSeq: number;
  /** A torn tail that recovery cut off (and fsynced), if any: reported, never thrown. */
  readonly tornTail?: { readonly file: string; readonly offset: number; readonly bytes: number };
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
   * Opens the log (creating it if missing), takes the exclusive lock (`FILE_LOCKED` if held),
   * checks the header against `config` (`CONFIG_MISMATCH`), recovers (cuts a torn tail, reports
   * it; `CORRUPTION` with file and offset for damage that cannot be a torn tail, or a sequence gap),
   * and calls `visit` for every record with `seq > afterSeq`. The first record visited must be
   * `afterSeq + 1` (else `CORRUPTION`): `afterSeq` is the last sequence number a checkpoint holds.
   *
   * `visitRun` (optional for callers and for backends): when given, the WAL may hand any
   * consecutive records to it as one run instead of calling `visit` for each; it may mix both
   * (seqs stay in order, each record is handed over exactly once). A backend that ignores it
   * calls `visit` for every record, so callers must accept both.
   */
  open(config: WalConfig, afterSeq: number, visit: WalRecordVisitor, visitRun?: WalRunVisitor): Promise<WalOpenResult>;

  /**
   * Buffers one record in memory: synchronous, no I/O. `seq` must be the previous one + 1.
   * `leaves` (k*32 bytes, k >= 1) is copied before return.
   */
  append(seq: number, leaves: Uint8Array): void;

  /**
   * Optional. Like {@link append}, for one record of `byteLength` payload bytes (k*32, k >= 1) that
   * the caller hands over in pieces through the returned writer, without the WAL copying them: the
   * caller guarantees that the bytes it adds never change and may be referenced until the flush
   * that writes them has settled (the engine passes the tree's level-0 chunks, where a stored leaf
   * is never rewritten). A flush may start while the record is open: it writes the pieces as they
   * come and completes only after {@link ImmutableRecordWriter.end}. Until the writer is ended or
   * aborted, no other record may be appended. Validates `seq` and `byteLength` before anything else.
   */
  appendImmutable?(seq: number, byteLength: number): ImmutableRecordWriter;

  /**
   * Writes everything buffered and makes it durable (fdatasync), then resolves with the highest
   * sequence number now durable. Calls are serialised; records appended while a flush runs go
   * to the next one. A failed write or sync rejects (`IO`) and poisons the WAL: every later
   * `append`/`flush` fails with `POISONED`, and nothing is ever reported durable again.
   */
  flush(): Promise<number>;

  /**
   * Drops every record with `seq <= upToSeq` (a checkpoint made them durable elsewhere) and
   * keeps the rest. Crash-safe at every step: after a crash the log holds either the old or the
   * new set of records, never a mix with a hole.
   */
  truncate(upToSeq: number): Promise<void>;

  /** Flushes nothing: releases the lock and files. Idempotent. Later calls fail with `CLOSED`. */
  close(): Promise<void>;
}
