/** The file header round-trips, and any damage to it is seen. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeHeader, encodeHeader, headerLength } from '../src/format.js';

describe('WAL file header', () => {
  it('is 34 + L bytes and round-trips', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 2, max: 1 << 16 }),
        fc.nat({ max: 64 }),
        fc.nat(),
        (id, n, maxDepth, baseSeq) => {
          const bytes = encodeHeader({ n, maxDepth, hasherId: id, baseSeq });
          expect(bytes.length).toBe(headerLength(new TextEncoder().encode(id).length));
          expect(decodeHeader(bytes)).toEqual({ header: { version: 1, n, maxDepth, hasherId: id, baseSeq }, length: bytes.length });
        },
      ),
    );
  });

  it('reports any flipped bit', () => {
    const bytes = encodeHeader({ n: 4, maxDepth: 16, hasherId: 'abc', baseSeq: 9 });
    for (let at = 0; at < bytes.length; at++) {
      if (at >= 8 && at < 12) continue; // the version field: a different problem
      const bad = bytes.slice();
      bad[at]! ^= 0x10;
      expect('problem' in decodeHeader(bad)).toBe(true);
    }
  });
});
