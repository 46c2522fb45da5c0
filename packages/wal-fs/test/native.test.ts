/**
 * The native WAL kernels (when built) against the JS definitions: CRC-32C on random inputs and
 * ranges (long enough for the 3-way and the carry-less-multiply folding paths), the record scan against the JS scan on
 * damaged logs, and the fallback when the addon is disabled.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { crc32c as crc32cJs } from '@rotortree/core/fs';
import { loadNativeWalKernels, nativeWalKernels } from '../src/native.js';
import { scanRecordsWith } from './scan-model.js';
import { RecordBuffer } from '../src/record-buffer.js';
import { headerLength } from '../src/format.js';

const native = nativeWalKernels;
const CHECK = new TextEncoder().encode('123456789');

/** Deterministic pseudo-random bytes. */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe.skipIf(native === undefined)('native CRC-32C', () => {
  const kernels = native!;
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
    expect(() => kernels.scanValid(b, 0, 11, 0)).toThrow(RangeError);
  });
});

describe.skipIf(native?.startWriteback === undefined)('native startWriteback (sync_file_range)', () => {
  it('resolves on a file with written bytes, rejects with the errno name on a bad fd, and checks its argument', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotortree-writeback-'));
    try {
      const fd = openSync(join(dir, 'f'), 'w+');
      try {
        writeSync(fd, new Uint8Array(1 << 20).fill(7));
        await expect(native!.startWriteback!(fd)).resolves.toBeUndefined();
      } finally {
        closeSync(fd);
      }
      await expect(native!.startWriteback!(fd)).rejects.toMatchObject({ code: 'EBADF', syscall: 'sync_file_range' });
      expect(() => native!.startWriteback!(-1)).toThrow(TypeError);
      expect(() => native!.startWriteback!('3' as unknown as number)).toThrow(TypeError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A log body of records with `sizes[i]` leaves each, seqs from base + 1, and where each starts. */
function encodeRecords(sizes: readonly number[], base: number, at: number): { body: Uint8Array; starts: number[] } {
  const buffer = new RecordBuffer();
  const starts: number[] = [];
  for (const [i, k] of sizes.entries()) {
    starts.push(at + buffer.used);
    buffer.append(base + i + 1, bytes(k * 32, i + 1));
  }
  const body = new Uint8Array(at + buffer.used);
  body.set(buffer.bytes.subarray(0, buffer.used), at);
  return { body, starts };
}

type Damage =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'cut'; readonly at: number }
  | { readonly kind: 'zeros'; readonly length: number }
  | { readonly kind: 'none' };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('zeros' as const), length: fc.nat({ max: 100 }) }),
  fc.constant({ kind: 'none' as const }),
);

function damaged(body: Uint8Array, start: number, d: Damage): Uint8Array {
  const span = body.length - start;
  if (d.kind === 'flip' && span > 0) {
    const out = body.slice();
    out[start + (d.at % span)]! ^= 1 << d.bit;
    return out;
  }
  if (d.kind === 'cut') return body.subarray(0, start + (d.at % (span + 1)));
  if (d.kind === 'zeros') {
    const out = new Uint8Array(body.length + d.length);
    out.set(body);
    return out;
  }
  return body;
}

describe.skipIf(native === undefined)('native record scan', () => {
  it('finds what the JS scan finds on damaged logs (end, last seq, stop, index)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 12 }),
        fc.nat({ max: 1000 }),
        fc.array(damage, { maxLength: 2 }),
        fc.boolean(),
        (sizes, base, damages, wrongBase) => {
          const start = headerLength(6);
          let file = encodeRecords(sizes, base, start).body;
          for (const d of damages) file = damaged(file, start, d);
          const expectBase = wrongBase ? base + 1 : base;
          const viaNative = scanRecordsWith(native, file, start, expectBase);
          const viaJs = scanRecordsWith(undefined, file, start, expectBase);
          expect(viaNative).toEqual(viaJs);
        },
      ),
    );
  });

  it('stops at a record whose seq breaks the run, and at the first bad CRC', () => {
    const start = headerLength(6);
    const { body, starts } = encodeRecords([1, 2, 1, 3], 10, start);
    expect(native!.scanValid(body, start, body.length, 10)).toBe(body.length);
    expect(native!.scanValid(body, start, body.length, 11)).toBe(start);
    const bad = body.slice();
    bad[starts[2]! + 20]! ^= 4;
    expect(native!.scanValid(bad, start, bad.length, 10)).toBe(starts[2]);
    expect(native!.scanValid(body, start, starts[3]! + 10, 10)).toBe(starts[3]);
  });
});

describe('without the addon', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('ROTORTREE_DISABLE_NATIVE=1 makes the loader report none', () => {
    expect(loadNativeWalKernels({ ROTORTREE_DISABLE_NATIVE: '1' })).toBeUndefined();
  });

  it('falls back to the JS CRC and scan, with the same results', async () => {
    vi.stubEnv('ROTORTREE_DISABLE_NATIVE', '1');
    vi.resetModules();
    const loader = await import('../src/native.js');
    const checksum = await import('../src/checksum.js');
    const fallbackBuffer = await import('../src/record-buffer.js');
    expect(loader.nativeWalKernels).toBeUndefined();
    const big = bytes(100_000, 3);
    expect(checksum.crc32c(big, 3, big.length)).toBe(crc32cJs(big, 3, big.length));
    expect(checksum.crc32c(CHECK, 0, CHECK.length)).toBe(0xe3069283);
    // Records encoded by the fallback are byte-identical to those of the default build.
    const a = new fallbackBuffer.RecordBuffer();
    const b = new RecordBuffer();
    for (const [i, k] of [1, 200, 3].entries()) {
      a.append(i + 1, bytes(k * 32, i));
      b.append(i + 1, bytes(k * 32, i));
    }
    expect(a.bytes.subarray(0, a.used)).toEqual(b.bytes.subarray(0, b.used));
  });
});
