/**
 * Inclusion and consistency proofs of the lean n-ary tree: generation from a `TreeView`,
 * verification, carrying an inclusion proof forward, and binary and JSON encodings.
 * @module
 */
export type { InclusionProof, ProofLevel, ConsistencyProof, ConsistencyLevel } from './types.js';
export { generateProof, generateProofs, verifyProof, verifyProofs, InclusionProofBatch } from './inclusion.js';
export { EncodedInclusionProof, EncodedConsistencyProof } from './encoded.js';
export type { TrustedInclusion, TrustedConsistency } from './args.js';
export { generateConsistencyProof, verifyConsistencyProof } from './consistency.js';
export { updateInclusionProof } from './update.js';
export {
  PROOF_FORMAT_VERSION,
  encodeInclusionProof,
  decodeInclusionProof,
  decodeInclusionProofs,
  encodeConsistencyProof,
  decodeConsistencyProof,
} from './binary.js';
export {
  inclusionProofToJSON,
  inclusionProofFromJSON,
  consistencyProofToJSON,
  consistencyProofFromJSON,
} from './json.js';
export type { InclusionProofJSON, ConsistencyProofJSON } from './json.js';
