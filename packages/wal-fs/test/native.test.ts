/**
 * The native WAL kernels (when built) against the JS definitions: the record scan against the JS
 * scan on damaged logs, and the fallback when the addon is disabled. (The CRC-32C kernels are
 * @rotortree/native's and tested there.)
 */
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
