/**
 * What stops the valid records is judged in windows: with windows of a few dozen bytes (so that
 * records, zero runs and damage straddle every boundary), the streamed scan gives the verdict of
 * the whole-buffer model on randomly damaged logs; the byte-level helpers agree with naive ones.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c } from '../src/checksum.js';
import { validRecordHeader, writeU32, writeU64 } from '../src/format.js';
import { nativeWalKernels } from '../src/native.js';
import { recordLengthAt } from '../src/record-at.js';
import { firstNonZero, nextHeader } from '../src/stop-judge.js';
import { scanLog } from '../src/stream-scan.js';
import { concat, HEADER, makeLog, recordWith, windowOver } from './log-fixtures.js';
import { scanRecordsWith } from './scan-model.js';

const kernelsUnderTest = nativeWalKernels === undefined ? [undefined] : [undefined, nativeWalKernels];

/**
 * One hit on a log: a flipped bit, a cut, zeros appended, a zeroed stretch (a page that never
 * reached the disk), random bytes over a stretch, a stretch copied elsewhere (stale records), or
 * a record of a chosen seq and flush appended, after zeros or not (a gap, or torn or bad, depending
 * on its flush).
 */
interface Hit {
  readonly kind: 'flip' | 'cut' | 'zeros' | 'zeroRange' | 'junk' | 'copy' | 'record';
  readonly at: number;
  readonly from: number;
  readonly size: number;
  readonly seqDelta: number;
  readonly flushOffset: number;
}
const hitArb: fc.Arbitrary<Hit> = fc.record({
  kind: fc.constantFrom('flip' as const, 'cut' as const, 'zeros' as const, 'zeroRange' as const, 'junk' as const, 'copy' as const, 'record' as const),
  at: fc.nat(),
  from: fc.nat(),
  size: fc.nat({ max: 300 }),
  seqDelta: fc.integer({ min: -2, max: 3 }),
  flushOffset: fc.nat({ max: 4 }),
});

function hit(file: Uint8Array, h: Hit, nextSeq: number): Uint8Array {
  const body = file.length - HEADER;
  if (h.kind === 'zeros') return concat([file, new Uint8Array(h.size)]);
  if (h.kind === 'record') return concat([file, new Uint8Array(h.from % 2 === 0 ? 0 : h.size % 100), recordWith(nextSeq + h.seqDelta, h.flushOffset, 1 + (h.size % 3))]);
  if (body <= 0) return file;
  const at = HEADER + (h.at % body);
  if (h.kind === 'cut') return file.subarray(0, at);
  const out = file.slice();
  const end = Math.min(out.length, at + 1 + h.size);
  if (h.kind === 'flip') out[at]! ^= 1 << (h.size & 7);
  if (h.kind === 'zeroRange') out.fill(0, at, end);
  if (h.kind === 'junk') for (let i = at; i < end; i++) out[i] = (i * 2654435761 + h.from) >>> 13;
  if (h.kind === 'copy') {
    const from = HEADER + (h.from % body);
    out.set(file.subarray(from, from + (end - at)), at);
  }
  return out;
}

describe('judging the stop in windows', () => {
  it('gives the verdict of the whole-buffer model, windows of 24 to 200 bytes (64 in a third of the runs)', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat({ max: 50 }),
        fc.array(hitArb, { maxLength: 3 }),
        fc.oneof(fc.constant(64), fc.integer({ min: 24, max: 200 })),
        fc.oneof(fc.constant(64), fc.integer({ min: 24, max: 200 })),
        async (sizes, perFlush, baseSeq, hits, chunk, tailChunk) => {
          let file = makeLog(sizes, perFlush, baseSeq);
          for (const h of hits) file = hit(file, h, baseSeq + sizes.length + 1);
          for (const kernels of kernelsUnderTest) {
            const expected = scanRecordsWith(kernels, file, HEADER, baseSeq);
            const streamed = await scanLog(windowOver(file, chunk, tailChunk), kernels, HEADER, baseSeq);
            expect(streamed).toEqual(expected);
            seen.add(expected.stop?.kind ?? 'end');
          }
        },
      ),
      { numRuns: 600 },
    );
    // Every verdict came up (the property is not vacuous).
    expect([...seen].sort()).toEqual(['bad', 'end', 'gap', 'torn', 'zeros']);
  });

  it('finds a record whose len has only its high byte set (>= 16 MiB) right after zeros', async () => {
    const big = recordWith(9, 0, (1 << 24) / 32); // len bytes 00 00 00 01
    for (const damage of [true, false]) {
      for (const zeros of [1, 2, 3, 4, 5, 70]) {
        const log = makeLog([1, 2, 1], 3, 5);
        if (damage) log[log.length - 30]! ^= 1; // the last record
        const file = concat([log, new Uint8Array(zeros), big]);
        const model = scanRecordsWith(undefined, file, HEADER, 5);
        expect(model.stop).toEqual({ kind: 'bad', offset: damage ? log.length - 56 : log.length, next: log.length + zeros });
        expect(await scanLog(windowOver(file, 64, 64 * 1024), undefined, HEADER, 5)).toEqual(model);
      }
    }
  });

  it('steps over a record of the torn flush whole (a record inside its leaves does not count)', async () => {
    const inner = recordWith(10, 0, 1); // of a later flush: would make the damage CORRUPTION
    const outer = recordWith(4, 1, concat([inner, new Uint8Array(64 - inner.length)]));
    const torn = recordWith(3, 0, 2);
    torn[30]! ^= 1;
    const file = concat([makeLog([1, 1], 1, 0), torn, outer]);
    const model = scanRecordsWith(undefined, file, HEADER, 0);
    expect(model.stop).toEqual({ kind: 'torn', offset: HEADER + 2 * 56 });
    for (const chunk of [24, 64, 1000]) expect(await scanLog(windowOver(file, chunk), undefined, HEADER, 0)).toEqual(model);
  });

  it('checks a record longer than the window by continuing its CRC window after window', async () => {
    const file = concat([makeLog([1], 1, 0), recordWith(2, 0, 40), new Uint8Array(100)]);
    const at = HEADER + 56;
    const whole = 40 * 32 + 24;
    for (const tail of [24, 64, 100, 5000]) {
      expect(await recordLengthAt(windowOver(file, 24, tail), at)).toBe(whole);
      for (const flip of [at, at + 17, at + 500, at + whole - 1]) {
        const bad = file.slice();
        bad[flip]! ^= 2;
        expect(await recordLengthAt(windowOver(bad, 24, tail), at)).toBe(-1);
      }
    }
    // A record that would end past the file is not valid.
    expect(await recordLengthAt(windowOver(file.subarray(0, at + whole - 1), 24, 64), at)).toBe(-1);
  });
});

/** Payload lengths whose low bytes are zero, so that a header starts 1, 2 or 3 bytes before its first non-zero byte. */
const HEADER_LENS = [32, 256, 1 << 16, 1 << 24, 1 << 30];

/** A right 20-byte record header (seq 3, flush offset 0) claiming `len` payload bytes. */
function headerOf(len: number): Uint8Array {
  const h = new Uint8Array(20);
  writeU32(h, 0, len);
  writeU64(h, 4, 3);
  writeU32(h, 16, crc32c(h, 0, 16));
  return h;
}

describe('byte-level helpers of the judge', () => {
  /** Bytes with runs of zeros and of small values (`validRecordHeader` needs len & 31 === 0). */
  const bytesArb = fc
    .array(fc.oneof(fc.record({ zeros: fc.nat({ max: 200 }) }), fc.uint8Array({ maxLength: 40, max: 64 })), { maxLength: 12 })
    .map((parts) => concat(parts.map((p) => (p instanceof Uint8Array ? p : new Uint8Array(p.zeros)))));

  it('firstNonZero finds the first non-zero byte (across 64 KiB blocks too)', () => {
    fc.assert(
      fc.property(bytesArb, fc.nat(), fc.nat(), (bytes, a, b) => {
        const from = bytes.length === 0 ? 0 : a % bytes.length;
        const to = from + (bytes.length === from ? 0 : b % (bytes.length - from + 1));
        let naive = from;
        while (naive < to && bytes[naive] === 0) naive++;
        expect(firstNonZero(bytes, from, to)).toBe(naive);
      }),
    );
    const big = new Uint8Array(300_000);
    for (const at of [0, 63, 64, 65_535, 65_536, 65_600, 200_001, 299_999]) {
      big[at] = 9;
      expect(firstNonZero(big, 0, big.length)).toBe(at);
      expect(firstNonZero(big, 0, at)).toBe(at);
      big[at] = 0;
    }
    expect(firstNonZero(big, 0, big.length)).toBe(big.length);
  });

  it('nextHeader stops at the first valid header, or past the last index it may look at', () => {
    fc.assert(
      fc.property(bytesArb, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...HEADER_LENS)), { maxLength: 3 }), fc.nat(), fc.nat(), (noise, places, a, slack) => {
        // Right headers (whose records run past these bytes) in noise, some after runs of zeros.
        const bytes = noise.slice();
        for (const [p, len] of places) if (bytes.length >= 20) bytes.set(headerOf(len), p % (bytes.length - 19));
        const last = bytes.length - 20;
        if (last < 0) return;
        const from = a % (last + 1);
        const end = bytes.length + (slack % 2 === 0 ? slack % 100 : 2 ** 31);
        let naive = from;
        while (naive <= last && !validRecordHeader(bytes, naive, end)) naive++;
        const got = nextHeader(bytes, from, last, end);
        if (naive <= last) expect(got).toBe(naive);
        else expect(got).toBeGreaterThan(last);
      }),
      { numRuns: 500 },
    );
  });
});
