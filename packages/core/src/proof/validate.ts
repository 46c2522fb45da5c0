/**
 * Type and range checks of proof objects (not whether they verify). A proof that fails here is
 * malformed and gets `INVALID_PROOF`; a well-typed proof that does not fit its sizes or roots
 * is merely invalid and the verifiers return `false`.
 * @module
 */
import { RotorTreeError } from '../errors.js';
import { isBranching, isCount, isNode, isNodeArray, isRecord } from './arith.js';
import type { ConsistencyProof, InclusionProof } from './types.js';

/** Most levels a proof may have (u8 in the binary form; real trees have at most 53). */
export const MAX_PROOF_LEVELS = 255;

function malformed(what: string): never {
  throw new RotorTreeError('INVALID_PROOF', `malformed proof: ${what}`);
}

/** Throws `INVALID_PROOF` unless `p` is shaped like an {@link InclusionProof}. */
export function assertInclusionShape(p: unknown): asserts p is InclusionProof {
  if (!isRecord(p)) malformed('not an object');
  const n = p['n'];
  if (!isBranching(n)) malformed('n must be an integer in 2..256');
  if (!isCount(p['leafIndex'])) malformed('leafIndex must be a safe non-negative integer');
  if (!isCount(p['treeSize'])) malformed('treeSize must be a safe non-negative integer');
  if (!isNode(p['leaf'])) malformed('leaf must be a 32-byte Uint8Array');
  if (!isNode(p['root'])) malformed('root must be a 32-byte Uint8Array');
  const levels = p['levels'];
  if (!Array.isArray(levels) || levels.length > MAX_PROOF_LEVELS) malformed('levels must be an array of at most 255 levels');
  for (let k = 0; k < levels.length; k++) {
    const level: unknown = levels[k];
    if (!isRecord(level)) malformed(`levels[${k}] is not an object`);
    const pos = level['position'];
    if (!isCount(pos) || pos >= n) malformed(`levels[${k}].position must be an integer in 0..n-1`);
    const siblings = level['siblings'];
    if (!isNodeArray(siblings) || siblings.length >= n) malformed(`levels[${k}].siblings must be at most n-1 nodes`);
  }
}

/** Throws `INVALID_PROOF` unless `p` is shaped like a {@link ConsistencyProof}. */
export function assertConsistencyShape(p: unknown): asserts p is ConsistencyProof {
  if (!isRecord(p)) malformed('not an object');
  const n = p['n'];
  if (!isBranching(n)) malformed('n must be an integer in 2..256');
  if (!isCount(p['oldSize'])) malformed('oldSize must be a safe non-negative integer');
  if (!isCount(p['newSize'])) malformed('newSize must be a safe non-negative integer');
  if (!isNode(p['oldRoot'])) malformed('oldRoot must be a 32-byte Uint8Array');
  if (!isNode(p['newRoot'])) malformed('newRoot must be a 32-byte Uint8Array');
  if (!isNode(p['boundaryLeaf'])) malformed('boundaryLeaf must be a 32-byte Uint8Array');
  const levels = p['levels'];
  if (!Array.isArray(levels) || levels.length > MAX_PROOF_LEVELS) malformed('levels must be an array of at most 255 levels');
  for (let k = 0; k < levels.length; k++) {
    const level: unknown = levels[k];
    if (!isRecord(level)) malformed(`levels[${k}] is not an object`);
    const left = level['left'];
    const right = level['right'];
    if (!isNodeArray(left) || !isNodeArray(right) || left.length + right.length >= n) {
      malformed(`levels[${k}] must hold left and right node arrays with at most n-1 nodes together`);
    }
  }
}
