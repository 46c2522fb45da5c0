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
   */
  open(config: WalConfig, afterSeq: number, visit: WalRecordVisitor): Promise<WalOpenResult>;

  /**
   * Buffers one record in memory: synchronous, no I/O. `seq` must be the previous one + 1.
   * `leaves` (k*32 bytes, k >= 1) is copied before return.
   */
  append(seq: number, leaves: Uint8Array): void;

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
