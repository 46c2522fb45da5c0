/** The path shapes of proofs (proof/shape.ts) against a BigInt model, on both sides of 2^31 and for every kind of n. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { consistencyPath, inclusionPath } from '../src/proof/shape.js';

/** Positions and sibling counts of the path of `index` in a tree of `size` leaves, in exact BigInt arithmetic. */
function model(n: number, index: number, size: number): { positions: number[]; counts: number[] } {
  const N = BigInt(n);
  const positions: number[] = [];
  const counts: number[] = [];
  for (let idx = BigInt(index), len = BigInt(size); len > 1n; idx /= N, len = (len + N - 1n) / N) {
    const position = idx % N;
    const start = idx - position;
    const end = start + N < len ? start + N : len;
    positions.push(Number(position));
    counts.push(Number(end - start - 1n));
  }
  return { positions, counts };
}

describe('inclusionPath', () => {
  it('equals the BigInt model for any n and any size up to 2^53 - 1', () => {
    const sizeArb = fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 2 ** 31 - 3, max: 2 ** 31 + 3 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(2, 4, 8, 16, 128, 256), fc.integer({ min: 2, max: 256 })), sizeArb, fc.double({ min: 0, max: 1, noNaN: true }), (n, size, f) => {
        const index = Math.min(size - 1, Math.floor(f * size));
        const positions = new Uint8Array(64 + 3);
        const counts = new Uint8Array(64 + 3);
        const levels = inclusionPath(n, index, size, positions, counts, 3);
        const want = model(n, index, size);
        expect(levels).toBe(want.positions.length);
        expect([...positions.subarray(3, 3 + levels)]).toEqual(want.positions);
        expect([...counts.subarray(3, 3 + levels)]).toEqual(want.counts);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('consistencyPath', () => {
  it('gives the boundary node\'s left members and the new tree\'s right ones', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 20 }), fc.integer({ min: 1, max: 3000 }), fc.nat(), (n, newSize, r) => {
        const oldSize = 1 + (r % newSize);
        const left = new Uint8Array(64);
        const right = new Uint8Array(64);
        const levels = consistencyPath(n, oldSize, newSize, left, right);
        const want = model(n, oldSize - 1, newSize);
        expect(levels).toBe(want.positions.length);
        expect([...left.subarray(0, levels)]).toEqual(want.positions);
        expect([...right.subarray(0, levels)]).toEqual(want.counts.map((c, k) => c - want.positions[k]!));
      }),
      { numRuns: 500 },
    );
  });
});
