/**
 * Module-level work buffers of the consistency verifier (and of generation's old root).
 * Safe because verification is synchronous and never re-entered (a hasher does not verify proofs).
 * @module
 */
import { NODE_SIZE } from '../bytes.js';
import { MAX_N } from './arith.js';

/** Room for one whole group: the children of one parent, laid out in order. */
export const GROUP = new Uint8Array(MAX_N * NODE_SIZE);
/** The node rising along a path. */
export const CUR = new Uint8Array(NODE_SIZE);
/** A second rising node (the old tree's, in consistency proofs). */
export const CUR_OLD = new Uint8Array(NODE_SIZE);

/** Lays `left`, `node`, `right` into {@link GROUP}; returns the member count. */
export function layAround(left: readonly Uint8Array[], node: Uint8Array, right: readonly Uint8Array[]): number {
  let off = 0;
  for (let i = 0; i < left.length; i++, off += NODE_SIZE) GROUP.set(left[i]!, off);
  GROUP.set(node, off);
  off += NODE_SIZE;
  for (let i = 0; i < right.length; i++, off += NODE_SIZE) GROUP.set(right[i]!, off);
  return left.length + 1 + right.length;
}
