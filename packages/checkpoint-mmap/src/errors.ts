/**
 * How file failures become {@link RotorTreeError}s.
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import { fsErrorCode } from '@rotortree/core/fs';

/** `CORRUPTION` at `file` (and `offset` when known). */
export function corruption(file: string, message: string, offset?: number): RotorTreeError {
  return new RotorTreeError('CORRUPTION', `${file}: ${message}`, offset === undefined ? { file } : { file, offset });
}

/** Wraps a system error as `IO` (a {@link RotorTreeError} passes through unchanged). */
export function ioError(err: unknown, file: string, what: string): RotorTreeError {
  if (err instanceof RotorTreeError) return err;
  const code = fsErrorCode(err) ?? 'unknown';
  return new RotorTreeError('IO', `${what} ${file} failed (${code})`, { file, cause: err });
}

/** True when `err` is a system "no such file". */
export function isNotFound(err: unknown): boolean {
  return fsErrorCode(err) === 'ENOENT';
}
