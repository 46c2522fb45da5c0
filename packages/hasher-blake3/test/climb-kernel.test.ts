/**
 * The climb kernels of proof verification (Hasher.bindClimb): native at every SIMD level and WASM,
 * against core's reference climb over hashGroup, for random paths and batches; their argument checks.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CLIMB_STRIDE, LeanIMT, bindClimbWithGroups, verifyProof, verifyProofs } from '@rotortree/core';
import type { BoundClimbKernel, ClimbPaths, Hasher } from '@rotortree/core';
import { hasherFromKernel } from '../src/api.js';
import { referenceKernel } from '../src/reference.js';
import { loadNativeKernel, nativeSimdLevels } from '../src/native/loader.js';
import { createWasmKernel } from '../src/wasm/index.js';

const reference = hasherFromKernel(referenceKernel);
const kernels: [string, Hasher][] = [
  ...nativeSimdLevels({ disabled: false }).map((simd): [string, Hasher] => [`native ${simd}`, hasherFromKernel(loadNativeKernel({ simd, disabled: false })!)]),
  ['wasm', hasherFromKernel(createWasmKernel())],
];

function paths(capacity: number): ClimbPaths {
  return {
    offsets: new Float64Array(capacity),
    levels: new Uint8Array(capacity),
    positions: new Uint8Array(capacity * CLIMB_STRIDE),
    counts: new Uint8Array(capacity * CLIMB_STRIDE),
    out: new Uint8Array(capacity * 32),
  };
}

/** One random path: its level count, and per level a sibling count (< n) and a position (<= count). */
const pathArb = (n: number) =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.nat()), { maxLength: 12 }).map((levels) => levels.map(([count, p]) => ({ count, position: p % (count + 1) })));

describe.each(kernels)('the %s climb kernel', (_name, hasher) => {
  it('equals the reference climb, one path or a batch, any n, any offsets', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer(), (n, count, seed) => {
        fc.assert(
          fc.property(fc.array(pathArb(n), { minLength: count, maxLength: count }), (shapes) => {
            const mine = paths(count);
            const theirs = paths(count);
            let at = seed & 7;
            for (const [i, shape] of shapes.entries()) {
              for (const p of [mine, theirs]) {
                p.offsets[i] = at;
                p.levels[i] = shape.length;
                shape.forEach((l, k) => {
                  p.positions[i * CLIMB_STRIDE + k] = l.position;
                  p.counts[i * CLIMB_STRIDE + k] = l.count;
                });
              }
              at += 32 * (1 + shape.reduce((s, l) => s + l.count, 0)) + ((seed >>> i) & 3);
            }
            const input = new Uint8Array(at + 5).map((_, j) => (j * 131 + seed) & 255);
            hasher.bindClimb!(mine)(input, count);
            bindClimbWithGroups(reference, theirs)(input, count);
            expect(mine.out).toEqual(theirs.out);
          }),
          { numRuns: 3 },
        );
      }),
      { numRuns: 40 },
    );
  });

  it('checks every path before climbing: RangeError for a path past the input, a position past its count, a count past the bound paths', () => {
    const p = paths(2);
    const climb: BoundClimbKernel = hasher.bindClimb!(p);
    p.levels[0] = 1;
    p.counts[0] = 3;
    p.positions[0] = 1;
    expect(() => climb(new Uint8Array(4 * 32), 1)).not.toThrow();
    expect(() => climb(new Uint8Array(4 * 32 - 1), 1)).toThrow(RangeError);
    p.offsets[0] = 1;
    expect(() => climb(new Uint8Array(4 * 32), 1)).toThrow(RangeError);
    p.offsets[0] = 0.5;
    expect(() => climb(new Uint8Array(4 * 32 + 8), 1)).toThrow(RangeError);
    p.offsets[0] = 0;
    p.positions[0] = 4;
    expect(() => climb(new Uint8Array(4 * 32), 1)).toThrow(RangeError);
    p.positions[0] = 0;
    expect(() => climb(new Uint8Array(4 * 32), 3)).toThrow(RangeError);
    p.levels[0] = CLIMB_STRIDE + 1;
    expect(() => climb(new Uint8Array(4 * 32), 1)).toThrow(RangeError);
    expect(() => hasher.bindClimb!({ ...p, out: new Uint8Array(32) })).toThrow(RangeError);
  });

  it('verifies real proofs, alone and in batches, and refuses a changed one', () => {
    const tree = new LeanIMT({ hasher, n: 5, maxDepth: 10 });
    tree.insertMany(new Uint8Array(3001 * 32).map((_, i) => (i * 7) & 255));
    const snap = tree.snapshot();
    const trusted = { root: snap.root!, size: snap.size, n: 5 };
    const indices = Array.from({ length: 700 }, (_, i) => (i * 37) % snap.size);
    const batch = snap.generateProofs(indices);
    batch.bytes[batch.proof(3).bytes.byteOffset + 200]! ^= 1;
    expect(verifyProofs(hasher, batch, trusted)).toEqual(indices.map((_, i) => i !== 3));
    expect(verifyProof(hasher, snap.generateProof(3000), trusted)).toBe(true);
    expect(verifyProof(hasher, batch.proof(3), trusted)).toBe(false);
  });
});

describe.skipIf(nativeSimdLevels({ disabled: false }).length === 0)('the native climb kernel and detached buffers', () => {
  it('throws once a bound array was detached, instead of reading freed memory', () => {
    const hasher = hasherFromKernel(loadNativeKernel({ disabled: false })!);
    const p = paths(1);
    const climb = hasher.bindClimb!(p);
    structuredClone(p.out.buffer, { transfer: [p.out.buffer as ArrayBuffer] });
    expect(() => climb(new Uint8Array(32), 1)).toThrow();
  });
});
