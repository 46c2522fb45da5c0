/**
 * Consistency proofs: the tree of `oldSize` leaves is a prefix of the tree of `newSize` leaves.
 *
 * At level k the old tree's last node (its boundary node) has index `b_k = floor((oldSize-1) / n^k)`.
 * Every node left of it is complete in the old tree, so it is unchanged in the new one. The old
 * root rises from leaf `oldSize-1` through the boundary nodes, each hashed with its group's left
 * members; the new root rises the same way with the group's new members to the right added.
 * So a proof holds, per level, those left and right members, plus the boundary leaf.
 * @module
 */
import { NODE_SIZE, bytesEqual } from '../bytes.js';
import { RotorTreeError } from '../errors.js';
import type { Hasher } from '../hasher.js';
import type { TreeView } from '../tree/view.js';
import { depthForSize } from '../tree/shape.js';
import { ceilDiv } from './arith.js';
import { proofArena } from './arena.js';
import { CUR, CUR_OLD, GROUP, layAround } from './scratch.js';
import { assertHasher, assertTrustedConsistency } from './args.js';
import type { TrustedConsistency } from './args.js';
import { EncodedConsistencyProof } from './encoded.js';
import { MAX_PATH_LEVELS, consistencyPath } from './shape.js';
import { assertConsistencyShape } from './validate.js';
import {
  CONSISTENCY_BOUNDARY,
  CONSISTENCY_NEW_ROOT,
  CONSISTENCY_NODES,
  CONSISTENCY_OLD_ROOT,
  KIND_CONSISTENCY,
  writeHeader,
} from './wire.js';
import type { ConsistencyProof } from './types.js';

const LEFT = new Uint8Array(MAX_PATH_LEVELS);
const RIGHT = new Uint8Array(MAX_PATH_LEVELS);

/**
 * The proof that the tree of the first `oldSize` leaves of `view` is a prefix of `view`, written
 * straight into its binary form (one view into a shared buffer, as `generateProof` does).
 *
 * `hasher` must be the tree's hasher: it recomputes the old root (at most depth(oldSize)
 * hashes), which the view does not store. Reads the boundary leaf and at most
 * depth * (n-1) other nodes. Throws `INDEX_OUT_OF_RANGE` unless `oldSize` is an integer in
 * `1..view.size` (and says so when the tree is empty), and `TypeError` for a missing hasher.
 */
export function generateConsistencyProof(view: TreeView, oldSize: number, hasher: Hasher): EncodedConsistencyProof {
  assertHasher(hasher);
  const newSize = view.size;
  const n = view.n;
  if (newSize === 0) throw new RotorTreeError('INDEX_OUT_OF_RANGE', 'the tree is empty: it has no earlier state to prove consistency with');
  if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > newSize) {
    throw new RotorTreeError('INDEX_OUT_OF_RANGE', `old size ${String(oldSize)} is not in 1..${newSize}`);
  }
  const depth = consistencyPath(n, oldSize, newSize, LEFT, RIGHT);
  const oldDepth = depthForSize(oldSize, n);
  let nodes = 0;
  for (let k = 0; k < depth; k++) nodes += LEFT[k]! + RIGHT[k]!;
  const length = CONSISTENCY_NODES + nodes * NODE_SIZE;
  const at = proofArena.take(length);
  const bytes = proofArena.bytes;
  writeHeader(bytes, at, KIND_CONSISTENCY, n, depth, nodes, oldSize, newSize);
  view.readNode(depth, 0, bytes, at + CONSISTENCY_NEW_ROOT);
  view.readNode(0, oldSize - 1, bytes, at + CONSISTENCY_BOUNDARY);
  // The old root rises from the boundary leaf through each level's left members.
  const oldRoot = at + CONSISTENCY_OLD_ROOT;
  bytes.copyWithin(oldRoot, at + CONSISTENCY_BOUNDARY, at + CONSISTENCY_BOUNDARY + NODE_SIZE);
  let o = at + CONSISTENCY_NODES;
  for (let k = 0, b = oldSize - 1; k < depth; k++) {
    const left = LEFT[k]!;
    const start = b - left;
    for (let j = start; j < b; j++, o += NODE_SIZE) view.readNode(k, j, bytes, o);
    if (k < oldDepth && left > 0) {
      GROUP.set(bytes.subarray(o - left * NODE_SIZE, o), 0);
      GROUP.set(bytes.subarray(oldRoot, oldRoot + NODE_SIZE), left * NODE_SIZE);
      hasher.hashGroup(GROUP, 0, left + 1, bytes, oldRoot);
    }
    for (let j = b + 1, end = b + 1 + RIGHT[k]!; j < end; j++, o += NODE_SIZE) view.readNode(k, j, bytes, o);
    b = start / n;
  }
  return new EncodedConsistencyProof(bytes.subarray(at, at + length), n, oldSize, newSize);
}

/**
 * True when the levels of `proof` have exactly the shape that `oldSize`, `newSize` and `n` dictate:
 * `depth(newSize)` levels, and at level k `b_k % n` left nodes and as many right nodes as the new
 * tree has after the boundary node in its group.
 */
export function consistencyShapeFits(proof: ConsistencyProof): boolean {
  const { n, oldSize, newSize, levels } = proof;
  if (oldSize < 1 || oldSize > newSize) return false;
  if (levels.length !== depthForSize(newSize, n)) return false;
  for (let k = 0, b = oldSize - 1, len = newSize; k < levels.length; k++) {
    const level = levels[k]!;
    const position = b % n;
    const start = b - position;
    if (level.left.length !== position) return false;
    if (level.right.length !== Math.min(start + n, len) - b - 1) return false;
    b = start / n;
    len = ceilDiv(len, n);
  }
  return true;
}

/**
 * Recomputes both roots of a shape-checked proof: the old one into {@link CUR_OLD}, the new one
 * into {@link CUR}. When `boundaries` is given, the new value of the boundary node at level k
 * (k = 0..depth-1) is written to `boundaries[k * 32]`.
 */
export function climbConsistency(hasher: Hasher, proof: ConsistencyProof, boundaries?: Uint8Array): void {
  const oldDepth = depthForSize(proof.oldSize, proof.n);
  const levels = proof.levels;
  CUR_OLD.set(proof.boundaryLeaf);
  CUR.set(proof.boundaryLeaf);
  for (let k = 0; k < levels.length; k++) {
    const { left, right } = levels[k]!;
    if (boundaries !== undefined) boundaries.set(CUR, k * NODE_SIZE);
    if (k < oldDepth && left.length > 0) {
      const count = layAround(left, CUR_OLD, []);
      hasher.hashGroup(GROUP, 0, count, CUR_OLD, 0);
    }
    if (left.length + right.length > 0) {
      const count = layAround(left, CUR, right);
      hasher.hashGroup(GROUP, 0, count, CUR, 0);
    }
  }
}

/**
 * Verifies a consistency proof: checks that `1 <= oldSize <= newSize`, that the levels have
 * exactly the shape the two sizes dictate, that the old root rebuilt from the proof equals
 * `proof.oldRoot` (and `trusted.oldRoot`), that the new root equals `proof.newRoot` (and
 * `trusted.newRoot`), and that the sizes and `n` equal the trusted ones.
 *
 * What it proves: the first `oldSize` leaves of the tree with root `newRoot` are exactly the
 * leaves of the tree with root `oldRoot`. As with inclusion proofs, it means something only for
 * roots and sizes the verifier trusts: pass `{ oldRoot, oldSize, newRoot, newSize, n }`. The sizes
 * and n are required (opting out takes `unboundSize: true` / `unboundN: true`, by name).
 *
 * Returns `false` for a well-typed proof that does not verify; throws `INVALID_PROOF` for a
 * malformed one (see `verifyProof`) and `TypeError` for a malformed `hasher` or `trusted`.
 * Allocates nothing per level.
 */
export function verifyConsistencyProof(hasher: Hasher, proof: ConsistencyProof, trusted: TrustedConsistency): boolean {
  assertHasher(hasher);
  if (!(proof instanceof EncodedConsistencyProof)) assertConsistencyShape(proof);
  assertTrustedConsistency(trusted);
  if (trusted.n !== undefined && trusted.n !== proof.n) return false;
  if (trusted.oldSize !== undefined && trusted.oldSize !== proof.oldSize) return false;
  if (trusted.newSize !== undefined && trusted.newSize !== proof.newSize) return false;
  if (!consistencyVerifies(hasher, proof)) return false;
  if (trusted.oldRoot !== undefined && !bytesEqual(CUR_OLD, trusted.oldRoot)) return false;
  return trusted.newRoot === undefined || bytesEqual(CUR, trusted.newRoot);
}

/**
 * True when the shape fits the sizes and both rebuilt roots equal the proof's (left in
 * {@link CUR_OLD} and {@link CUR}). Does not look at trusted values.
 */
export function consistencyVerifies(hasher: Hasher, proof: ConsistencyProof, boundaries?: Uint8Array): boolean {
  if (!consistencyShapeFits(proof)) return false;
  climbConsistency(hasher, proof, boundaries);
  return bytesEqual(CUR_OLD, proof.oldRoot) && bytesEqual(CUR, proof.newRoot);
}
