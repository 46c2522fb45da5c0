/**
 * System-style errors of the file-system seam.
 * @module
 */

/** An error with a POSIX-style `code` (`ENOENT`, `EIO`, ...), thrown by the in-memory file systems. */
export class FileSystemError extends Error {
  /** The POSIX error name, e.g. `EIO`. */
  readonly code: string;
  /** The operation that failed, e.g. `datasync`. */
  readonly syscall: string;
  /** The path involved, if any. */
  readonly path: string | undefined;

  constructor(code: string, syscall: string, path?: string) {
    super(`${code}: ${syscall}${path === undefined ? '' : ` '${path}'`}`);
    this.name = 'FileSystemError';
    this.code = code;
    this.syscall = syscall;
    this.path = path;
  }
}

/** The `code` string of a system error (Node's or {@link FileSystemError}), if it has one. */
export function fsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
