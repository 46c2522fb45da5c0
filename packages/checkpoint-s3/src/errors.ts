/**
 * How object-store failures become {@link RotorTreeError}s.
 * @module
 */
import { RotorTreeError } from '@rotortree/core';

/** `CORRUPTION` naming the object `key` (and the byte `offset` in it when known). */
export function corruption(key: string, message: string, offset?: number): RotorTreeError {
  return new RotorTreeError('CORRUPTION', `${key}: ${message}`, offset === undefined ? { file: key } : { file: key, offset });
}

/**
 * `FENCED`: another writer took the tree over (a higher epoch claimed the pointer); this writer's
 * publish was refused.
 */
export function fenced(where: string, message: string): RotorTreeError {
  return new RotorTreeError('FENCED', `${where}: ${message}`, { file: where });
}

/** `IO` for a failed request on `key` (a {@link RotorTreeError} passes through unchanged). */
export function requestError(err: unknown, key: string, what: string): RotorTreeError {
  if (err instanceof RotorTreeError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  const detail = typeof name === 'string' ? ` (${name})` : '';
  return new RotorTreeError('IO', `${what} ${key} failed${detail}`, { file: key, cause: err });
}
