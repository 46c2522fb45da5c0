/** flattenLeaves: arrays of leaves of every shape (own arrays, views of shared buffers, runs) give their bytes in order. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { flattenLeaves } from '../src/bytes.js';
import { codeOf } from './support/outcomes.js';

/** Where a leaf's bytes live: its own array, or a view into one of two shared buffers at some slot. */
type Source = { kind: 'own' } | { kind: 'view'; buffer: 0 | 1; slot: number } | { kind: 'pooled' };

const sourceArb: fc.Arbitrary<Source> = fc.oneof(
  fc.constant({ kind: 'own' } as Source),
  fc.record({ kind: fc.constant('view' as const), buffer: fc.constantFrom(0 as const, 1 as const), slot: fc.integer({ min: 0, max: 40 }) }),
  fc.constant({ kind: 'pooled' } as Source),
);

describe('flattenLeaves', () => {
  it('copies any mix of own arrays, views (consecutive or not) and pooled Buffers, in order', () => {
    fc.assert(
      fc.property(fc.array(sourceArb, { minLength: 1, maxLength: 80 }), fc.boolean(), (sources, consecutive) => {
        const shared = [new Uint8Array(41 * 32 + 16), new Uint8Array(41 * 32 + 16)];
        shared.forEach((b, k) => b.forEach((_, i) => (b[i] = (i * 7 + k * 101) & 255)));
        let slot = 0;
        const leaves = sources.map((s, i) => {
          if (s.kind === 'own') return new Uint8Array(32).fill(i & 255);
          if (s.kind === 'pooled') return Buffer.alloc(32, (i * 3) & 255);
          const at = consecutive ? slot++ % 41 : s.slot;
          return shared[s.buffer]!.subarray(8 + at * 32, 8 + at * 32 + 32);
        });
        const expected = new Uint8Array(leaves.length * 32);
        leaves.forEach((l, i) => expected.set(l, i * 32));
        expect(flattenLeaves(leaves)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('copies a long run of views of one buffer, and refuses a bad leaf anywhere in it', () => {
    const flat = new Uint8Array(5000 * 32 + 32).map((_, i) => i & 255);
    const leaves = Array.from({ length: 5000 }, (_, i) => flat.subarray(32 + i * 32, 64 + i * 32));
    expect(flattenLeaves(leaves)).toEqual(flat.subarray(32));
    for (const bad of [new Uint8Array(31), flat.subarray(33, 65 + 1), 'x', undefined]) {
      const broken: Uint8Array[] = leaves.slice();
      broken[2500] = bad as Uint8Array;
      expect(codeOf(() => flattenLeaves(broken))).toBe('INVALID_NODE');
    }
    expect(codeOf(() => flattenLeaves([]))).toBe('EMPTY_BATCH');
  });
});
