import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { referenceKernel } from '../src/reference.js';
import { createWasmKernel, loadWasmKernel } from '../src/wasm/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const SENTINEL = 0xa5;

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

/**
 * Hashes with the wasm kernel into a sentinel-filled buffer and checks every digest against the
 * reference and that no byte outside the digests was written.
 */
function expectSameAsReference(input: Uint8Array, inOffset: number, msgLen: number, count: number, outOffset: number, slack = 40): void {
  const kernel = loadWasmKernel();
  const got = new Uint8Array(outOffset + 32 * count + slack).fill(SENTINEL);
  const want = got.slice();
  kernel.hashMany(input, inOffset, msgLen, count, got, outOffset);
  referenceKernel.hashMany(input, inOffset, msgLen, count, want, outOffset);
  expect(hex(got)).toBe(hex(want));
}

// Official vectors (BLAKE3-team/BLAKE3 test_vectors/test_vectors.json, "hash", first 32 bytes);
// input byte i is i % 251.
const OFFICIAL: ReadonlyArray<readonly [number, string]> = [
  [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'],
  [1, '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213'],
  [1023, '10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11'],
  [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7'],
  [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444'],
  [2048, 'e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a'],
  [3073, '7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3'],
  [7169, 'a003fc7a51754a9b3c7fae0367ab3d782dccf28855a03d435f8cfe74605e7817'],
  [8192, 'aae792484c8efe4f19e2ca7d371d8c467ffb10748d8a5a1ae579948f718a2a63'],
  [31744, '62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47'],
  [102400, 'bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085'],
];

describe('wasm BLAKE3 kernel: hashMany', () => {
  it('loads once, reports backend "wasm"', () => {
    expect(loadWasmKernel()).toBe(loadWasmKernel());
    expect(loadWasmKernel().backend).toBe('wasm');
  });

  it('matches the official test vectors, alone (scalar path) and in every SIMD lane', () => {
    const kernel = loadWasmKernel();
    for (const [len, want] of OFFICIAL) {
      const msg = Uint8Array.from({ length: len }, (_, i) => i % 251);
      for (const count of [1, 2, 3, 4, 5]) {
        const input = new Uint8Array(len * count);
        for (let c = 0; c < count; c++) input.set(msg, c * len);
        const out = new Uint8Array(32 * count);
        kernel.hashMany(input, 0, len, count, out, 0);
        for (let c = 0; c < count; c++) expect(`${len}/${count}/${c}:${hex(out.subarray(32 * c, 32 * c + 32))}`).toBe(`${len}/${count}/${c}:${want}`);
      }
    }
  });

  it('equals the reference for every group width 1..16 and every batch size 0..300', () => {
    const kernel = loadWasmKernel();
    for (let width = 1; width <= 16; width++) {
      const msgLen = 32 * width;
      const input = bytes(300 * msgLen, width);
      const want = new Uint8Array(300 * 32);
      referenceKernel.hashMany(input, 0, msgLen, 300, want, 0);
      const got = new Uint8Array(300 * 32 + 32);
      for (let count = 0; count <= 300; count++) {
        got.fill(SENTINEL);
        kernel.hashMany(input, 0, msgLen, count, got, 0);
        const ok = hex(got.subarray(0, 32 * count)) === hex(want.subarray(0, 32 * count)) && got.subarray(32 * count).every((b) => b === SENTINEL);
        if (!ok) expect({ width, count }).toBe('digests equal to the reference, nothing written past them');
      }
    }
  });

  it('equals the reference across block and chunk boundaries, with offsets', () => {
    const lengths = [0, 1, 31, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025, 2047, 2048, 2049, 3000, 4096, 5121, 8192];
    for (const msgLen of lengths) {
      for (const count of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
        const inOffset = (msgLen + count) % 37;
        expectSameAsReference(bytes(inOffset + msgLen * count + 20, msgLen * 31 + count), inOffset, msgLen, count, (count * 7) % 29);
      }
    }
  });

  it('equals the reference on random lengths, counts and offsets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2200 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (msgLen, count, inOffset, outOffset, seed) => {
          expectSameAsReference(bytes(inOffset + msgLen * count + 3, seed), inOffset, msgLen, count, outOffset);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads and writes views with a nonzero byteOffset, alternating between several buffers', () => {
    const kernel = loadWasmKernel();
    const backing = [bytes(4096, 11), bytes(4096, 12), bytes(4096, 13)];
    const outs = [new Uint8Array(600), new Uint8Array(600), new Uint8Array(600)];
    for (let round = 0; round < 30; round++) {
      const src = backing[round % 3]!.subarray(round + 1, 4000);
      const dst = outs[(round * 2) % 3]!.subarray(round % 7 + 1, 500);
      for (const [msgLen, count] of [[1, 1], [31, 1], [64, 1], [64, 2], [65, 1], [128, 3], [33, 5]] as const) {
        const inOffset = round % 5;
        const outOffset = round % 9;
        kernel.hashMany(src, inOffset, msgLen, count, dst, outOffset);
        const want = new Uint8Array(32 * count);
        referenceKernel.hashMany(src, inOffset, msgLen, count, want, 0);
        expect(hex(dst.subarray(outOffset, outOffset + 32 * count))).toBe(hex(want));
      }
    }
  });

  it('splits batches larger than one WASM call and grows memory for huge messages', () => {
    expectSameAsReference(bytes(20001 * 64 + 5, 7), 5, 64, 20001, 3);
    expectSameAsReference(bytes(5 * 300_001, 9), 0, 300_001, 5, 0);
    expectSameAsReference(new Uint8Array(0), 0, 0, 40_000, 1);
  });

  it('instances are independent and survive memory growth between calls', () => {
    const a = createWasmKernel();
    const b = createWasmKernel();
    const small = bytes(64 * 4, 1);
    const big = bytes(2_000_000, 2);
    const outA = new Uint8Array(32 * 4);
    const outB = new Uint8Array(32);
    a.hashMany(small, 0, 64, 4, outA, 0);
    b.hashMany(big, 0, big.length, 1, outB, 0);
    const again = new Uint8Array(32 * 4);
    b.hashMany(small, 0, 64, 4, again, 0);
    expect(hex(again)).toBe(hex(outA));
    const want = new Uint8Array(32);
    referenceKernel.hashMany(big, 0, big.length, 1, want, 0);
    expect(hex(outB)).toBe(hex(want));
  });

  it('rejects spans that do not fit, and bad counts, without writing', () => {
    const kernel = loadWasmKernel();
    const out = new Uint8Array(64).fill(SENTINEL);
    expect(() => kernel.hashMany(new Uint8Array(127), 0, 64, 2, out, 0)).toThrow(RangeError);
    expect(() => kernel.hashMany(new Uint8Array(128), 1, 64, 2, out, 0)).toThrow(RangeError);
    expect(() => kernel.hashMany(new Uint8Array(128), 0, 64, 2, out, 1)).toThrow(RangeError);
    expect(() => kernel.hashMany(new Uint8Array(128), 0, 64, -1, out, 0)).toThrow(RangeError);
    expect(() => kernel.hashMany(new Uint8Array(128), 0, 1.5, 2, out, 0)).toThrow(RangeError);
    expect(() => kernel.hashMany(new Uint8Array(128), -1, 64, 1, out, 0)).toThrow(RangeError);
    expect(out.every((b) => b === SENTINEL)).toBe(true);
  });
});
