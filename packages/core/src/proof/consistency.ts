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
import { CUR, CUR_OLD, GROUP, layAround } from './scratch.js';
import { assertHasher, assertTrusted } from './args.js';
import { assertConsistencyShape } from './validate.js';
import type { ConsistencyLevel, ConsistencyProof } from './types.js';

/** Values the verifier knows independently of a consistency proof; each one given is enforced. */
export interface TrustedConsistency {
  readonly oldRoot?: Uint8Array;
  readonly oldSize?: number;
  readonly newRoot?: Uint8Array;
  readonly newSize?: number;
  readonly n?: number;
}

/**
 * The proof that the tree of the first `oldSize` leaves of `view` is a prefix of `view`.
 *
 * `hasher` must be the tree's hasher: it recomputes the old root (at most depth(oldSize)
 * hashes), which the view does not store. Reads the boundary leaf and at most
 * depth * (n-1) other nodes. Throws `INDEX_OUT_OF_RANGE` unless `oldSize` is an integer in
 * `1..view.size`, and `TypeError` for a missing hasher.
 */
export function generateConsistencyProof(view: TreeView, oldSize: number, hasher: Hasher): ConsistencyProof {
  assertHasher(hasher);
  const newSize = view.size;
  const n = view.n;
  if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > newSize) {
    throw new RotorTreeError('INDEX_OUT_OF_RANGE', `old size ${String(oldSize)} is not in 1..${newSize}`);
  }
  const depth = depthForSize(newSize, n);
  const oldDepth = depthForSize(oldSize, n);
  const boundaryLeaf = view.getNode(0, oldSize - 1);
  const levels: ConsistencyLevel[] = new Array<ConsistencyLevel>(depth);
  let oldRoot = boundaryLeaf.slice();
  for (let k = 0, b = oldSize - 1, len = newSize; k < depth; k++) {
    const start = b - (b % n);
    const end = Math.min(start + n, len);
    const left: Uint8Array[] = new Array<Uint8Array>(b - start);
    for (let j = start; j < b; j++) left[j - start] = view.getNode(k, j);
    const right: Uint8Array[] = new Array<Uint8Array>(end - b - 1);
    for (let j = b + 1; j < end; j++) right[j - b - 1] = view.getNode(k, j);
    levels[k] = { left, right };
    if (k < oldDepth && left.length > 0) {
      const count = layAround(left, oldRoot, []);
      hasher.hashGroup(GROUP, 0, count, oldRoot, 0);
    }
    b = start / n;
    len = ceilDiv(len, n);
  }
  const newRoot = view.root;
  if (newRoot === undefined) throw new RotorTreeError('INDEX_OUT_OF_RANGE', 'the tree is empty');
  return { n, oldSize, newSize, oldRoot, newRoot, boundaryLeaf, levels };
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
 * `trusted.newRoot`), and that the sizes and `n` equal the trusted ones given.
 *
 * What it proves: the first `oldSize` leaves of the tree with root `newRoot` are exactly the
 * leaves of the tree with root `oldRoot`. As with inclusion proofs, it means something only for
 * roots and sizes the verifier trusts: pass `{ oldRoot, oldSize, newRoot, newSize, n }`.
 *
 * Returns `false` for a well-typed proof that does not verify; throws `INVALID_PROOF` for a
 * malformed one (see {@link verifyProof}) and `TypeError` for a malformed `hasher` or `trusted`.
 * Allocates nothing per level.
 */
export function verifyConsistencyProof(hasher: Hasher, proof: ConsistencyProof, trusted?: TrustedConsistency): boolean {
  assertHasher(hasher);
  assertConsistencyShape(proof);
  assertTrusted(trusted, ['oldRoot', 'newRoot'], ['oldSize', 'newSize']);
  if (trusted !== undefined) {
    if (trusted.n !== undefined && trusted.n !== proof.n) return false;
    if (trusted.oldSize !== undefined && trusted.oldSize !== proof.oldSize) return false;
    if (trusted.newSize !== undefined && trusted.newSize !== proof.newSize) return false;
  }
  if (!consistencyShapeFits(proof)) return false;
  climbConsistency(hasher, proof);
  if (!bytesEqual(CUR_OLD, proof.oldRoot) || !bytesEqual(CUR, proof.newRoot)) return false;
  if (trusted?.oldRoot !== undefined && !bytesEqual(CUR_OLD, trusted.oldRoot)) return false;
  return trusted?.newRoot === undefined || bytesEqual(CUR, trusted.newRoot);
}
