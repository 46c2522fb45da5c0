import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bindPathWithGroups } from '@rotortree/core';
import { hasherFromKernel } from '../src/api.js';
import { referenceKernel } from '../src/reference.js';
import { loadNativeKernel, nativeSimdLevels } from '../src/native/loader.js';
import type { NativeBlake3Kernel } from '../src/native/loader.js';

const levels = nativeSimdLevels({ disabled: false });
const kernels: NativeBlake3Kernel[] = levels.map((simd) => loadNativeKernel({ simd, disabled: false })!);

function randomBytes(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function digestsOf(
  kernel: { hashMany: NativeBlake3Kernel['hashMany'] },
  input: Uint8Array,
  inOffset: number,
  msgLen: number,
  count: number,
  outOffset = 0,
): Uint8Array {
  const out = new Uint8Array(outOffset + 32 * count + 7).fill(0xa5);
  kernel.hashMany(input, inOffset, msgLen, count, out, outOffset);
  return out;
}

describe.skipIf(kernels.length === 0)('native BLAKE3 kernel', () => {
  it('hashes the empty message to the published BLAKE3 digest', () => {
    for (const k of kernels) {
      const out = new Uint8Array(32);
      k.hashMany(new Uint8Array(0), 0, 0, 1, out, 0);
      expect(Buffer.from(out).toString('hex')).toBe('af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
    }
  });

  describe.each(kernels.map((k) => [k.simd, k] as const))('at SIMD level %s', (_simd, kernel) => {
    it('equals the reference for node groups of width 1..16, batches 0..300, any offsets', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 16 }),
          fc.integer({ min: 0, max: 300 }),
          fc.integer({ min: 0, max: 70 }),
          fc.integer({ min: 0, max: 70 }),
          fc.integer(),
          (width, count, inOffset, outOffset, seed) => {
            const msgLen = 32 * width;
            const input = randomBytes(inOffset + msgLen * count + 5, seed);
            expect(digestsOf(kernel, input, inOffset, msgLen, count, outOffset)).toEqual(
              digestsOf(referenceKernel, input, inOffset, msgLen, count, outOffset),
            );
          },
        ),
        { numRuns: 40 },
      );
    });

    it('equals the reference at lengths around block and chunk boundaries, every remainder of lanes', () => {
      const shortLens = [0, 1, 31, 63, 64, 65, 127, 128, 129, 200, 511, 512, 513, 1000, 1023, 1024];
      for (const msgLen of shortLens) {
        for (let count = 0; count <= 35; count++) {
          const input = randomBytes(3 + msgLen * count, msgLen * 1000 + count);
          expect(digestsOf(kernel, input, 3, msgLen, count, 1)).toEqual(digestsOf(referenceKernel, input, 3, msgLen, count, 1));
        }
      }
      // Longer messages: chunks go through the lanes (16 full chunks fill the widest), parents are merged.
      const longLens = [1025, 2048, 2049, 3000, 4096, 8192, 8193, 16 * 1024 + 1, 17 * 1024, 40_000, 70_000];
      for (const msgLen of longLens) {
        for (const count of [1, 2, 3]) {
          const input = randomBytes(msgLen * count, msgLen + count);
          expect(digestsOf(kernel, input, 0, msgLen, count)).toEqual(digestsOf(referenceKernel, input, 0, msgLen, count));
        }
      }
    });

    it('equals the reference for random lengths and counts', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2200 }), fc.integer({ min: 0, max: 40 }), fc.integer(), (msgLen, count, seed) => {
          const input = randomBytes(msgLen * count, seed);
          expect(digestsOf(kernel, input, 0, msgLen, count)).toEqual(digestsOf(referenceKernel, input, 0, msgLen, count));
        }),
        { numRuns: 60 },
      );
    });

    it('writes exactly count digests and nothing around them', () => {
      const input = randomBytes(64 * 20, 7);
      const out = new Uint8Array(32 * 20 + 64).fill(0xee);
      kernel.hashMany(input, 0, 64, 19, out, 32);
      expect(out.subarray(0, 32).every((b) => b === 0xee)).toBe(true);
      expect(out.subarray(32 + 32 * 19).every((b) => b === 0xee)).toBe(true);
    });

    it('compacts a level in place (out = input, same offset) like an out-of-place call', () => {
      fc.assert(
        fc.property(fc.integer({ min: 2, max: 16 }), fc.integer({ min: 0, max: 100 }), fc.integer(), (width, count, seed) => {
          const buf = randomBytes(width * 32 * count + 16, seed);
          const expected = digestsOf(referenceKernel, buf, 16, width * 32, count).subarray(0, 32 * count);
          kernel.hashMany(buf, 16, width * 32, count, buf, 16);
          expect(buf.subarray(16, 16 + 32 * count)).toEqual(expected);
        }),
        { numRuns: 30 },
      );
    });

    it('hashPath equals the reference path kernel', () => {
      fc.assert(
        fc.property(
          fc.array(fc.oneof(fc.integer({ min: 0, max: 15 }), fc.constantFrom(0, 1, 31, 32, 33, 255)), { maxLength: 12 }),
          fc.integer({ min: 0, max: 40 }),
          fc.integer(),
          (countList, nodeOffset, seed) => {
            const counts = Uint8Array.from(countList);
            const levelsN = counts.length;
            const total = countList.reduce((a, b) => a + b, 0);
            const siblings = randomBytes(total * 32, seed);
            const node = randomBytes(nodeOffset + 32, seed ^ 0x5555);
            const got = new Uint8Array(levelsN * 32);
            const want = new Uint8Array(levelsN * 32);
            kernel.hashPath(node, nodeOffset, siblings, counts, levelsN, got);
            referenceKernel.hashPath(node, nodeOffset, siblings, counts, levelsN, want);
            expect(got).toEqual(want);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('bindPath equals the reference bound kernel, across group changes that its cache must notice', () => {
      const reference = hasherFromKernel(referenceKernel);
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 0, max: 6 }),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 9 })), { minLength: 1, maxLength: 40 }),
          fc.integer(),
          (width, maxLevels, steps, seed) => {
            const bytes = (maxLevels + 1) * width * 32;
            const groups = randomBytes(bytes, seed);
            const want = groups.slice();
            const digits = new Int32Array(maxLevels + 1);
            const run = kernel.bindPath(groups, width, digits, maxLevels);
            const ref = bindPathWithGroups(reference, want, width, digits, maxLevels);
            let counter = 0;
            steps.forEach(([r, kind], i) => {
              if (kind === 0) {
                // The caller rewrites a sibling (as a refill after a batch would): the cache must not be trusted.
                const at = r % bytes;
                groups[at] = want[at] = (groups[at]! + 1) & 255;
                return;
              }
              // Mostly a counter, as a tree's appends are (cache hits); sometimes any digits.
              counter = kind <= 6 ? counter + 1 : r;
              let x = counter;
              for (let k = 0; k <= maxLevels; k++) {
                digits[k] = x % width;
                x = Math.floor(x / width);
              }
              const levels = r % (maxLevels + 1);
              const leaf = randomBytes(32, seed + i);
              groups.set(leaf, digits[0]! * 32);
              want.set(leaf, digits[0]! * 32);
              run(levels);
              ref(levels);
              expect(groups).toEqual(want);
            });
          },
        ),
        { numRuns: 80 },
      );
    });

    it('hashPath reads the node before overwriting it when node and out share memory', () => {
      const siblings = randomBytes(4 * 32, 11);
      const counts = Uint8Array.of(3, 0, 1);
      const shared = randomBytes(3 * 32, 12);
      const want = new Uint8Array(3 * 32);
      referenceKernel.hashPath(shared.slice(), 0, siblings, counts, 3, want);
      kernel.hashPath(shared, 0, siblings, counts, 3, shared);
      expect(shared).toEqual(want);
    });
  });

  it('every SIMD level gives identical bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 50 }), fc.integer(), (msgLen, count, seed) => {
        const input = randomBytes(msgLen * count, seed);
        const outs = kernels.map((k) => digestsOf(k, input, 0, msgLen, count));
        for (const o of outs) expect(o).toEqual(outs[0]);
      }),
      { numRuns: 40 },
    );
  });
});
