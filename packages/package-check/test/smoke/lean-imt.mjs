// Usage: node lean-imt.mjs <leaf count>
// An in-memory LeanIMT (n = 4, BLAKE3) over the smoke leaves, and an inclusion proof of its last leaf.
import { LeanIMT, verifyProof, toHex } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { leaves, report } from './leaves.mjs';

const count = Number(process.argv[2]);
const hasher = blake3();
const tree = new LeanIMT({ hasher, n: 4, maxDepth: 32 });
tree.insertMany(leaves(count));
const snapshot = tree.snapshot();
const proof = snapshot.generateProof(count - 1);
const trusted = { root: snapshot.root, size: snapshot.size, n: snapshot.n };
const forged = { ...proof.toObject(), leaf: new Uint8Array(32) };
report({
  size: tree.size,
  root: toHex(tree.root),
  proofValid: verifyProof(hasher, proof, trusted),
  forgedProofValid: verifyProof(hasher, forged, trusted),
});
