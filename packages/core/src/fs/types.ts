/**
 * The file-system seam: every byte the WAL (and the checkpoint store) reads or writes goes
 * through a {@link FileSystem}, so the same code runs on real files ({@link nodeFileSystem})
 * and on the in-memory, fault-injecting {@link faultyFileSystem} used by the crash tests.
 *
 * Errors are thrown as they come from the system (or as {@link FileSystemError}): an object
 * with a string `code` such as `ENOENT`, `EEXIST`, `EIO`, `ENOSPC`. Callers map them to
 * `RotorTreeError('IO')`.
 * @module
 */

/**
 * How to open a file (the Node flag strings, restricted to the ones a log needs):
 * - `r`: read only; the file must exist.
 * - `r+`: read and write; the file must exist.
 * - `w+`: read and write; created if missing, truncated to 0 if present.
 * - `wx+`: read and write; created, `EEXIST` if present.
 */
export type OpenFlags = 'r' | 'r+' | 'w+' | 'wx+';

/** An open file. Positional I/O only: there is no file cursor. */
export interface FileHandle {
  /** Writes `len` bytes of `buf` from `off` at file position `pos` (all of them, or throws). */
  pwrite(buf: Uint8Array, off: number, len: number, pos: number): Promise<void>;
  /**
   * Optional gather write: `bufs` one after another from file position `pos` (all of them, or
   * throws), in as few system calls as the platform allows. Callers go through {@link pwriteAll},
   * which falls back to one `pwrite` per buffer. Not atomic: a crash may keep any subset.
   */
  pwritev?(bufs: readonly Uint8Array[], pos: number): Promise<void>;
  /**
   * Optional hint: starts writing the file's written bytes to the device and resolves without waiting
   * for them (Linux `sync_file_range` with `SYNC_FILE_RANGE_WRITE`), so that a later {@link datasync}
   * finds less to do. Makes nothing durable, and leaves any write-back error for `datasync` to report.
   * A rejection is an I/O error, as from a write.
   */
  startWriteback?(): Promise<void>;
  /** Reads up to `len` bytes at `pos` into `buf[off]`; resolves with the count (less only at end of file). */
  read(buf: Uint8Array, off: number, len: number, pos: number): Promise<number>;
  /** The current size in bytes. */
  size(): Promise<number>;
  /** fdatasync: the written bytes (and the size needed to read them) are durable when it resolves. */
  datasync(): Promise<void>;
  /** fsync: like {@link datasync}, plus all metadata. */
  sync(): Promise<void>;
  /** Sets the size to `len` (cuts or zero-extends). Not durable until a sync. */
  truncate(len: number): Promise<void>;
  /** Closes the handle. Does not sync. */
  close(): Promise<void>;
}

/** What {@link FileSystem.stat} tells. */
export interface FileStat {
  readonly size: number;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}

/**
 * A minimal asynchronous file system. Paths use `/` as separator. Creating, renaming and
 * unlinking a file is durable only after {@link FileSystem.fsyncDir} on its directory.
 */
export interface FileSystem {
  /** Opens (or creates, per `flags`) a file. */
  open(path: string, flags: OpenFlags): Promise<FileHandle>;
  /** Atomically replaces `to` with `from` (POSIX rename). */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file name. */
  unlink(path: string): Promise<void>;
  /** Names in a directory (no `.`/`..`), in no particular order. */
  readdir(dir: string): Promise<string[]>;
  /** Creates a directory; with `recursive`, also its parents and no error if it exists. */
  mkdir(dir: string, options?: { readonly recursive?: boolean }): Promise<void>;
  /** File or directory facts, or `undefined` if nothing is at `path`. */
  stat(path: string): Promise<FileStat | undefined>;
  /**
   * Optional: the whole content of a small file (a manifest, a descriptor) in one call. Callers go
   * through {@link readWholeFile}, which falls back to open, size, read, close.
   */
  readFile?(path: string): Promise<Uint8Array>;
  /** True if something is at `path`. */
  exists(path: string): Promise<boolean>;
  /** fsync of a directory: makes the creates, renames and unlinks in it durable. */
  fsyncDir(dir: string): Promise<void>;
}
