/**
 * The one error class of rotortree, with a stable string `code`.
 *
 * Codes are part of the public API and survive major versions; messages may change.
 * Misuse of arguments (a wrong type, N < 2, ...) throws a plain `TypeError` or `RangeError`.
 * @module
 */

/** Every code a {@link RotorTreeError} can carry. */
export type ErrorCode =
  /** An insert would make the tree deeper than `maxDepth` (capacity N^maxDepth). */
  | 'MAX_DEPTH_EXCEEDED'
  /** A leaf index or level index past the end of the tree. */
  | 'INDEX_OUT_OF_RANGE'
  /** `insertMany` was given no leaves. */
  | 'EMPTY_BATCH'
  /** A node or leaf that is not a 32-byte `Uint8Array`. */
  | 'INVALID_NODE'
  /** A proof that is malformed (wrong shape, wrong lengths, undecodable bytes). */
  | 'INVALID_PROOF'
  /** Another opener holds the directory's lock. */
  | 'FILE_LOCKED'
  /** Stored data was written with another n, maxDepth, hasher or format version. */
  | 'CONFIG_MISMATCH'
  /** Stored data is damaged in a way that cannot be a torn tail; carries file and offset. */
  | 'CORRUPTION'
  /** An incomplete last WAL record was cut off at recovery (reported, not thrown). */
  | 'TORN_TAIL'
  /** An I/O operation failed; `cause` holds the system error. */
  | 'IO'
  /** A write or fsync failed earlier; nothing is made durable any more. */
  | 'POISONED'
  /** The tree (or backend) was closed. */
  | 'CLOSED'
  /** This machine lacks what the operation needs (e.g. no addon provides `flock`); the message names it. */
  | 'UNSUPPORTED'
  /**
   * Another writer took the writership of the tree (a shared store such as PostgreSQL: its epoch
   * moved on); this writer's write was refused and it is poisoned.
   */
  | 'FENCED'
  /** The server cannot keep what it acknowledges (fsync, full_page_writes or synchronous_commit off, a read-only standby, an unsupported version). */
  | 'UNSAFE_SERVER';

/** Where stored data is damaged, for `CORRUPTION` and `TORN_TAIL`. */
export interface ErrorLocation {
  /** The file (or logical store name) holding the damage. */
  readonly file?: string;
  /** Byte offset in that file. */
  readonly offset?: number;
  /** WAL sequence number involved, when known. */
  readonly seq?: number;
}

/** Options of {@link RotorTreeError}. */
export interface RotorTreeErrorOptions extends ErrorLocation {
  readonly cause?: unknown;
}

/** The error thrown (or reported) by every rotortree package. Test `code`, never `message`. */
export class RotorTreeError extends Error {
  /** The stable code. */
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly offset: number | undefined;
  readonly seq: number | undefined;

  constructor(code: ErrorCode, message: string, options: RotorTreeErrorOptions = {}) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RotorTreeError';
    this.code = code;
    this.file = options.file;
    this.offset = options.offset;
    this.seq = options.seq;
  }
}

/** True when `err` is a {@link RotorTreeError}, optionally with the given code. */
export function isRotorTreeError(err: unknown, code?: ErrorCode): err is RotorTreeError {
  return err instanceof RotorTreeError && (code === undefined || err.code === code);
}
