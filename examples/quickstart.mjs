// The quick start: build a 4-ary tree of 100,000 leaves, print its root, prove one leaf and verify it.
import { LeanIMT, toHex, verifyProof, encodeInclusionProof } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';

const hasher = blake3(); // the fastest BLAKE3 backend available here
const tree = new LeanIMT({ hasher, n: 4, maxDepth: 20 });

// Leaves are 32-byte values you have already hashed; here, leaf i = i as u32 little-endian.
const count = 100_000;
const leaves = new Uint8Array(count * 32);
for (let i = 0; i < count; i++) new DataView(leaves.buffer).setUint32(i * 32, i, true);

const started = performance.now();
tree.insertMany(leaves);
const took = performance.now() - started;
console.log(`hasher:  BLAKE3 (${hasher.backend} backend)`);
console.log(`leaves:  ${tree.size} (n=${tree.n}, depth ${tree.depth}) inserted in ${took.toFixed(1)} ms`);
console.log(`root:    ${toHex(tree.root)}`);

const snapshot = tree.snapshot();
const proof = snapshot.generateProof(42_424);
const ok = verifyProof(hasher, proof, { root: snapshot.root, size: snapshot.size });
console.log(`proof:   leaf ${proof.leafIndex}, ${proof.levels.length} levels, ${encodeInclusionProof(proof).length} bytes encoded`);
console.log(`verify:  ${ok ? 'ok' : 'FAILED'}`);

tree.insert(new Uint8Array(32).fill(7));
const stale = verifyProof(hasher, proof, { root: tree.root, size: tree.size });
console.log(`the same proof against the root after one more insert: ${stale ? 'accepted (BUG)' : 'rejected, as it must be'}`);
if (!ok || stale) process.exit(1);
