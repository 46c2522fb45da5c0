/**
 * Small helpers shared by the checks.
 * @module
 */
import { isRotorTreeError } from '@rotortree/core';
import type { ErrorCode } from '@rotortree/core';

/** The code `fn` fails with: a RotorTreeError code, `TypeError`/`RangeError`, `other`, or `ok`. */
export async function outcomeOf(fn: () => unknown): Promise<ErrorCode | 'TypeError' | 'RangeError' | 'other' | 'ok'> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    if (isRotorTreeError(err)) return err.code;
    if (err instanceof RangeError) return 'RangeError';
    if (err instanceof TypeError) return 'TypeError';
    return 'other';
  }
}

/** Default engine parameters of the checks. */
export function paramsOf(options: { n?: number; maxDepth?: number }): { n: number; maxDepth: number } {
  return { n: options.n ?? 4, maxDepth: options.maxDepth ?? 16 };
}
