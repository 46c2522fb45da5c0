/**
 * Checks of the caller's own arguments (misuse of arguments is a `TypeError`, not `INVALID_PROOF`).
 * @module
 */
import type { Hasher } from '../hasher.js';
import { isBranching, isCount, isNode, isRecord } from './arith.js';

/** Throws `TypeError` unless `hasher` has a `hashGroup` method. */
export function assertHasher(hasher: unknown): asserts hasher is Hasher {
  if (hasher === null || typeof hasher !== 'object' || typeof (hasher as Hasher).hashGroup !== 'function') {
    throw new TypeError('hasher must implement the Hasher interface');
  }
}

/** Throws `TypeError` unless `trusted` is undefined or an object whose given fields have the right types. */
export function assertTrusted(trusted: unknown, nodes: readonly string[], counts: readonly string[]): void {
  if (trusted === undefined) return;
  if (!isRecord(trusted)) throw new TypeError('trusted must be an object');
  for (const key of nodes) {
    const v = trusted[key];
    if (v !== undefined && !isNode(v)) throw new TypeError(`trusted.${key} must be a 32-byte Uint8Array`);
  }
  for (const key of counts) {
    const v = trusted[key];
    if (v !== undefined && !isCount(v)) throw new TypeError(`trusted.${key} must be a safe non-negative integer`);
  }
  const n = trusted['n'];
  if (n !== undefined && !isBranching(n)) throw new TypeError('trusted.n must be an integer in 2..256');
}
