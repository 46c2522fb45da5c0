/**
 * Proofs generated from real trees (snapshots copy nodes straight from the level chunks) against
 * the naive model, and the batch forms: generateProofs, decodeInclusionProofs, verifyProofs.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LeanIMT } from '../src/tree/lean-imt.js';
import { chunkNodesFor } from '../src/tree/level.js';
import type { ChunkSource, TreeView } from '../src/tree/view.js';
import {
  decodeInclusionProofs,
  encodeInclusionProof,
  generateProof,
  generateProofs,
  InclusionProofBatch,
  verifyProof,
  verifyProofs,
} from '../src/proof/index.js';
import type { InclusionProof } from '../src/proof/index.js';
import { leaf, naiveRoot, naiveView, testHasher } from './support/naive-tree.js';
import { codeOf, valueOrInvalidProof } from './support/outcomes.js';

const leaves = (count: number): Uint8Array[] => Array.from({ length: count }, (_, i) => leaf(i + 1));

/** A tree of `all`, by one batch or one insert at a time. */
function treeOf(all: Uint8Array[], n: number, batch: boolean): LeanIMT {
  const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 24 });
  if (batch) tree.insertMany(all);
  else for (const l of all) tree.insert(l);
  return tree;
}

/** Indices worth proving in a tree of `size`: the edges, the chunk borders, and a few others. */
function indicesOf(size: number, n: number, seed: number): number[] {
  const cn = chunkNodesFor(n);
  const out = new Set([0, size - 1, Math.floor(size / 2), Math.min(size - 1, cn - 1), Math.min(size - 1, cn)]);
  for (let i = 0; i < 6; i++) out.add((seed * (i + 7) * 2654435761) % size);
  return [...out];
}

describe('generateProof from a snapshot', () => {
  it('equals the proof of the naive model, also after the live tree grew past the snapshot', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 17 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 0, max: 600 }),
        fc.boolean(),
        fc.nat(),
        (n, size, more, batch, seed) => {
          const all = leaves(size + more);
          const tree = treeOf(all.slice(0, size), n, batch);
          const snap = tree.snapshot();
          for (const l of all.slice(size, size + more)) tree.insert(l); // rewrites the last node of each level
          const model = naiveView(all.slice(0, size), n);
          for (const i of indicesOf(size, n, seed)) {
            const p = snap.generateProof(i);
            const expected = generateProof(model, i);
            expect(p.bytes).toEqual(expected.bytes);
            expect(verifyProof(testHasher, p, { root: model.root!, size, n })).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads chunks that are only 4-byte aligned (adopted views) through the general path', () => {
    const n = 4;
    const cn = chunkNodesFor(n);
    const all = leaves(cn * 3 + 17);
    const model = naiveView(all, n);
    const settledChunks = (level: number, chunkNodes: number): Uint8Array[] => {
      let settled = all.length;
      for (let k = 0; k < level; k++) settled = Math.floor(settled / n);
      const out: Uint8Array[] = [];
      for (let c = 0; (c + 1) * chunkNodes <= settled; c++) {
        const chunk = new Uint8Array(chunkNodes * 32 + 8).subarray(4, 4 + chunkNodes * 32);
        for (let i = 0; i < chunkNodes; i++) model.readNode(level, c * chunkNodes + i, chunk, i * 32);
        out.push(chunk);
      }
      return out;
    };
    const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 16 });
    tree.restore({ ...model, settledChunks } as TreeView & ChunkSource);
    const snap = tree.snapshot();
    for (const i of [0, 5, cn - 1, cn, 2 * cn + 3, all.length - 1]) expect(snap.generateProof(i).bytes).toEqual(generateProof(model, i).bytes);
  });

  it('is CLOSED, never wrong bytes, once adopted runs were detached (a closed store)', () => {
    const n = 4;
    const cn = chunkNodesFor(n);
    const all = leaves(cn * 4);
    const model = naiveView(all, n);
    const buffer = new ArrayBuffer(cn * 4 * 32);
    const run = new Uint8Array(buffer);
    for (let i = 0; i < cn * 4; i++) model.readNode(0, i, run, i * 32);
    const settledRuns = (level: number): { firstChunk: number; bytes: Uint8Array }[] => (level === 0 ? [{ firstChunk: 0, bytes: run }] : []);
    const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 16 });
    tree.restore({ ...model, settledChunks: () => [], settledRuns } as TreeView & ChunkSource);
    const snap = tree.snapshot();
    expect(snap.generateProof(cn + 3).bytes).toEqual(generateProof(model, cn + 3).bytes); // a chunk read before
    structuredClone(buffer, { transfer: [buffer] });
    expect(codeOf(() => snap.generateProof(2 * cn + 5))).toBe('CLOSED');
    expect(codeOf(() => snap.generateProof(cn + 3))).toBe('CLOSED');
  });

  it('says the tree is empty with INDEX_OUT_OF_RANGE (proofs and nodes)', () => {
    const tree = new LeanIMT({ hasher: testHasher, n: 4, maxDepth: 8 });
    const snap = tree.snapshot();
    expect(codeOf(() => snap.generateProof(0))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => generateProofs(snap, [0]))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => snap.getNode(0, 0))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => tree.getNode(0, 0))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => snap.generateConsistencyProof(1))).toBe('INDEX_OUT_OF_RANGE');
  });
});

describe('generateProofs / decodeInclusionProofs / verifyProofs', () => {
  it('a batch holds exactly the single proofs, back to back, and decodes from its bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 1, max: 2000 }), fc.nat(), (n, size, seed) => {
        const snap = treeOf(leaves(size), n, true).snapshot();
        const indices = indicesOf(size, n, seed);
        const batch = snap.generateProofs(indices);
        expect(batch.count).toBe(indices.length);
        const singles = indices.map((i) => snap.generateProof(i));
        let at = 0;
        for (const [k, p] of singles.entries()) {
          expect(batch.bytes.subarray(at, at + p.bytes.length)).toEqual(p.bytes);
          expect(batch.proof(k).bytes).toEqual(p.bytes);
          expect(batch.proof(k).leafIndex).toBe(indices[k]);
          at += p.bytes.length;
        }
        expect(at).toBe(batch.bytes.length);
        expect([...batch].map((p) => p.leafIndex)).toEqual(indices);
        const decoded = decodeInclusionProofs(batch.bytes);
        expect(decoded.count).toBe(batch.count);
        expect(decoded.bytes).toEqual(batch.bytes);
        expect(decodeInclusionProofs(singles.map((p) => encodeInclusionProof(p)).reduce(concat)).bytes).toEqual(batch.bytes);
        const trusted = { root: snap.root!, size, n };
        expect(verifyProofs(testHasher, batch, trusted)).toEqual(indices.map(() => true));
        expect(verifyProofs(testHasher, decoded, trusted)).toEqual(indices.map(() => true));
        expect(verifyProofs(testHasher, singles, trusted)).toEqual(indices.map(() => true));
        expect(verifyProofs(testHasher, singles.map((p) => p.toObject()), trusted)).toEqual(indices.map(() => true));
      }),
      { numRuns: 40 },
    );
  });

  it('gives what verifyProof gives for each proof, mixed good and bad, over several kernel calls', () => {
    const n = 3;
    const size = 5000;
    const snap = treeOf(leaves(size), n, true).snapshot();
    const other = treeOf(leaves(size + 1), n, true).snapshot();
    const indices = Array.from({ length: 1300 }, (_, i) => (i * 7919) % size);
    const proofs: InclusionProof[] = indices.map((i, k) => {
      const p = (k % 5 === 3 ? other : snap).generateProof(i);
      if (k % 7 === 2) return { ...p.toObject(), leafIndex: (i + 1) % size }; // wrong index
      if (k % 11 === 4) {
        const plain = p.toObject();
        plain.levels[0]?.siblings[0]?.fill(9); // a wrong sibling
        return plain;
      }
      if (k % 13 === 5) return { ...p.toObject(), treeSize: size + 7 }; // another size, same shape or not
      if (k % 17 === 6) return { ...p.toObject(), levels: p.levels.slice(1) }; // a shape that does not fit
      return k % 2 === 0 ? p : p.toObject();
    });
    const trusted = { root: snap.root!, size, n };
    const expected = proofs.map((p) => verifyProof(testHasher, p, trusted));
    expect(expected.filter(Boolean).length).toBeGreaterThan(500);
    expect(expected.filter((x) => !x).length).toBeGreaterThan(300);
    expect(verifyProofs(testHasher, proofs, trusted)).toEqual(expected);
    const unbound = { root: snap.root!, unboundSize: true, unboundN: true } as const;
    expect(verifyProofs(testHasher, proofs, unbound)).toEqual(proofs.map((p) => verifyProof(testHasher, p, unbound)));
    // A batch whose bytes were changed after generation.
    const batch = snap.generateProofs(indices);
    const damaged = [17, 600, 1299];
    for (const k of damaged) batch.bytes[batch.proof(k).bytes.byteOffset + 100]! ^= 1;
    expect(verifyProofs(testHasher, batch, trusted)).toEqual(indices.map((_, k) => !damaged.includes(k)));
    expect(verifyProofs(testHasher, batch, { ...trusted, n: 4 })).toEqual(indices.map(() => false));
  });

  it('checks its arguments as verifyProof does', () => {
    const snap = treeOf(leaves(40), 4, true).snapshot();
    const batch = snap.generateProofs([1, 2]);
    const trusted = { root: snap.root!, size: 40, n: 4 };
    expect(() => verifyProofs(testHasher, batch, { root: snap.root!, size: 40 })).toThrow(TypeError);
    expect(() => verifyProofs(testHasher, 'x' as never, trusted)).toThrow(TypeError);
    expect(() => verifyProofs(null as never, batch, trusted)).toThrow(TypeError);
    expect(valueOrInvalidProof(() => verifyProofs(testHasher, [batch.proof(0), { n: 4 } as never], trusted))).toBe('INVALID_PROOF');
    expect(verifyProofs(testHasher, [], trusted)).toEqual([]);
    expect(() => batch.proof(2)).toThrow(RangeError);
    expect(codeOf(() => generateProofs(snap, [0, 40]))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => decodeInclusionProofs(batch.bytes.subarray(0, batch.bytes.length - 1)))).toBe('INVALID_PROOF');
    expect(decodeInclusionProofs(new Uint8Array(0))).toBeInstanceOf(InclusionProofBatch);
    expect(naiveRoot(leaves(40), 4)).toEqual(snap.root);
  });
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
