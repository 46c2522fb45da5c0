import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { referenceKernel } from '../src/reference.js';
import { loadWasmKernel } from '../src/wasm/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

function expectPathLikeReference(node: Uint8Array, nodeOffset: number, countsArr: number[], seed: number): void {
  const counts = Uint8Array.from(countsArr);
  const total = countsArr.reduce((a, b) => a + b, 0);
  const siblings = new Uint8Array(total * 32).map((_, i) => (i * 131 + seed) & 255);
  const levels = counts.length;
  const got = new Uint8Array(levels * 32 + 32).fill(0xa5);
  const want = got.slice();
  loadWasmKernel().hashPath(node, nodeOffset, siblings, counts, levels, got);
  referenceKernel.hashPath(node, nodeOffset, siblings, counts, levels, want);
  expect(hex(got)).toBe(hex(want));
}

describe('wasm BLAKE3 kernel: hashPath', () => {
  it('equals the reference on random paths of tree widths up to 16', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 0, maxLength: 24 }),
        fc.uint8Array({ minLength: 32, maxLength: 72 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 255 }),
        (counts, nodeBytes, offsetWish, seed) => {
          const nodeOffset = Math.min(offsetWish, nodeBytes.length - 32);
          expectPathLikeReference(nodeBytes, nodeOffset, counts, seed);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('equals the reference with up to 255 siblings per level (multi-chunk parents)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (counts, node) => {
        expectPathLikeReference(node, 0, counts, counts.length);
      }),
      { numRuns: 40 },
    );
    expectPathLikeReference(new Uint8Array(32).fill(7), 0, [31, 32, 33, 255, 0, 1], 3);
  });

  it('rejects a node, counts, siblings or out that do not fit', () => {
    const k = loadWasmKernel();
    const node = new Uint8Array(32);
    const out = new Uint8Array(64);
    expect(() => k.hashPath(node, 1, new Uint8Array(64), Uint8Array.of(1, 1), 2, out)).toThrow(RangeError);
    expect(() => k.hashPath(node, 0, new Uint8Array(63), Uint8Array.of(1, 1), 2, out)).toThrow(RangeError);
    expect(() => k.hashPath(node, 0, new Uint8Array(64), Uint8Array.of(1), 2, out)).toThrow(RangeError);
    expect(() => k.hashPath(node, 0, new Uint8Array(64), Uint8Array.of(1, 1), 3, out)).toThrow(RangeError);
  });
});
