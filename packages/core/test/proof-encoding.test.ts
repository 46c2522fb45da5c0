import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  PROOF_FORMAT_VERSION,
  consistencyProofFromJSON,
  consistencyProofToJSON,
  decodeConsistencyProof,
  decodeInclusionProof,
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

describe('binary encoding', () => {
  it('round-trips exactly (proof -> bytes -> proof -> same bytes)', () => {
    fc.assert(
      fc.property(inclusionArb, consistencyArb, (ip, cp) => {
        const ib = encodeInclusionProof(ip);
        expect(ib[0]).toBe(PROOF_FORMAT_VERSION);
        const id = decodeInclusionProof(ib);
        expect(id).toEqual(ip);
        expect(encodeInclusionProof(id)).toEqual(ib);
        expect(verifyProof(testHasher, id)).toBe(true);
        const cb = encodeConsistencyProof(cp);
        const cd = decodeConsistencyProof(cb);
        expect(cd).toEqual(cp);
        expect(encodeConsistencyProof(cd)).toEqual(cb);
        expect(verifyConsistencyProof(testHasher, cd)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is compact: header, varints, then 32 bytes per node and 2 per level', () => {
    const p = generateProof(cachedView(4, 6), 2); // siblings 3 + 1, treeSize and index fit 1 byte each
    expect(encodeInclusionProof(p).length).toBe(3 + 1 + 1 + 64 + 1 + 2 * 2 + 4 * 32);
    const big: InclusionProof = { ...generateProof(cachedView(2, 1), 0), treeSize: 2 ** 53 - 1, leafIndex: 300 };
    const bytes = encodeInclusionProof(big);
    expect(bytes.length).toBe(3 + 8 + 2 + 64 + 1);
    expect(decodeInclusionProof(bytes)).toEqual(big);
  });

  it('rejects every truncation, trailing bytes, another version or kind', () => {
    const ip = generateProof(cachedView(3, 50), 31);
    const cp = generateConsistencyProof(cachedView(3, 50), 17, testHasher);
    const code = expect.objectContaining({ code: 'INVALID_PROOF' });
    for (const [bytes, decode] of [
      [encodeInclusionProof(ip), decodeInclusionProof],
      [encodeConsistencyProof(cp), decodeConsistencyProof],
    ] as const) {
      for (let len = 0; len < bytes.length; len++) expect(() => decode(bytes.subarray(0, len))).toThrow(code);
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      expect(() => decode(longer)).toThrow(code);
      const otherVersion = bytes.slice();
      otherVersion[0] = 2;
      expect(() => decode(otherVersion)).toThrow(code);
    }
    expect(() => decodeConsistencyProof(encodeInclusionProof(ip))).toThrow(code);
    expect(() => decodeInclusionProof(encodeConsistencyProof(cp))).toThrow(code);
    expect(() => decodeInclusionProof('01' as never)).toThrow(code);
    expect(() => decodeInclusionProof(null as never)).toThrow(code);
  });

  it('rejects non-canonical and oversized varints', () => {
    const p = generateProof(cachedView(2, 1), 0);
    const bytes = encodeInclusionProof(p); // [1, 1, 1, treeSize=1, index=0, ...]
    const code = expect.objectContaining({ code: 'INVALID_PROOF' });
    const withSize = (sizeBytes: number[]) => Uint8Array.from([...bytes.subarray(0, 3), ...sizeBytes, ...bytes.subarray(4)]);
    expect(decodeInclusionProof(withSize([1]))).toEqual(p);
    expect(() => decodeInclusionProof(withSize([0x81, 0x00]))).toThrow(code); // 1, overlong
    expect(() => decodeInclusionProof(withSize([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toThrow(code); // 2^56-1
    expect(() => decodeInclusionProof(withSize([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))).toThrow(code);
    expect(decodeInclusionProof(withSize([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])).treeSize).toBe(2 ** 53 - 1);
  });

  it('a flipped byte never decodes to a proof that verifies against the original bindings', () => {
    fc.assert(
      fc.property(inclusionArb, consistencyArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (ip, cp, at, xor) => {
        const ib = encodeInclusionProof(ip);
        ib[at % ib.length]! ^= xor;
        const id = valueOrInvalidProof(() => decodeInclusionProof(ib));
        if (id !== 'INVALID_PROOF') expect(inclusionBound(ip, id)).not.toBe(true);
        const cb = encodeConsistencyProof(cp);
        cb[at % cb.length]! ^= xor;
        const cd = valueOrInvalidProof(() => decodeConsistencyProof(cb));
        if (cd !== 'INVALID_PROOF') expect(consistencyBound(cp, cd)).not.toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('random bytes: INVALID_PROOF or a proof the verifiers handle', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, withHeader) => {
        if (withHeader && bytes.length >= 2) bytes.set([1, 1 + (bytes[1]! & 1)], 0);
        const i = valueOrInvalidProof(() => decodeInclusionProof(bytes));
        if (i !== 'INVALID_PROOF') expect(typeof valueOrInvalidProof(() => verifyProof(testHasher, i))).not.toBe('number');
        const c = valueOrInvalidProof(() => decodeConsistencyProof(bytes));
        if (c !== 'INVALID_PROOF') expect(typeof valueOrInvalidProof(() => verifyConsistencyProof(testHasher, c))).not.toBe('number');
      }),
      { numRuns: 500 },
    );
  });

  it('encoders reject malformed proofs with INVALID_PROOF', () => {
    const p = generateProof(cachedView(3, 10), 4);
    const code = expect.objectContaining({ code: 'INVALID_PROOF' });
    expect(() => encodeInclusionProof({ ...p, treeSize: -1 })).toThrow(code);
    expect(() => encodeInclusionProof({ ...p, levels: [{ position: 3, siblings: [] }] })).toThrow(code);
    expect(() => encodeConsistencyProof({} as never)).toThrow(code);
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
        expect(ipBack).toEqual(ip);
        expect(JSON.stringify(inclusionProofToJSON(ipBack))).toBe(ijText);
        const cj = consistencyProofToJSON(cp);
        const cjText = JSON.stringify(cj);
        const cpBack = consistencyProofFromJSON(JSON.parse(cjText));
        expect(cpBack).toEqual(cp);
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
    expect(inclusionProofFromJSON({ ...ij, leaf: ij.leaf.toUpperCase() }).leaf).toEqual(inclusionProofFromJSON(ij).leaf);
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
