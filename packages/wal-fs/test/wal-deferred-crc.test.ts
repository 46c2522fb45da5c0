/**
 * `append` leaves the two CRCs of a record to the flush (one native call, or the JS walk without the
 * addon): the log must still hold exactly the bytes of a plain reference encoder, for any mix of
 * one-leaf, multi-leaf and by-reference records flushed at any points, with and without the addon.
 * Also the seal kernels themselves: native = JS = reference, and where they stop.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { crc32c as crc32cJs, faultyFileSystem } from '@rotortree/core/fs';
import type { Wal } from '@rotortree/core';
import { encodeHeader } from '../src/format.js';
import type { FsWalOptions } from '../src/fs-wal.js';
import { fsWal } from '../src/fs-wal.js';
import { nativeWalKernels } from '../src/native.js';
import { RecordBuffer } from '../src/record-buffer.js';
import { sealRecordsJs } from '../src/seal.js';
import { concat } from './log-fixtures.js';
import { CONFIG, leaves, openCollect } from './support.js';

const DIR = '/db';
const PATH = '/db/wal.log';

function u32(b: Uint8Array, at: number, v: number): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v >>> 0, true);
}

/** One record, encoded field by field from the format's table (CRCs from scratch, nothing continued). */
function referenceRecord(seq: number, flushOffset: number, payload: Uint8Array): Uint8Array {
  const len = payload.length;
  const out = new Uint8Array(24 + len);
  u32(out, 0, len);
  u32(out, 4, seq % 2 ** 32);
  u32(out, 8, Math.floor(seq / 2 ** 32));
  u32(out, 12, flushOffset);
  u32(out, 16, crc32cJs(out, 0, 16));
  out.set(payload, 20);
  u32(out, 20 + len, crc32cJs(out, 0, 20 + len));
  return out;
}

/** The whole log: the file header, then each flush's records (flush offsets from its first seq). */
function referenceLog(flushes: readonly { seq: number; payload: Uint8Array }[][]): Uint8Array {
  const parts = [encodeHeader({ ...CONFIG, baseSeq: 0 })];
  for (const records of flushes) {
    for (const r of records) parts.push(referenceRecord(r.seq, r.seq - records[0]!.seq, r.payload));
  }
  return concat(parts);
}

type Step =
  | { kind: 'one' }
  | { kind: 'many'; k: number }
  | { kind: 'ref'; k: number; cuts: number[]; flushWhileOpen: boolean }
  | { kind: 'flush' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'one' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('many' as const), k: fc.oneof(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 13, max: 3000 })) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('ref' as const),
      k: fc.integer({ min: 1, max: 300 }),
      cuts: fc.array(fc.integer({ min: 1, max: 120 }), { maxLength: 3 }),
      flushWhileOpen: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'flush' as const }) },
);

/**
 * Runs `steps` on a fresh log (every flush awaited, so a flush takes exactly the records appended
 * since the previous one; a flush while a by-reference record is open takes that record too) and
 * returns the file's bytes and the flush groups of the reference.
 */
async function runSteps(makeWal: (options: FsWalOptions) => Wal, steps: readonly Step[]) {
  const fs = faultyFileSystem({ seed: 5 });
  const wal = makeWal({ dir: DIR, fs });
  await openCollect(wal);
  const flushes: { seq: number; payload: Uint8Array }[][] = [];
  let pending: { seq: number; payload: Uint8Array }[] = [];
  const cutFlush = () => {
    if (pending.length > 0) flushes.push(pending);
    pending = [];
  };
  let seq = 0;
  let nextLeaf = 0;
  // The caller's buffer is reused after each append: the WAL must have copied it.
  const scratch = new Uint8Array((3000 + 7) * 32);
  for (const step of steps) {
    if (step.kind === 'flush') {
      cutFlush();
      await wal.flush();
      continue;
    }
    const k = step.kind === 'one' ? 1 : step.k;
    const payload = leaves(nextLeaf, k);
    nextLeaf += k;
    seq++;
    pending.push({ seq, payload });
    if (step.kind !== 'ref') {
      scratch.set(payload, 7 * 32);
      wal.append(seq, scratch.subarray(7 * 32, 7 * 32 + payload.length));
      scratch.fill(0xee);
      continue;
    }
    const writer = wal.appendImmutable!(seq, payload.length);
    let at = 0;
    let inFlight: Promise<number> | undefined;
    for (const c of step.cuts) {
      if (at >= payload.length) break;
      writer.add([payload.slice(at, Math.min(payload.length, at + c * 32))]);
      at += c * 32;
      if (inFlight === undefined && step.flushWhileOpen) {
        cutFlush(); // this flush takes the open record
        inFlight = wal.flush();
      }
    }
    if (at < payload.length) writer.add([payload.slice(at)]);
    writer.end();
    await inFlight;
  }
  cutFlush();
  await wal.flush();
  await wal.close();
  return { file: fs.peek(PATH)!, flushes };
}

async function expectReferenceBytes(makeWal: (options: FsWalOptions) => Wal): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
      const { file, flushes } = await runSteps(makeWal, steps);
      const want = referenceLog(flushes);
      expect(file.length).toBe(want.length);
      expect(Buffer.compare(file, want)).toBe(0);
    }),
    { numRuns: 40 },
  );
}

describe('records with deferred CRCs', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it.skipIf(nativeWalKernels === undefined)('are byte-identical to the reference encoder (native seal)', async () => {
    await expectReferenceBytes(fsWal);
  });

  it('are byte-identical to the reference encoder (JS seal, addon disabled)', async () => {
    vi.stubEnv('ROTORTREE_DISABLE_NATIVE', '1');
    vi.resetModules();
    const loader = await import('../src/native.js');
    const fallback = await import('../src/fs-wal.js');
    expect(loader.nativeWalKernels).toBeUndefined();
    await expectReferenceBytes(fallback.fsWal);
  });

  it('are complete whenever the buffer is read, also in the middle of a batch', () => {
    const buffer = new RecordBuffer();
    const payloads = [leaves(0, 1), leaves(1, 4), leaves(5, 1)];
    const want: Uint8Array[] = [];
    for (const [i, p] of payloads.entries()) {
      buffer.append(10 + i, p);
      want.push(referenceRecord(10 + i, i, p));
      // Reading seals what is there; the appends after it are sealed by the next read.
      const got = buffer.bytes.slice(0, buffer.used);
      expect(Buffer.compare(got, Buffer.concat(want))).toBe(0);
    }
  });
});

/** `sizes[i]` leaves per record, seqs from `base` + 1, written by a RecordBuffer (then copied at `at`). */
function unsealed(sizes: readonly number[], base: number): { bytes: Uint8Array; want: Uint8Array } {
  const buffer = new RecordBuffer();
  const want: Uint8Array[] = [];
  for (const [i, k] of sizes.entries()) {
    const payload = leaves(i * 9, k);
    buffer.append(base + i + 1, payload);
    want.push(referenceRecord(base + i + 1, i, payload));
  }
  // The raw appended bytes, CRC fields not yet written: read through the private flat buffer.
  const flat = (buffer as unknown as { flat: Uint8Array }).flat;
  return { bytes: flat.slice(0, buffer.used), want: Buffer.concat(want) };
}

describe('the seal kernels', () => {
  const sizesArb = fc.array(fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 9 }), fc.integer({ min: 10, max: 400 })), {
    minLength: 1,
    maxLength: 30,
  });
  type Seal = (bytes: Uint8Array, start: number, end: number) => number;
  const kernels: [string, Seal][] = [['js', sealRecordsJs]];
  const native = nativeWalKernels;
  if (native !== undefined) kernels.push(['native', (b, s, e) => native.sealRecords(b, s, e)]);

  it.each(kernels)('%s: writes the CRCs of the reference encoder, from any record start', (_name, seal) => {
    fc.assert(
      fc.property(sizesArb, fc.nat({ max: 2 ** 40 }), fc.nat(), (sizes, base, from) => {
        const { bytes, want } = unsealed(sizes, base);
        // Records before `start` are sealed already (by the reference): only the rest is walked.
        let start = 0;
        for (let i = 0; i < from % sizes.length; i++) start += sizes[i]! * 32 + 24;
        bytes.set(want.subarray(0, start));
        expect(seal(bytes, start, bytes.length)).toBe(bytes.length);
        expect(Buffer.compare(bytes, want)).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it.each(kernels)('%s: stops before a record with a bad len or one not inside the range', (_name, seal) => {
    const { bytes } = unsealed([1, 3, 1], 0);
    const second = 56;
    const third = second + 3 * 32 + 24;
    expect(seal(bytes.slice(), 0, third + 10)).toBe(third); // the third does not fit
    expect(seal(bytes.slice(), second, bytes.length)).toBe(bytes.length);
    for (const len of [0, 33, 2 ** 31]) {
      const bad = bytes.slice();
      u32(bad, second, len);
      const before = bad.slice();
      expect(seal(bad, 0, bad.length)).toBe(second);
      // Nothing of the bad record or after it is touched.
      expect(Buffer.compare(bad.subarray(second), before.subarray(second))).toBe(0);
    }
  });

  it.skipIf(nativeWalKernels === undefined)('native: rejects bad arguments before touching a byte', () => {
    const k = nativeWalKernels!;
    const b = new Uint8Array(64);
    expect(() => k.sealRecords(b, 0, 65)).toThrow(RangeError);
    expect(() => k.sealRecords(b, 9, 8)).toThrow(RangeError);
    expect(() => k.sealRecords(b, -1, 8)).toThrow(RangeError);
    expect(() => k.sealRecords(b, 0.5, 8)).toThrow(RangeError);
    expect(() => k.sealRecords(new Uint32Array(16) as unknown as Uint8Array, 0, 8)).toThrow(TypeError);
    expect(k.sealRecords(b, 0, 64)).toBe(0); // len 0: not a record
  });
});
