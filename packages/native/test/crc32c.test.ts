/**
 * The addon's CRC-32C kernels (the fastest this CPU has, and the portable table) against core's JS
 * definition on random inputs and ranges (long enough for the 3-way and the carry-less-multiply
 * folding paths), their argument checks, and `bestCrc32c` with and without the addon.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { crc32c as crc32cJs } from '@rotortree/core/fs';
import { nativeAddon } from '../src/addon.js';
import { bestCrc32c, crc32cKernel } from '../src/crc32c.js';
import { bytes } from './support.js';

const addon = nativeAddon();
const CHECK = new TextEncoder().encode('123456789');

describe('the addon', () => {
  it('loads here (prebuilt or compiled): the rest of this file tests it', () => {
    expect(addon).toBeDefined();
    expect(['vpclmulqdq', 'sse4.2', 'table']).toContain(crc32cKernel());
  });
});

describe.skipIf(addon === undefined)('native CRC-32C', () => {
  const kernels = addon!;
  const both = [
    ['best', (b: Uint8Array, s: number, e: number, c: number) => kernels.crc32c(b, s, e, c)],
    ['table', (b: Uint8Array, s: number, e: number, c: number) => kernels.crc32cTable(b, s, e, c)],
  ] as const;

  it.each(both)('%s kernel gives the standard check value', (_name, crc) => {
    expect(crc(CHECK, 0, CHECK.length, 0)).toBe(0xe3069283);
    expect(crc(new Uint8Array(32), 0, 32, 0)).toBe(0x8a9136aa);
    expect(crc(new Uint8Array(0), 0, 0, 0)).toBe(0);
  });

  it.each(both)('%s kernel equals the JS CRC on any bytes, range and start value', (_name, crc) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), fc.nat(), fc.nat({ max: 0xffffffff }), (b, x, y, c) => {
        const start = x % (b.length + 1);
        const end = start + (y % (b.length - start + 1));
        expect(crc(b, start, end, c)).toBe(crc32cJs(b, start, end, c));
      }),
    );
  });

  it.each(both)('%s kernel equals the JS CRC on long inputs (3-way blocks, odd alignments)', (_name, crc) => {
    const big = bytes(3 * 8192 * 2 + 3 * 256 + 77, 7);
    for (const [start, end] of [
      [0, big.length],
      [1, big.length - 3],
      [5, 3 * 8192 + 5],
      [3, 3 * 8192 + 2],
      [7, 3 * 256 + 7 + 13],
      [0, 3 * 8192 * 2 + 3 * 256],
    ] as const) {
      expect(crc(big, start, end, 0x12345678)).toBe(crc32cJs(big, start, end, 0x12345678));
    }
  });

  it.each(both)('%s kernel equals the JS CRC around the folding sizes (1 KiB up, 256-byte steps, tails)', (_name, crc) => {
    const big = bytes((1 << 20) + 600, 11);
    const lengths = [1023, 1024, 1025, 1279, 1280, 1281, 1536 + 255, 4096, 65_536 + 17, 1 << 20];
    for (const len of lengths) {
      for (const start of [0, 1, 3, 8, 255]) {
        expect(crc(big, start, start + len, 0)).toBe(crc32cJs(big, start, start + len, 0));
        expect(crc(big, start, start + len, 0xdeadbeef)).toBe(crc32cJs(big, start, start + len, 0xdeadbeef));
      }
    }
    // Continuing over adjacent ranges gives the CRC of the whole.
    const whole = crc(big, 0, big.length, 0);
    expect(crc(big, 700_001, big.length, crc(big, 0, 700_001, 0))).toBe(whole);
  });

  it('checks its arguments before reading a byte', () => {
    const b = new Uint8Array(10);
    expect(() => kernels.crc32c(b, 0, 11, 0)).toThrow(RangeError);
    expect(() => kernels.crc32c(b, 6, 5, 0)).toThrow(RangeError);
    expect(() => kernels.crc32c(b, 0.5, 5, 0)).toThrow(RangeError);
    expect(() => kernels.crc32c(b, 0, 5, 2 ** 32)).toThrow(RangeError);
    expect(() => kernels.crc32c(new Uint16Array(4) as unknown as Uint8Array, 0, 1, 0)).toThrow(TypeError);
    expect(() => (kernels.crc32c as unknown as (b: Uint8Array) => number)(b)).toThrow(TypeError);
  });
});

describe('bestCrc32c', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('equals the JS CRC below and above the native threshold, with default and given ranges', () => {
    const crc = bestCrc32c();
    const big = bytes(5000, 5);
    for (const len of [0, 1, 127, 128, 129, 5000]) expect(crc(big, 0, len)).toBe(crc32cJs(big, 0, len));
    expect(crc(big)).toBe(crc32cJs(big));
    expect(crc(big, 17, 4000, 99)).toBe(crc32cJs(big, 17, 4000, 99));
  });

  it('is the JS CRC with ROTORTREE_DISABLE_NATIVE=1, and crc32cKernel says so', () => {
    vi.stubEnv('ROTORTREE_DISABLE_NATIVE', '1');
    expect(bestCrc32c()).toBe(crc32cJs);
    expect(crc32cKernel()).toBe('js');
  });
});
