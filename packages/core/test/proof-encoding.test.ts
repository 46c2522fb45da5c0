import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  PROOF_FORMAT_VERSION,
  consistencyProofFromJSON,
  consistencyProofToJSON,
  decodeConsistencyProof,
  decodeInclusionProof,
  decodeInclusionProofs,
  EncodedConsistencyProof,
  EncodedInclusionProof,
  encodeConsistencyProof,
  encodeInclusionProof,
  generateConsistencyProof,
  generateProof,
  inclusionProofFromJSON,
  inclusionProofToJSON,
  verifyConsistencyProof,
  verifyProof,
} from '../src/proof/index.js';
import type { ConsistencyProof, InclusionProof } from '../src/proof/index.js';
import { fromHex } from '../src/bytes.js';
import { cachedView, testHasher } from './support/naive-tree.js';
import { valueOrInvalidProof } from './support/outcomes.js';

const inclusionArb = fc
  .record({ n: fc.integer({ min: 2, max: 17 }), size: fc.integer({ min: 1, max: 300 }) })
  .chain(({ n, size }) => fc.integer({ min: 0, max: size - 1 }).map((index) => generateProof(cachedView(n, size), index)));

const consistencyArb = fc
  .record({ n: fc.integer({ min: 2, max: 17 }), size: fc.integer({ min: 1, max: 300 }) })
  .chain(({ n, size }) =>
    fc.integer({ min: 1, max: size }).map((oldSize) => generateConsistencyProof(cachedView(n, size), oldSize, testHasher)),
  );

function inclusionBound(p: InclusionProof, decoded: InclusionProof): boolean | 'INVALID_PROOF' {
  return valueOrInvalidProof(() => verifyProof(testHasher, decoded, { root: p.root, size: p.treeSize, n: p.n }) && decoded.leafIndex === p.leafIndex);
}

function consistencyBound(p: ConsistencyProof, decoded: ConsistencyProof): boolean | 'INVALID_PROOF' {
  const trusted = { oldRoot: p.oldRoot, oldSize: p.oldSize, newRoot: p.newRoot, newSize: p.newSize, n: p.n };
  return valueOrInvalidProof(() => verifyConsistencyProof(testHasher, decoded, trusted));
}

/** The proofs of the fixture file, written by the version-1 encoder of earlier releases. */
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/proofs-v1.json', import.meta.url), 'utf8')) as {
  cases: {
    n: number;
    size: number;
    index: number;
    oldSize: number;
    root: string;
    inclusionV1: string;
    inclusionJSON: unknown;
    consistencyV1: string;
    consistencyJSON: unknown;
  }[];
};

/** Trusted values that bind nothing (the unsafe opt-outs). */
const UNBOUND = { unboundSize: true, unboundN: true } as const;

describe('binary encoding', () => {
  it('round-trips exactly (proof -> bytes -> proof -> same bytes); a generated proof is its own encoding', () => {
    fc.assert(
      fc.property(inclusionArb, consistencyArb, (ip, cp) => {
        const ib = encodeInclusionProof(ip);
        expect(ib).toBe(ip.bytes);
        expect(ib[0]).toBe(PROOF_FORMAT_VERSION);
        const id = decodeInclusionProof(ib);
        expect(id).toBeInstanceOf(EncodedInclusionProof);
        expect((id as EncodedInclusionProof).toObject()).toEqual(ip.toObject());
        expect(encodeInclusionProof(id)).toEqual(ib);
        expect(encodeInclusionProof(ip.toObject())).toEqual(ib);
        expect(verifyProof(testHasher, id, { root: ip.root, size: ip.treeSize, n: ip.n })).toBe(true);
        const cb = encodeConsistencyProof(cp);
        expect(cb).toBe(cp.bytes);
        const cd = decodeConsistencyProof(cb);
        expect((cd as EncodedConsistencyProof).toObject()).toEqual(cp.toObject());
        expect(encodeConsistencyProof(cd)).toEqual(cb);
        expect(encodeConsistencyProof(cp.toObject())).toEqual(cb);
        expect(verifyConsistencyProof(testHasher, cd, { oldSize: cp.oldSize, newSize: cp.newSize, n: cp.n })).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is compact: a 24-byte header, the roots and leaves, then 32 bytes per node', () => {
    const p = generateProof(cachedView(4, 6), 2); // siblings 3 + 1
    expect(encodeInclusionProof(p).length).toBe(24 + 64 + 4 * 32);
    const c = generateConsistencyProof(cachedView(4, 6), 3, testHasher); // level 0: 2 left, 1 right; level 1: 1 right
    expect(encodeConsistencyProof(c).length).toBe(24 + 96 + 4 * 32);
    // The header: version, kind, n - 1, level count, sibling count (u32), treeSize and leafIndex (u64 LE).
    expect([...p.bytes.subarray(0, 24)]).toEqual([2, 1, 3, 2, 4, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('rejects every truncation, trailing bytes, another version or kind, and counts that do not fit the sizes', () => {
    const ip = generateProof(cachedView(3, 50), 31);
    const cp = generateConsistencyProof(cachedView(3, 50), 17, testHasher);
    const code = expect.objectContaining({ code: 'INVALID_PROOF' });
    for (const [bytes, decode] of [
      [encodeInclusionProof(ip), decodeInclusionProof],
      [encodeConsistencyProof(cp), decodeConsistencyProof],
    ] as const) {
      for (let len = 0; len < bytes.length; len++) expect(() => decode(bytes.subarray(0, len))).toThrow(code);
      const longer = new Uint8Array(bytes.length + 32);
      longer.set(bytes);
      expect(() => decode(longer)).toThrow(code);
      for (const [at, value] of [
        [0, 3], // version
        [0, 0],
        [3, bytes[3]! + 1], // level count
        [4, bytes[4]! + 1], // node count
        [15, 0x20], // first size above 2^53 - 1
        [23, 0x20], // second size above 2^53 - 1
      ] as const) {
        const other = bytes.slice();
        other[at] = value;
        expect(() => decode(other)).toThrow(code);
      }
    }
    const swapped = encodeInclusionProof(ip).slice();
    swapped.set(swapped.slice(8, 16), 16); // leafIndex = treeSize
    expect(() => decodeInclusionProof(swapped)).toThrow(code);
    expect(() => decodeConsistencyProof(encodeInclusionProof(ip))).toThrow(code);
    expect(() => decodeInclusionProof(encodeConsistencyProof(cp))).toThrow(code);
    expect(() => decodeInclusionProof('01' as never)).toThrow(code);
    expect(() => decodeInclusionProof(null as never)).toThrow(code);
  });

  it('decodes and verifies the proofs of earlier releases (format version 1, binary and JSON)', () => {
    for (const f of fixtures.cases) {
      const trusted = { root: fromHex(f.root), size: f.size, n: f.n };
      const generated = generateProof(cachedView(f.n, f.size), f.index);
      for (const old of [decodeInclusionProof(fromHex(f.inclusionV1)), inclusionProofFromJSON(f.inclusionJSON)]) {
        expect(verifyProof(testHasher, old, trusted)).toBe(true);
        expect(encodeInclusionProof(old)).toEqual(generated.bytes);
      }
      const consistency = generateConsistencyProof(cachedView(f.n, f.size), f.oldSize, testHasher);
      for (const old of [decodeConsistencyProof(fromHex(f.consistencyV1)), consistencyProofFromJSON(f.consistencyJSON)]) {
        expect(verifyConsistencyProof(testHasher, old, { newRoot: trusted.root, newSize: f.size, oldSize: f.oldSize, n: f.n })).toBe(true);
        expect(encodeConsistencyProof(old)).toEqual(consistency.bytes);
      }
    }
  });

  it('version 1: rejects non-canonical and oversized varints', () => {
    const f = fixtures.cases[0]!; // n = 2, one leaf: [1, 1, 1, treeSize = 1, index = 0, leaf, root, 0 levels]
    const bytes = fromHex(f.inclusionV1);
    const code = expect.objectContaining({ code: 'INVALID_PROOF' });
    const withSize = (sizeBytes: number[]) => Uint8Array.from([...bytes.subarray(0, 3), ...sizeBytes, ...bytes.subarray(4)]);
    expect(decodeInclusionProof(withSize([1])).treeSize).toBe(1);
    expect(() => decodeInclusionProof(withSize([0x81, 0x00]))).toThrow(code); // 1, overlong
    expect(() => decodeInclusionProof(withSize([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toThrow(code); // 2^56-1
    expect(() => decodeInclusionProof(withSize([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))).toThrow(code);
    expect(decodeInclusionProof(withSize([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])).treeSize).toBe(2 ** 53 - 1);
  });

  it('a well-typed proof whose shape does not fit its sizes keeps version 1, and round-trips', () => {
    const p = generateProof(cachedView(2, 1), 0).toObject();
    const big: InclusionProof = { ...p, treeSize: 2 ** 53 - 1, leafIndex: 300 };
    const bytes = encodeInclusionProof(big);
    expect(bytes[0]).toBe(1);
    expect(bytes.length).toBe(3 + 8 + 2 + 64 + 1);
    expect(decodeInclusionProof(bytes)).toEqual(big);
    expect(verifyProof(testHasher, decodeInclusionProof(bytes), UNBOUND)).toBe(false);
  });

  it('a flipped byte never decodes to a proof that verifies against the original bindings', () => {
    fc.assert(
      fc.property(inclusionArb, consistencyArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (ip, cp, at, xor) => {
        const ib = encodeInclusionProof(ip).slice();
        ib[at % ib.length]! ^= xor;
        const id = valueOrInvalidProof(() => decodeInclusionProof(ib));
        if (id !== 'INVALID_PROOF') expect(inclusionBound(ip, id)).not.toBe(true);
        const cb = encodeConsistencyProof(cp).slice();
        cb[at % cb.length]! ^= xor;
        const cd = valueOrInvalidProof(() => decodeConsistencyProof(cb));
        if (cd !== 'INVALID_PROOF') expect(consistencyBound(cp, cd)).not.toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('random bytes: INVALID_PROOF or a proof the verifiers handle', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(2), (bytes, header) => {
        if (header > 0 && bytes.length >= 2) bytes.set([header, 1 + (bytes[1]! & 1)], 0);
        const i = valueOrInvalidProof(() => decodeInclusionProof(bytes));
        if (i !== 'INVALID_PROOF') expect(typeof valueOrInvalidProof(() => verifyProof(testHasher, i, UNBOUND))).not.toBe('number');
        const c = valueOrInvalidProof(() => decodeConsistencyProof(bytes));
        if (c !== 'INVALID_PROOF') expect(typeof valueOrInvalidProof(() => verifyConsistencyProof(testHasher, c, UNBOUND))).not.toBe('number');
        valueOrInvalidProof(() => decodeInclusionProofs(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('encoders reject malformed proofs with INVALID_PROOF', () => {
    const p = generateProof(cachedView(3, 10), 4).toObject();
    const code = expect.objectContaining({ code: 'INVALID_PROOF' });
    expect(() => encodeInclusionProof({ ...p, treeSize: -1 })).toThrow(code);
    expect(() => encodeInclusionProof({ ...p, levels: [{ position: 3, siblings: [] }] })).toThrow(code);
    expect(() => encodeInclusionProof({ ...generateProof(cachedView(3, 10), 4) } as never)).toThrow(code);
    expect(() => encodeConsistencyProof({} as never)).toThrow(code);
  });
});

describe('proofs in their binary form', () => {
  it('read like the plain shape: views into the bytes, made once', () => {
    const p = generateProof(cachedView(4, 100), 57);
    expect(p.leaf).toBe(p.leaf);
    expect(p.levels).toBe(p.levels);
    expect(p.leaf.buffer).toBe(p.bytes.buffer);
    expect(p.levels[1]!.siblings[2]!.buffer).toBe(p.bytes.buffer);
    expect(p.toObject().levels[1]!.siblings[2]!.buffer).not.toBe(p.bytes.buffer);
    // The bytes are the proof: the views write through, the arrays holding them cannot be changed.
    expect(Object.isFrozen(p.levels) && Object.isFrozen(p.levels[0]) && Object.isFrozen(p.levels[0]!.siblings)).toBe(true);
    const c = generateConsistencyProof(cachedView(4, 100), 33, testHasher);
    expect(Object.isFrozen(c.levels) && Object.isFrozen(c.levels[0]!.left)).toBe(true);
    // A spread copies only the plain fields (documented): toObject is the plain copy.
    expect(Object.keys({ ...p }).sort()).toEqual(['leafIndex', 'n', 'treeSize']);
  });

  it('the bytes of a generated proof stay as generated while later proofs are written', () => {
    const view = cachedView(5, 300);
    const first = generateProof(view, 7);
    const copy = first.bytes.slice();
    for (let i = 0; i < 2000; i++) generateProof(view, i % 300);
    expect(first.bytes).toEqual(copy);
    expect(verifyProof(testHasher, first, { root: view.root!, size: 300, n: 5 })).toBe(true);
  });
});

describe('JSON form', () => {
  it('round-trips exactly through JSON.stringify / JSON.parse', () => {
    fc.assert(
      fc.property(inclusionArb, consistencyArb, (ip, cp) => {
        const ij = inclusionProofToJSON(ip);
        const ijText = JSON.stringify(ij);
        expect(JSON.parse(ijText)).toEqual(ij);
        const ipBack = inclusionProofFromJSON(JSON.parse(ijText));
        expect(encodeInclusionProof(ipBack)).toEqual(ip.bytes);
        expect(JSON.stringify(inclusionProofToJSON(ipBack))).toBe(ijText);
        const cj = consistencyProofToJSON(cp);
        const cjText = JSON.stringify(cj);
        const cpBack = consistencyProofFromJSON(JSON.parse(cjText));
        expect(encodeConsistencyProof(cpBack)).toEqual(cp.bytes);
        expect(JSON.stringify(consistencyProofToJSON(cpBack))).toBe(cjText);
      }),
      { numRuns: 150 },
    );
  });

  it('nodes are lower-case hex', () => {
    const j = inclusionProofToJSON(generateProof(cachedView(4, 6), 2));
    expect(j.leaf).toBe('02' + '0'.repeat(62));
    expect(j.levels[0]!.siblings).toHaveLength(3);
  });

  it('rejects bad hex, wrong lengths, missing fields with INVALID_PROOF', () => {
    const ij = inclusionProofToJSON(generateProof(cachedView(3, 20), 7));
    const cj = consistencyProofToJSON(generateConsistencyProof(cachedView(3, 20), 7, testHasher));
    const code = expect.objectContaining({ code: 'INVALID_PROOF' });
    const badIncl: unknown[] = [
      null,
      [],
      'x',
      { ...ij, leaf: ij.leaf.slice(2) },
      { ...ij, leaf: 'zz' + ij.leaf.slice(2) },
      { ...ij, leaf: '0x' + ij.leaf.slice(2) },
      { ...ij, root: 5 },
      { ...ij, n: '3' },
      { ...ij, treeSize: -1 },
      { ...ij, leafIndex: 1e300 },
      { ...ij, levels: 'x' },
      { ...ij, levels: [null] },
      { ...ij, levels: [{ position: 0, siblings: ['00'] }] },
      { ...ij, levels: [{ position: 0 }] },
      { ...ij, levels: [{ position: 9, siblings: [] }] },
    ];
    for (const bad of badIncl) expect(() => inclusionProofFromJSON(bad)).toThrow(code);
    const badCons: unknown[] = [
      { ...cj, boundaryLeaf: undefined },
      { ...cj, oldRoot: cj.oldRoot + '00' },
      { ...cj, levels: [{ left: [], right: 'x' }] },
      { ...cj, levels: [{ left: [cj.oldRoot, cj.oldRoot, cj.oldRoot], right: [] }] },
    ];
    for (const bad of badCons) expect(() => consistencyProofFromJSON(bad)).toThrow(code);
    expect(inclusionProofFromJSON({ ...ij, leaf: ij.leaf.toUpperCase() }).leaf.slice()).toEqual(inclusionProofFromJSON(ij).leaf.slice());
  });

  it('fuzzed JSON: a proof or INVALID_PROOF, never another exception', () => {
    const ij = inclusionProofToJSON(generateProof(cachedView(3, 20), 7)) as unknown as Record<string, unknown>;
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(ij)), fc.jsonValue(), fc.anything(), (key, v, any) => {
        valueOrInvalidProof(() => inclusionProofFromJSON({ ...ij, [key]: v }));
        valueOrInvalidProof(() => inclusionProofFromJSON(any));
        valueOrInvalidProof(() => consistencyProofFromJSON(any));
      }),
      { numRuns: 400 },
    );
  });
});
