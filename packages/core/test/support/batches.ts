/** Helpers of the large-batch tests (staged inserts, write-ahead, logging by reference). */
import type { Hasher } from '../../src/hasher.js';
import { hasherFromGroupFunction } from '../../src/hasher.js';

/**
 * A cheap, order-sensitive stand-in for a hash, for tests about storage and logging rather than
 * hashing (their roots are compared with a LeanIMT over the same hasher).
 */
export const mixHasher: Hasher = hasherFromGroupFunction('mix', (input, inOffset, count, out, outOffset) => {
  for (let j = 0; j < 32; j++) {
    let x = count * 131 + j;
    for (let c = 0; c < count; c++) x = (Math.imul(x, 31) + input[inOffset + c * 32 + j]! + c) | 0;
    out[outOffset + j] = x & 0xff;
  }
});

/** `base` (same id), except that every hash call throws `Error('hasher failure')` while `failing()` is true. */
export function hasherFailingWhile(base: Hasher, failing: () => boolean): Hasher {
  return {
    id: base.id,
    hashGroup: (...args) => {
      if (failing()) throw new Error('hasher failure');
      base.hashGroup(...args);
    },
    hashGroups: (...args) => {
      if (failing()) throw new Error('hasher failure');
      base.hashGroups(...args);
    },
  };
}

/** `count` distinct leaves numbered from `from`, flat (32 bytes each). */
export function flatLeaves(count: number, from: number): Uint8Array {
  const flat = new Uint8Array(count * 32);
  const view = new DataView(flat.buffer);
  for (let i = 0; i < count; i++) {
    view.setUint32(i * 32, from + i + 1, true);
    view.setUint32(i * 32 + 16, (from + i) * 2654435761, true);
  }
  return flat;
}
