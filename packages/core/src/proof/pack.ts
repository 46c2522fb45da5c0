/**
 * Plain proof objects (any object of the {@link InclusionProof} / {@link ConsistencyProof} shape)
 * written into the binary form, as the proof objects generation makes.
 * @module
 */
import { NODE_SIZE, writeNodes } from '../bytes.js';
import { proofArena } from './arena.js';
import { EncodedConsistencyProof, EncodedInclusionProof } from './encoded.js';
import {
  CONSISTENCY_BOUNDARY,
  CONSISTENCY_NEW_ROOT,
  CONSISTENCY_NODES,
  CONSISTENCY_OLD_ROOT,
  INCLUSION_LEAF,
  INCLUSION_NODES,
  INCLUSION_ROOT,
  KIND_CONSISTENCY,
  KIND_INCLUSION,
  writeHeader,
} from './wire.js';
import { consistencyShapeFits } from './consistency.js';
import { inclusionShapeFits } from './inclusion.js';
import type { ConsistencyProof, InclusionProof } from './types.js';

/** Room for a proof of `length` bytes in the arena: the buffer and the offset. */
function room(length: number): { bytes: Uint8Array; at: number } {
  const at = proofArena.take(length);
  return { bytes: proofArena.bytes, at };
}

/** `proof` (well-typed, its shape fitting its sizes) as an {@link EncodedInclusionProof} of copied nodes. */
export function packInclusionProof(proof: InclusionProof): EncodedInclusionProof {
  let siblings = 0;
  for (const level of proof.levels) siblings += level.siblings.length;
  const length = INCLUSION_NODES + siblings * NODE_SIZE;
  const { bytes, at } = room(length);
  writeHeader(bytes, at, KIND_INCLUSION, proof.n, proof.levels.length, siblings, proof.treeSize, proof.leafIndex);
  bytes.set(proof.root, at + INCLUSION_ROOT);
  bytes.set(proof.leaf, at + INCLUSION_LEAF);
  let o = at + INCLUSION_NODES;
  for (const level of proof.levels) o = writeNodes(bytes, o, level.siblings);
  return new EncodedInclusionProof(bytes, at, length, proof.n, proof.leafIndex, proof.treeSize);
}

/** `proof` (well-typed, its shape fitting its sizes) as an {@link EncodedConsistencyProof} of copied nodes. */
export function packConsistencyProof(proof: ConsistencyProof): EncodedConsistencyProof {
  let nodes = 0;
  for (const level of proof.levels) nodes += level.left.length + level.right.length;
  const length = CONSISTENCY_NODES + nodes * NODE_SIZE;
  const { bytes, at } = room(length);
  writeHeader(bytes, at, KIND_CONSISTENCY, proof.n, proof.levels.length, nodes, proof.oldSize, proof.newSize);
  bytes.set(proof.oldRoot, at + CONSISTENCY_OLD_ROOT);
  bytes.set(proof.newRoot, at + CONSISTENCY_NEW_ROOT);
  bytes.set(proof.boundaryLeaf, at + CONSISTENCY_BOUNDARY);
  let o = at + CONSISTENCY_NODES;
  for (const level of proof.levels) o = writeNodes(bytes, writeNodes(bytes, o, level.left), level.right);
  return new EncodedConsistencyProof(bytes.subarray(at, at + length), proof.n, proof.oldSize, proof.newSize);
}

/** `proof` packed when its shape fits its sizes (what generation would give), else as it is (it cannot verify). */
export function packedIfFits(proof: InclusionProof): InclusionProof {
  return inclusionShapeFits(proof) ? packInclusionProof(proof) : proof;
}

/** `proof` packed when its shape fits its sizes, else as it is (it cannot verify). */
export function packedConsistencyIfFits(proof: ConsistencyProof): ConsistencyProof {
  return consistencyShapeFits(proof) ? packConsistencyProof(proof) : proof;
}
