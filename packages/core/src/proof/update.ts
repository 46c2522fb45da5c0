/**
 * Carrying an inclusion proof forward along a consistency proof, without reading the tree.
 * @module
 */
import { NODE_SIZE, bytesEqual } from '../bytes.js';
import { RotorTreeError } from '../errors.js';
import type { Hasher } from '../hasher.js';
import { ceilDiv } from './arith.js';
import { consistencyVerifies } from './consistency.js';
import { assertHasher } from './args.js';
import { EncodedConsistencyProof, EncodedInclusionProof } from './encoded.js';
import { inclusionVerifies } from './inclusion.js';
import { packInclusionProof } from './pack.js';
import { assertConsistencyShape, assertInclusionShape } from './validate.js';
import type { ConsistencyProof, InclusionProof, ProofLevel } from './types.js';

function misfit(why: string): never {
  throw new RotorTreeError('INVALID_PROOF', `the proofs do not fit together: ${why}`);
}

/**
 * The inclusion proof of the same leaf in the new tree of `consistency`, computed from the
 * two proofs only (no tree access). It equals the proof the new tree would generate.
 *
 * Both proofs are verified first: `oldProof` must be a valid proof for the consistency proof's
 * old root, old size and n, and `consistency` must verify. Throws `INVALID_PROOF` otherwise
 * (malformed proofs included), and `TypeError` for a malformed `hasher`. The result is only as
 * trustworthy as the new root: check that against a root you trust (e.g. with
 * `verifyConsistencyProof(hasher, consistency, { newRoot, newSize, oldSize, n })` beforehand).
 */
export function updateInclusionProof(hasher: Hasher, oldProof: InclusionProof, consistency: ConsistencyProof): EncodedInclusionProof {
  assertHasher(hasher);
  if (!(oldProof instanceof EncodedInclusionProof)) assertInclusionShape(oldProof);
  if (!(consistency instanceof EncodedConsistencyProof)) assertConsistencyShape(consistency);
  const { n, newSize } = consistency;
  if (oldProof.n !== n) misfit('different n');
  if (oldProof.treeSize !== consistency.oldSize) misfit('the inclusion proof is not for the old size');
  if (!bytesEqual(oldProof.root, consistency.oldRoot)) misfit('the inclusion proof is not for the old root');
  if (!inclusionVerifies(hasher, oldProof)) misfit('the inclusion proof does not verify');
  const depth = consistency.levels.length;
  const boundaries = new Uint8Array(depth * NODE_SIZE);
  if (!consistencyVerifies(hasher, consistency, boundaries)) misfit('the consistency proof does not verify');

  const levels: ProofLevel[] = new Array<ProofLevel>(depth);
  for (let k = 0, idx = oldProof.leafIndex, b = consistency.oldSize - 1, len = newSize; k < depth; k++) {
    const position = idx % n;
    const start = idx - position;
    const boundaryStart = b - (b % n);
    let siblings: Uint8Array[];
    if (start !== boundaryStart) {
      // A group wholly left of the old boundary: complete in both trees, so unchanged.
      siblings = oldProof.levels[k]!.siblings.slice();
    } else {
      const { left, right } = consistency.levels[k]!;
      const end = Math.min(start + n, len);
      siblings = [];
      for (let j = start; j < end; j++) {
        if (j === idx) continue;
        if (j < b) siblings.push(left[j - start]!);
        else if (j === b) siblings.push(boundaries.subarray(k * NODE_SIZE, (k + 1) * NODE_SIZE));
        else siblings.push(right[j - b - 1]!);
      }
    }
    levels[k] = { position, siblings };
    idx = start / n;
    b = boundaryStart / n;
    len = ceilDiv(len, n);
  }
  return packInclusionProof({ n, leafIndex: oldProof.leafIndex, treeSize: newSize, leaf: oldProof.leaf, root: consistency.newRoot, levels });
}
