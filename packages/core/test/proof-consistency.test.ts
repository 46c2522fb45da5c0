import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  generateConsistencyProof,
  generateProof,
  updateInclusionProof,
  verifyConsistencyProof,
  verifyProof,
} from '../src/proof/index.js';
import type { ConsistencyProof, EncodedConsistencyProof } from '../src/proof/index.js';
import { cachedLeaves, cachedView, leaf, naiveRoot, testHasher } from './support/naive-tree.js';
import { valueOrInvalidProof } from './support/outcomes.js';

/** n, newSize, oldSize in 1..newSize, and an index below oldSize. */
const pairArb = fc
  .record({ n: fc.integer({ min: 2, max: 17 }), newSize: fc.integer({ min: 1, max: 300 }) })
  .chain(({ n, newSize }) =>
    fc.integer({ min: 1, max: newSize }).chain((oldSize) =>
      fc.record({
        n: fc.constant(n),
        newSize: fc.constant(newSize),
        oldSize: fc.constant(oldSize),
        index: fc.integer({ min: 0, max: oldSize - 1 }),
      }),
    ),
  );

function cproof(n: number, newSize: number, oldSize: number): EncodedConsistencyProof {
  return generateConsistencyProof(cachedView(n, newSize), oldSize, testHasher);
}

/** The proof in the plain shape, to change fields of. */
function plain(n: number, newSize: number, oldSize: number): ConsistencyProof {
  return cproof(n, newSize, oldSize).toObject();
}

/** Trusted values that bind nothing (the unsafe opt-outs, for shape tests). */
const UNBOUND = { unboundSize: true, unboundN: true } as const;

describe('generateConsistencyProof / verifyConsistencyProof', () => {
  it('verifies for every old size, with the model roots', () => {
    fc.assert(
      fc.property(pairArb, ({ n, newSize, oldSize }) => {
        const p = cproof(n, newSize, oldSize);
        expect(p.oldRoot.slice()).toEqual(naiveRoot(cachedLeaves(oldSize), n));
        expect(p.newRoot.slice()).toEqual(naiveRoot(cachedLeaves(newSize), n));
        expect(p.boundaryLeaf.slice()).toEqual(leaf(oldSize - 1));
        expect(verifyConsistencyProof(testHasher, p, UNBOUND)).toBe(true);
        const trusted = { oldRoot: p.oldRoot, oldSize, newRoot: p.newRoot, newSize, n };
        expect(verifyConsistencyProof(testHasher, p, trusted)).toBe(true);
        expect(verifyConsistencyProof(testHasher, p.toObject(), trusted)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('every old size of small trees (exhaustive for N = 2..5, sizes up to 40)', () => {
    for (let n = 2; n <= 5; n++) {
      for (let newSize = 1; newSize <= 40; newSize++) {
        for (let oldSize = 1; oldSize <= newSize; oldSize++) {
          expect(verifyConsistencyProof(testHasher, cproof(n, newSize, oldSize), { oldSize, newSize, n })).toBe(true);
        }
      }
    }
  });

  it('fails for a forged old root or new root, in the proof or trusted', () => {
    fc.assert(
      fc.property(pairArb, fc.integer({ min: 0, max: 31 }), ({ n, newSize, oldSize }, byte) => {
        const p = plain(n, newSize, oldSize);
        const flipped = (x: Uint8Array) => {
          const y = x.slice();
          y[byte]! ^= 1;
          return y;
        };
        expect(verifyConsistencyProof(testHasher, { ...p, oldRoot: flipped(p.oldRoot) }, UNBOUND)).toBe(false);
        expect(verifyConsistencyProof(testHasher, { ...p, newRoot: flipped(p.newRoot) }, UNBOUND)).toBe(false);
        expect(verifyConsistencyProof(testHasher, p, { ...UNBOUND, oldRoot: flipped(p.oldRoot) })).toBe(false);
        expect(verifyConsistencyProof(testHasher, p, { ...UNBOUND, newRoot: flipped(p.newRoot) })).toBe(false);
        // The root of a tree that is not this prefix (other leaves, same size).
        const other = naiveRoot([...cachedLeaves(oldSize - 1), leaf(100000)], n)!;
        expect(verifyConsistencyProof(testHasher, { ...p, oldRoot: other }, UNBOUND)).toBe(false);
        expect(verifyConsistencyProof(testHasher, p, { ...UNBOUND, oldRoot: other })).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('fails for swapped or wrong sizes', () => {
    fc.assert(
      fc.property(pairArb, fc.integer({ min: 1, max: 400 }), ({ n, newSize, oldSize }, wrong) => {
        const p = plain(n, newSize, oldSize);
        if (oldSize !== newSize) {
          expect(verifyConsistencyProof(testHasher, { ...p, oldSize: newSize, newSize: oldSize }, UNBOUND)).toBe(false);
          expect(
            verifyConsistencyProof(testHasher, { ...p, oldSize: newSize, newSize: oldSize, oldRoot: p.newRoot, newRoot: p.oldRoot }, UNBOUND),
          ).toBe(false);
        }
        if (wrong !== oldSize) {
          expect(verifyConsistencyProof(testHasher, p, { ...UNBOUND, oldSize: wrong })).toBe(false);
          expect(verifyConsistencyProof(testHasher, { ...p, oldSize: wrong }, { ...UNBOUND, oldSize })).toBe(false);
        }
        if (wrong !== newSize) {
          expect(verifyConsistencyProof(testHasher, p, { ...UNBOUND, newSize: wrong })).toBe(false);
          expect(verifyConsistencyProof(testHasher, { ...p, newSize: wrong }, { ...UNBOUND, newSize })).toBe(false);
        }
        expect(verifyConsistencyProof(testHasher, p, { ...UNBOUND, n: n + 1 })).toBe(false);
        expect(verifyConsistencyProof(testHasher, { ...p, oldSize: 0 }, UNBOUND)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('unbound wrong sizes verify exactly when the level shape is the same', () => {
    const shape = (p: ConsistencyProof) => p.levels.map((l) => `${l.left.length}/${l.right.length}`).join(',');
    fc.assert(
      fc.property(pairArb, fc.integer({ min: 1, max: 320 }), fc.nat(2), ({ n, newSize, oldSize }, wrong, which) => {
        const p = plain(n, newSize, oldSize);
        const o = which === 1 ? oldSize : wrong;
        const s = which === 0 ? newSize : which === 1 ? wrong : wrong + newSize - oldSize;
        fc.pre(o !== oldSize || s !== newSize);
        const fits = o <= s && shape(cproof(n, s, o)) === shape(p);
        expect(verifyConsistencyProof(testHasher, { ...p, oldSize: o, newSize: s }, UNBOUND)).toBe(fits);
      }),
      { numRuns: 300 },
    );
  });

  it('fails for any flipped byte in the boundary leaf or a left/right node', () => {
    fc.assert(
      fc.property(pairArb, fc.nat(), fc.integer({ min: 0, max: 31 }), ({ n, newSize, oldSize }, which, byte) => {
        // In the plain shape, and in the binary form (its views share the proof's bytes).
        for (const p of [plain(n, newSize, oldSize), cproof(n, newSize, oldSize)]) {
          const nodes = [p.boundaryLeaf, ...p.levels.flatMap((l) => [...l.left, ...l.right])];
          nodes[which % nodes.length]![byte]! ^= 0x80;
          expect(verifyConsistencyProof(testHasher, p, { oldSize, newSize, n })).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('rejects bad old sizes with INDEX_OUT_OF_RANGE', () => {
    const view = cachedView(4, 10);
    for (const bad of [0, -1, 11, 1.5, Number.NaN, undefined as unknown as number]) {
      expect(() => generateConsistencyProof(view, bad, testHasher)).toThrow(expect.objectContaining({ code: 'INDEX_OUT_OF_RANGE' }));
    }
    expect(() => generateConsistencyProof(view, 1, undefined as never)).toThrow(TypeError);
    expect(() => verifyConsistencyProof(null as never, cproof(4, 10, 3), UNBOUND)).toThrow(TypeError);
    expect(() => generateConsistencyProof(cachedView(4, 0), 1, testHasher)).toThrow(expect.objectContaining({ code: 'INDEX_OUT_OF_RANGE' }));
  });

  it('malformed input: false or INVALID_PROOF, never another exception', () => {
    const good = plain(3, 50, 17);
    const keys = ['n', 'oldSize', 'newSize', 'oldRoot', 'newRoot', 'boundaryLeaf', 'levels'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.anything({ withTypedArray: true }), fc.nat(3), (key, value, mode) => {
        const p: Record<string, unknown> = { ...good };
        if (key === 'levels' && mode === 1) p['levels'] = [{ left: value, right: [] }, ...good.levels.slice(1)];
        else if (key === 'levels' && mode === 2) p['levels'] = [{ left: [value], right: [value] }, ...good.levels.slice(1)];
        else if (key === 'levels' && mode === 3) p['levels'] = [value, ...good.levels];
        else p[key] = value;
        // Bound trusted values: a same-shape unbound size would pass (the documented caveat).
        fc.pre(!isDeepStrictEqual(p[key], (good as unknown as Record<string, unknown>)[key]));
        const trusted = { oldRoot: good.oldRoot, oldSize: good.oldSize, newRoot: good.newRoot, newSize: good.newSize, n: good.n };
        const r = valueOrInvalidProof(() => verifyConsistencyProof(testHasher, p as unknown as ConsistencyProof, trusted));
        expect(r === false || r === 'INVALID_PROOF').toBe(true);
      }),
      { numRuns: 500 },
    );
    for (const c of [null, 1, 'x', {}, { ...good, levels: Array.from({ length: 1000 }, () => ({ left: [], right: [] })) }]) {
      const r = valueOrInvalidProof(() => verifyConsistencyProof(testHasher, c as unknown as ConsistencyProof, UNBOUND));
      expect(r === false || r === 'INVALID_PROOF').toBe(true);
    }
  });
});

describe('updateInclusionProof', () => {
  it('equals the proof generated from the new tree', () => {
    fc.assert(
      fc.property(pairArb, ({ n, newSize, oldSize, index }) => {
        const old = generateProof(cachedView(n, oldSize), index);
        const updated = updateInclusionProof(testHasher, old, cproof(n, newSize, oldSize));
        expect(updated.toObject()).toEqual(generateProof(cachedView(n, newSize), index).toObject());
        expect(updated.bytes).toEqual(generateProof(cachedView(n, newSize), index).bytes);
        expect(verifyProof(testHasher, updated, { root: naiveRoot(cachedLeaves(newSize), n)!, size: newSize, n })).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('chains: updating twice equals updating once', () => {
    fc.assert(
      fc.property(pairArb, fc.integer({ min: 0, max: 100 }), ({ n, newSize, oldSize, index }, more) => {
        const mid = updateInclusionProof(testHasher, generateProof(cachedView(n, oldSize), index), cproof(n, newSize, oldSize));
        const last = updateInclusionProof(testHasher, mid, cproof(n, newSize + more, newSize));
        expect(last.bytes).toEqual(generateProof(cachedView(n, newSize + more), index).bytes);
      }),
      { numRuns: 100 },
    );
  });

  it('throws INVALID_PROOF when the proofs do not fit together', () => {
    fc.assert(
      fc.property(pairArb, fc.integer({ min: 0, max: 31 }), ({ n, newSize, oldSize, index }, byte) => {
        fc.pre(newSize > 1);
        const old = generateProof(cachedView(n, oldSize), index).toObject();
        const c = plain(n, newSize, oldSize);
        const code = expect.objectContaining({ code: 'INVALID_PROOF' });
        // An inclusion proof for another size (the new one), or another root.
        const otherSize = oldSize === newSize ? oldSize - 1 : newSize;
        if (index < otherSize) {
          expect(() => updateInclusionProof(testHasher, generateProof(cachedView(n, otherSize), index), c)).toThrow(code);
        }
        const badLeaf = old.leaf.slice();
        badLeaf[byte]! ^= 1;
        expect(() => updateInclusionProof(testHasher, { ...old, leaf: badLeaf }, c)).toThrow(code);
        const badRoot = c.oldRoot.slice();
        badRoot[byte]! ^= 1;
        expect(() => updateInclusionProof(testHasher, old, { ...c, oldRoot: badRoot })).toThrow(code);
        const forged = cproof(n, newSize, oldSize).toObject();
        forged.boundaryLeaf[byte]! ^= 1;
        expect(() => updateInclusionProof(testHasher, old, forged)).toThrow(code);
        expect(() => updateInclusionProof(testHasher, old, { ...c, n: n + 1 })).toThrow(code);
        expect(() => updateInclusionProof(testHasher, { ...old, n: 300 }, c)).toThrow(code);
        expect(() => updateInclusionProof(testHasher, old, null as never)).toThrow(code);
      }),
      { numRuns: 150 },
    );
  });
});
