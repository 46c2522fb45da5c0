import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../src/bytes.js';
import { generateProof, verifyProof } from '../src/proof/index.js';
import type { InclusionProof, ProofLevel } from '../src/proof/index.js';
import { cachedLeaves, cachedView, hashChildren, leaf, naiveLevels, naiveRoot, naiveView, testHasher } from './support/naive-tree.js';
import { valueOrInvalidProof } from './support/outcomes.js';

/** Trusted values that bind nothing but the root the proof names (the unsafe opt-outs, for shape tests). */
const UNBOUND = { unboundSize: true, unboundN: true } as const;

/** The expected proof, read straight off the naive model's levels. */
function modelProof(n: number, size: number, index: number): InclusionProof {
  const levels = naiveLevels(cachedLeaves(size), n);
  const out: ProofLevel[] = [];
  let idx = index;
  for (let k = 0; k < levels.length - 1; k++) {
    const start = idx - (idx % n);
    const group = levels[k]!.slice(start, start + n);
    out.push({ position: idx % n, siblings: group.filter((_, j) => start + j !== idx) });
    idx = Math.floor(idx / n);
  }
  return { n, leafIndex: index, treeSize: size, leaf: leaf(index), root: naiveRoot(cachedLeaves(size), n)!, levels: out };
}

/** Same depth, positions and sibling counts. */
function sameShape(a: InclusionProof, b: InclusionProof): boolean {
  return (
    a.levels.length === b.levels.length &&
    a.levels.every((l, k) => l.position === b.levels[k]!.position && l.siblings.length === b.levels[k]!.siblings.length)
  );
}

const treeArb = fc
  .record({ n: fc.integer({ min: 2, max: 17 }), size: fc.integer({ min: 1, max: 300 }) })
  .chain(({ n, size }) => fc.record({ n: fc.constant(n), size: fc.constant(size), index: fc.integer({ min: 0, max: size - 1 }) }));

describe('worked example (research/rotortree.md section 2): N=4, L_i = leaf(i+1)', () => {
  const L = Array.from({ length: 6 }, (_, i) => leaf(i + 1));
  const P0 = hashChildren(L.slice(0, 4));
  const P1 = hashChildren([L[4]!, L[5]!]);

  it('6 leaves: roots and the shapes of proof(5) and proof(2)', () => {
    const view = naiveView(L, 4);
    expect(toHex(P0)).toBe('c128757f7f9f5f18ebcc132b1123eb6bc0c96417b273d66051180b43e7d8f67c');
    expect(toHex(P1)).toBe('aecebd84cbd4f2213609e9108286ab4880878afa0b46a1f99be1754751b3368f');
    expect(toHex(view.root!)).toBe('b7d49e6d1137eea4fade08a7f533b94bc309edb4a9187083311a7a764ab60959');
    const p5 = generateProof(view, 5);
    expect(p5.toObject().levels).toEqual([
      { position: 1, siblings: [L[4]] },
      { position: 1, siblings: [P0] },
    ]);
    const p2 = generateProof(view, 2);
    expect(p2.toObject().levels).toEqual([
      { position: 2, siblings: [L[0], L[1], L[3]] },
      { position: 0, siblings: [P1] },
    ]);
    expect(p2.leaf.slice()).toEqual(L[2]);
    expect(p2.root.slice()).toEqual(view.root);
    expect(verifyProof(testHasher, p5, { root: view.root!, size: 6, n: 4 })).toBe(true);
    expect(verifyProof(testHasher, p2, { root: view.root!, size: 6, n: 4 })).toBe(true);
  });

  it('5 leaves: L4 is lifted, proof(4) level 0 has no siblings', () => {
    const view = naiveView(L.slice(0, 5), 4);
    expect(toHex(view.root!)).toBe('205e7b17d010fbae5fef262877a7daad9b0e5a7a779d021a8940cc73d46b7d73');
    const p4 = generateProof(view, 4);
    expect(p4.toObject().levels).toEqual([
      { position: 0, siblings: [] },
      { position: 1, siblings: [P0] },
    ]);
    expect(verifyProof(testHasher, p4, { root: view.root!, size: 5, n: 4 })).toBe(true);
  });

  it('N=2, 3 leaves: root vector', () => {
    expect(toHex(naiveView(L.slice(0, 3), 2).root!)).toBe('1ce645d96d15f895eb866ece02a7f943583f7d0e6ebeb65cccc132fa22d2a85b');
  });
});

describe('generateProof / verifyProof', () => {
  it('matches the model and verifies, bound or not', () => {
    fc.assert(
      fc.property(treeArb, ({ n, size, index }) => {
        const p = generateProof(cachedView(n, size), index);
        expect(p.toObject()).toEqual(modelProof(n, size, index));
        expect(verifyProof(testHasher, p, UNBOUND)).toBe(true);
        expect(verifyProof(testHasher, p, { root: p.root, size, n })).toBe(true);
        expect(verifyProof(testHasher, p.toObject(), { root: p.root, size, n })).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a one-leaf tree has no levels and root = leaf', () => {
    const p = generateProof(cachedView(3, 1), 0);
    expect(p.levels).toEqual([]);
    expect(p.root.slice()).toEqual(leaf(0));
    expect(verifyProof(testHasher, p, { root: leaf(0), size: 1, n: 3 })).toBe(true);
  });

  it('rejects bad indexes with INDEX_OUT_OF_RANGE', () => {
    const view = cachedView(4, 10);
    for (const bad of [-1, 10, 11, 1.5, Number.NaN, Infinity, '0' as unknown as number, 2 ** 60]) {
      expect(() => generateProof(view, bad)).toThrow(expect.objectContaining({ code: 'INDEX_OUT_OF_RANGE' }));
    }
    expect(() => generateProof(naiveView([], 4), 0)).toThrow(expect.objectContaining({ code: 'INDEX_OUT_OF_RANGE' }));
  });

  it('fails for any flipped byte in leaf, siblings or root', () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 255 }), ({ n, size, index }, which, byte, xor) => {
        // In the plain shape, and in the binary form (its views share the proof's bytes).
        for (const p of [generateProof(cachedView(n, size), index).toObject(), generateProof(cachedView(n, size), index)]) {
          const nodes = [p.leaf, p.root, ...p.levels.flatMap((l) => l.siblings)];
          const target = nodes[which % nodes.length]!;
          target[byte]! ^= xor;
          expect(verifyProof(testHasher, p, UNBOUND)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fails for a wrong leafIndex', () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), ({ n, size, index }, other) => {
        fc.pre(size > 1);
        const wrong = (index + 1 + (other % (size - 1))) % size;
        const p = { ...generateProof(cachedView(n, size), index).toObject(), leafIndex: wrong };
        expect(verifyProof(testHasher, p, UNBOUND)).toBe(false);
        expect(verifyProof(testHasher, { ...p, leafIndex: size + other }, UNBOUND)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('a wrong treeSize fails when bound, and unbound exactly when the shape differs', () => {
    fc.assert(
      fc.property(treeArb, fc.integer({ min: 1, max: 400 }), ({ n, size, index }, wrong) => {
        fc.pre(wrong !== size);
        const p = { ...generateProof(cachedView(n, size), index).toObject(), treeSize: wrong };
        expect(verifyProof(testHasher, p, { size, n })).toBe(false);
        const fits = index < wrong && sameShape(p, modelProof(n, wrong, index));
        expect(verifyProof(testHasher, p, UNBOUND)).toBe(fits);
      }),
      { numRuns: 300 },
    );
  });

  it('fails against a wrong trusted root, size or n', () => {
    fc.assert(
      fc.property(treeArb, fc.integer({ min: 2, max: 17 }), ({ n, size, index }, otherN) => {
        const p = generateProof(cachedView(n, size), index);
        const otherRoot = naiveRoot(cachedLeaves(size + 1), n)!;
        expect(verifyProof(testHasher, p, { root: otherRoot, size, n })).toBe(false);
        expect(verifyProof(testHasher, p, { root: p.root, size: size + 1, n })).toBe(false);
        if (otherN !== n) expect(verifyProof(testHasher, p, { root: p.root, size, n: otherN })).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('documents the caveat: an inner node passes as a leaf unless the size is bound', () => {
    const view = cachedView(4, 16);
    const inner = (i: number) => view.getNode(1, i);
    const forged: InclusionProof = {
      n: 4,
      leafIndex: 0,
      treeSize: 4,
      leaf: inner(0),
      root: view.root!,
      levels: [{ position: 0, siblings: [inner(1), inner(2), inner(3)] }],
    };
    expect(verifyProof(testHasher, forged, { root: view.root!, n: 4, unboundSize: true })).toBe(true);
    expect(verifyProof(testHasher, forged, { root: view.root!, size: 16, n: 4 })).toBe(false);
    // Without opting out by name, leaving the size out is a TypeError, not a pass.
    expect(() => verifyProof(testHasher, forged, { root: view.root!, n: 4 })).toThrow(TypeError);
    // Same with another branching factor: N=2 tree of 4 leaves seen as an N=3 tree of 4 leaves.
    const v2 = cachedView(2, 4);
    const asN3: InclusionProof = {
      n: 3,
      leafIndex: 3,
      treeSize: 4,
      leaf: v2.getNode(1, 1),
      root: v2.root!,
      levels: [
        { position: 0, siblings: [] },
        { position: 1, siblings: [v2.getNode(1, 0)] },
      ],
    };
    expect(verifyProof(testHasher, asN3, { root: v2.root!, size: 4, unboundN: true })).toBe(true);
    expect(verifyProof(testHasher, asN3, { root: v2.root!, size: 4, n: 2 })).toBe(false);
    expect(() => verifyProof(testHasher, asN3, { root: v2.root!, size: 4 })).toThrow(TypeError);
  });
});

describe('verifyProof on malformed input: false or INVALID_PROOF, never another exception', () => {
  const good = generateProof(cachedView(3, 20), 7).toObject();
  const node = new Uint8Array(32);

  it('named cases', () => {
    const cases: unknown[] = [
      null,
      undefined,
      42,
      'proof',
      [],
      {},
      { ...good, n: 1 },
      { ...good, n: 257 },
      { ...good, n: Number.NaN },
      { ...good, leafIndex: -1 },
      { ...good, leafIndex: 0.5 },
      { ...good, leafIndex: Number.NaN },
      { ...good, treeSize: 2 ** 64 },
      { ...good, treeSize: Infinity },
      { ...good, treeSize: '20' },
      { ...good, treeSize: 0 },
      { ...good, leaf: new Uint8Array(31) },
      { ...good, leaf: Array.from(node) },
      { ...good, root: undefined },
      { ...good, levels: undefined },
      { ...good, levels: {} },
      { ...good, levels: [null, null, null] },
      { ...good, levels: [...good.levels, { position: 0, siblings: [] }] },
      { ...good, levels: Array.from({ length: 300 }, () => ({ position: 0, siblings: [] })) },
      { ...good, levels: Array.from({ length: 100 }, () => ({ position: 0, siblings: [] })) },
      { ...good, levels: [{ position: 5, siblings: [] }, ...good.levels.slice(1)] },
      { ...good, levels: [{ position: 0, siblings: [node, node, node, node] }, ...good.levels.slice(1)] },
      { ...good, levels: [{ position: 0, siblings: [node, 'x'] }, ...good.levels.slice(1)] },
      { ...good, levels: [{ siblings: [node, node] }, ...good.levels.slice(1)] },
      { ...good, levels: [{ position: 1 }, ...good.levels.slice(1)] },
    ];
    for (const c of cases) {
      const r = valueOrInvalidProof(() => verifyProof(testHasher, c as InclusionProof, UNBOUND));
      expect(r === false || r === 'INVALID_PROOF').toBe(true);
    }
    expect(valueOrInvalidProof(() => verifyProof(testHasher, { ...good, n: 1 }, UNBOUND))).toBe('INVALID_PROOF');
    // A malformed proof is INVALID_PROOF before the trusted values are looked at.
    expect(valueOrInvalidProof(() => verifyProof(testHasher, { ...good, n: 1 }, undefined as never))).toBe('INVALID_PROOF');
  });

  it('any field replaced by anything', () => {
    const keys = ['n', 'leafIndex', 'treeSize', 'leaf', 'root', 'levels'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.anything({ withTypedArray: true }), fc.boolean(), (key, value, deep) => {
        const p: Record<string, unknown> = { ...good };
        if (deep && key === 'levels') p['levels'] = [{ position: value, siblings: [value] }, ...good.levels.slice(1)];
        else p[key] = value;
        // With every trusted value bound, only an unchanged proof may verify (an unbound treeSize
        // of the same shape would pass, which is the documented caveat, not malformed input).
        fc.pre(!isDeepStrictEqual(p[key], (good as unknown as Record<string, unknown>)[key]));
        const r = valueOrInvalidProof(() => verifyProof(testHasher, p as unknown as InclusionProof, { root: good.root, size: good.treeSize, n: good.n }));
        expect(r === false || r === 'INVALID_PROOF').toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a malformed or missing trusted argument is a TypeError: size and n are bound unless opted out by name', () => {
    const bound = { root: good.root, size: good.treeSize, n: good.n };
    for (const p of [good, generateProof(cachedView(3, 20), 7)]) {
      expect(verifyProof(testHasher, p, bound)).toBe(true);
      expect(() => verifyProof(testHasher, p, { ...bound, root: new Uint8Array(3) })).toThrow(TypeError);
      expect(() => verifyProof(testHasher, p, { ...bound, size: -1 })).toThrow(TypeError);
      expect(() => verifyProof(testHasher, p, { ...bound, n: 1 })).toThrow(TypeError);
      expect(() => verifyProof(testHasher, p, 5 as never)).toThrow(TypeError);
      expect(() => verifyProof(testHasher, p, undefined as never)).toThrow(TypeError);
      expect(() => verifyProof(testHasher, p, {})).toThrow(TypeError);
      expect(() => verifyProof(testHasher, p, { root: good.root })).toThrow(TypeError);
      expect(() => verifyProof(testHasher, p, { root: good.root, size: good.treeSize })).toThrow(TypeError);
      expect(() => verifyProof(testHasher, p, { root: good.root, n: good.n })).toThrow(TypeError);
      expect(() => verifyProof(testHasher, p, { root: good.root, n: good.n, unboundSize: 'yes' as never })).toThrow(TypeError);
      expect(verifyProof(testHasher, p, { root: good.root, n: good.n, unboundSize: true })).toBe(true);
      expect(verifyProof(testHasher, p, { root: good.root, size: good.treeSize, unboundN: true })).toBe(true);
      expect(() => verifyProof(undefined as never, p, bound)).toThrow(TypeError);
      expect(() => verifyProof({ id: 'x' } as never, p, bound)).toThrow(TypeError);
    }
  });
});
