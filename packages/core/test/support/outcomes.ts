/** How a call ended, as the stable code the tests assert (never a message). */
import { RotorTreeError, isRotorTreeError } from '../../src/errors.js';
import { fsErrorCode } from '../../src/fs/errors.js';

const describeOther = (err: unknown): string => `non-RotorTreeError ${String(err)}`;

/** The `RotorTreeError` code `fn` throws, or undefined if it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof RotorTreeError ? err.code : describeOther(err);
  }
  return undefined;
}

/** The `RotorTreeError` code `p` rejects with, or undefined if it resolves. */
export async function rejectionCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return err instanceof RotorTreeError ? err.code : describeOther(err);
  }
  return undefined;
}

/** The system error code (`ENOENT`, `EIO`, ...) `p` rejects with, or undefined if it resolves. */
export async function fsRejectionCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return fsErrorCode(err);
  }
}

/** The value of `f`, or 'INVALID_PROOF' when it throws that code; any other exception propagates. */
export function valueOrInvalidProof<T>(f: () => T): T | 'INVALID_PROOF' {
  try {
    return f();
  } catch (e) {
    if (isRotorTreeError(e, 'INVALID_PROOF')) return 'INVALID_PROOF';
    throw e;
  }
}
