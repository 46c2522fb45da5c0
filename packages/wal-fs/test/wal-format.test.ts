/** The file header round-trips, and any damage to it is seen. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeHeader, decodeMark, encodeHeader, encodeMark, headerLength } from '../src/format.js';

const treeIdArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));

describe('WAL file header', () => {
  it('is 52 + L bytes rounded up to 8 plus the 64-byte mark slot, and round-trips with the tree id', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 2, max: 1 << 16 }),
        fc.nat({ max: 64 }),
        fc.nat(),
        treeIdArb,
        (id, n, maxDepth, baseSeq, treeId) => {
          const bytes = encodeHeader({ n, maxDepth, hasherId: id, baseSeq, treeId });
          const idLength = new TextEncoder().encode(id).length;
          expect(bytes.length).toBe(headerLength(idLength));
          expect(bytes.length % 8).toBe(0);
          expect(bytes.length).toBeGreaterThanOrEqual(52 + idLength + 64);
          expect(decodeHeader(bytes)).toEqual({ header: { version: 2, n, maxDepth, hasherId: id, baseSeq, treeId }, length: bytes.length });
        },
      ),
    );
  });

  it('reports any flipped bit of the checksummed part (the mark slot after it has a CRC of its own)', () => {
    const bytes = encodeHeader({ n: 4, maxDepth: 16, hasherId: 'abc', baseSeq: 9, treeId: '0f'.repeat(16) });
    for (let at = 0; at < bytes.length - 64; at++) {
      if (at >= 8 && at < 12) continue; // the version field: a different problem
      const bad = bytes.slice();
      bad[at]! ^= 0x10;
      expect('problem' in decodeHeader(bad)).toBe(true);
    }
  });

  it('a mark round-trips through the slot; an empty or damaged slot holds none', () => {
    const slot = new Uint8Array(64);
    expect(decodeMark(slot)).toBeUndefined();
    const root = new Uint8Array(32).fill(7);
    encodeMark(slot, { seq: 2 ** 40 + 3, size: 123456789, root });
    expect(decodeMark(slot)).toEqual({ seq: 2 ** 40 + 3, size: 123456789, root });
    for (let at = 0; at < 60; at++) {
      const bad = slot.slice();
      bad[at]! ^= 0x04;
      expect(decodeMark(bad)).toBeUndefined();
    }
  });

  it('reports a version-1 header (no tree id) as another version', () => {
    const bytes = encodeHeader({ n: 4, maxDepth: 16, hasherId: 'abc', baseSeq: 9, treeId: '0f'.repeat(16) });
    bytes[8] = 1;
    expect(decodeHeader(bytes)).toEqual({ problem: 'badVersion', version: 1 });
  });
});
