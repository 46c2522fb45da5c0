// The incremental reference model agrees with the definition (naiveRoot) for every size, in any
// order of queries (the cache of complete subtrees must never leak into a smaller or larger tree).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blake3 } from '@rotortree/hasher-blake3';
import { leafAt, naiveRoot, ReferenceRoots } from '../src/workload.js';

const hasher = blake3({ backend: 'js' });
const naive = (size: number, n: number) => naiveRoot(hasher, Array.from({ length: size }, (_, i) => leafAt(i)), n);

describe('ReferenceRoots (incremental) = naiveRoot', () => {
  it('every size up to 70, growing and shrinking, n in 2, 3, 4, 16', () => {
    for (const n of [2, 3, 4, 16]) {
      const ref = new ReferenceRoots(hasher, n);
      for (let size = 0; size <= 70; size++) expect(ref.root(size), `n=${n} size=${size}`).toEqual(naive(size, n));
      for (let size = 70; size >= 0; size -= 3) expect(ref.root(size), `n=${n} size=${size} (again)`).toEqual(naive(size, n));
    }
  });

  it('any order of sizes (fast-check)', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3, 4, 5, 16), fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 6 }), (n, sizes) => {
        const ref = new ReferenceRoots(hasher, n);
        for (const size of sizes) expect(ref.root(size)).toEqual(naive(size, n));
      }),
      { numRuns: 60 },
    );
  });
});
