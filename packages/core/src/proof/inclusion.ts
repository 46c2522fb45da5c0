/**
 * Inclusion proofs: generating them from a {@link TreeView} and verifying them.
 * @module
 */
import { NODE_SIZE, bytesEqual } from '../bytes.js';
import { RotorTreeError } from '../errors.js';
import type { Hasher } from '../hasher.js';
import type { TreeView } from '../tree/view.js';
import { depthForSize } from '../tree/shape.js';
import { ceilDiv } from './arith.js';
import { CUR, GROUP, laySplit } from './scratch.js';
import { assertHasher, assertTrusted } from './args.js';
import { assertInclusionShape } from './validate.js';
import type { InclusionProof, ProofLevel } from './types.js';

/** Values the verifier knows independently of the proof; each one given is enforced. */
export interface TrustedInclusion {
  /** The root the proof must lead to. */
  readonly root?: Uint8Array;
  /** The tree size the proof must be for. */
  readonly size?: number;
  /** The branching factor the proof must be for. */
  readonly n?: number;
}

/** Size of the group around node `index` of a level holding `length` nodes. */
function groupSize(index: number, length: number, n: number): number {
  const start = index - (index % n);
  return Math.min(n, length - start);
}

/**
 * The inclusion proof of leaf `index` in `view`.
 *
 * Reads exactly the leaf, the root and the proof's siblings (at most depth * (n-1) node reads),
 * each into its own new 32-byte array; the levels themselves are never copied.
 * Throws `INDEX_OUT_OF_RANGE` unless `index` is an integer in `0..view.size-1`.
 */
export function generateProof(view: TreeView, index: number): InclusionProof {
  const size = view.size;
  const n = view.n;
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RotorTreeError('INDEX_OUT_OF_RANGE', `leaf index ${String(index)} is not in 0..${size - 1}`);
  }
  const depth = depthForSize(size, n);
  const leaf = new Uint8Array(NODE_SIZE);
  view.readNode(0, index, leaf, 0);
  const levels: ProofLevel[] = new Array<ProofLevel>(depth);
  for (let k = 0, idx = index, len = size; k < depth; k++) {
    const position = idx % n;
    const start = idx - position;
    const end = Math.min(start + n, len);
    const siblings: Uint8Array[] = new Array<Uint8Array>(end - start - 1);
    for (let j = start, s = 0; j < end; j++) {
      if (j === idx) continue;
      // One small array per node: cheaper for V8 than views of one shared buffer.
      siblings[s++] = view.getNode(k, j);
    }
    levels[k] = { position, siblings };
    idx = start / n;
    len = ceilDiv(len, n);
  }
  const root = view.root;
  if (root === undefined) throw new RotorTreeError('INDEX_OUT_OF_RANGE', 'the tree is empty');
  return { n, leafIndex: index, treeSize: size, leaf, root, levels };
}

/**
 * True when the levels of `proof` have exactly the shape of a tree of `proof.treeSize` leaves:
 * the level count is its depth, each position is the leaf index's digit at that level, and each
 * sibling count is one less than the real group size there.
 */
export function inclusionShapeFits(proof: InclusionProof): boolean {
  const { n, leafIndex, treeSize, levels } = proof;
  if (treeSize === 0 || leafIndex >= treeSize) return false;
  if (levels.length !== depthForSize(treeSize, n)) return false;
  for (let k = 0, idx = leafIndex, len = treeSize; k < levels.length; k++) {
    const level = levels[k]!;
    const position = idx % n;
    if (level.position !== position) return false;
    if (level.siblings.length !== groupSize(idx, len, n) - 1) return false;
    idx = (idx - position) / n;
    len = ceilDiv(len, n);
  }
  return true;
}

/**
 * Recomputes the root from `proof.leaf` up its path into {@link CUR} (the proof's shape must
 * have been checked).
 */
export function climbInclusion(hasher: Hasher, proof: InclusionProof): Uint8Array {
  CUR.set(proof.leaf);
  const levels = proof.levels;
  for (let k = 0; k < levels.length; k++) {
    const level = levels[k]!;
    if (level.siblings.length === 0) continue; // lifted
    const count = laySplit(level.siblings, level.position, CUR);
    hasher.hashGroup(GROUP, 0, count, CUR, 0);
  }
  return CUR;
}

/**
 * Verifies an inclusion proof: recomputes the path from the leaf and checks that
 * - `leafIndex < treeSize`, the level count is the depth of a tree of `treeSize` leaves,
 *   every `position` is the leaf index's digit at that level and every group has exactly the
 *   size a tree of `treeSize` leaves has there;
 * - the recomputed root equals `proof.root`, and `trusted.root` when given;
 * - `treeSize` and `n` equal `trusted.size` and `trusted.n` when given.
 *
 * **Bind the size.** Parents are plain hashes of their children (no domain separation), so an
 * inner node of the real tree, presented as the leaf of a smaller (or differently branching)
 * tree, leads to the same root. A proof is only as good as what the verifier binds: use
 * `verifyProof(hasher, proof, { root, size, n })` with values you trust, and check
 * `proof.leafIndex` is the index you asked about.
 *
 * Returns `false` for a well-typed proof that does not verify. Throws `INVALID_PROOF` for a
 * malformed one (not an object, a missing field, a number that is not a safe non-negative
 * integer, n outside 2..256, a node that is not a 32-byte `Uint8Array`, a position >= n, more than
 * n-1 siblings or more than 255 levels) and `TypeError` for a malformed `hasher` or `trusted`.
 * Allocates nothing per level.
 */
export function verifyProof(hasher: Hasher, proof: InclusionProof, trusted?: TrustedInclusion): boolean {
  assertHasher(hasher);
  assertInclusionShape(proof);
  assertTrusted(trusted, ['root'], ['size']);
  if (trusted !== undefined) {
    if (trusted.n !== undefined && trusted.n !== proof.n) return false;
    if (trusted.size !== undefined && trusted.size !== proof.treeSize) return false;
  }
  if (!inclusionShapeFits(proof)) return false;
  const root = climbInclusion(hasher, proof);
  if (!bytesEqual(root, proof.root)) return false;
  return trusted?.root === undefined || bytesEqual(root, trusted.root);
}
