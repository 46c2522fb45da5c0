/** Helpers shared by the rotortree tests. */
import { isRotorTreeError } from '@rotortree/core';
import type { ErrorCode } from '@rotortree/core';

/** Leaf i of a test: 32 bytes that depend on i (never all zero). */
export function leaf(i: number): Uint8Array {
  const out = new Uint8Array(32);
  for (let j = 0; j < 32; j++) out[j] = ((i * 131 + j * 7 + 1) ^ (i >>> 8)) & 0xff || 1;
  return out;
}

/** k leaves starting at leaf `first`, flat. */
export function leaves(first: number, k: number): Uint8Array {
  const out = new Uint8Array(k * 32);
  for (let i = 0; i < k; i++) out.set(leaf(first + i), i * 32);
  return out;
}

/** The code of the RotorTreeError `p` rejects with (fails the test on anything else). */
export async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<ErrorCode | 'resolved'> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'resolved';
  } catch (err) {
    if (isRotorTreeError(err)) return err.code;
    throw err;
  }
}

/** Lower-case hex lines, one leaf per line, of leaves first..first+k-1. */
export function hexLines(first: number, k: number): string {
  let s = '';
  for (let i = 0; i < k; i++) s += `${Buffer.from(leaf(first + i)).toString('hex')}\n`;
  return s;
}
