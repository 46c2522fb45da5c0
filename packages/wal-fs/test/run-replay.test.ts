/**
 * Replay in runs: the native record walks (`scanRun`, `gatherRun`) against their JS definitions,
 * the single-pass scan that feeds runs against the per-record visit, and `fsWal.open` with a run
 * visitor against `open` with a record visitor, on random record streams with damage.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openWal } from '@rotortree/core/backend';
import fc from 'fast-check';
import { faultyFileSystem } from '@rotortree/core/fs';
import type { WalRecovery } from '@rotortree/core';
import { RECORD_OVERHEAD } from '../src/format.js';
import { gatherRunJs, gatherRunWith } from '../src/gather.js';
import { fsWal } from '../src/index.js';
import type { RecoveryMode } from '../src/index.js';
import { nativeWalKernels } from '../src/native.js';
import { GATHER_MAX_PAYLOAD, RunFeeder } from '../src/run-feeder.js';
import { scanRecordsWith } from './scan-model.js';
import { SparseIndex } from '../src/sparse-index.js';
import { scanLog, visitLog } from '../src/stream-scan.js';
import { concat, damageArb, damaged, HEADER, makeLog, windowOver } from './log-fixtures.js';
import { CONFIG, leaves } from './support.js';

const native = nativeWalKernels;
const kernelsUnderTest = native === undefined ? [undefined] : [undefined, native];

/** Record sizes in leaves: mostly small, sometimes over the gather limit (handed over in place). */
const sizesArb = fc.array(
  fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: fc.constant(GATHER_MAX_PAYLOAD / 32 + 1) }),
  { maxLength: 14 },
);

interface Run {
  readonly firstSeq: number;
  readonly records: number;
  readonly leaves: Uint8Array;
}

/** The runs are consecutive from `afterSeq + 1`, and each holds at least a leaf per record. */
function expectContiguous(runs: readonly Run[], afterSeq: number): number {
  let next = afterSeq + 1;
  for (const run of runs) {
    expect(run.firstSeq).toBe(next);
    expect(run.records).toBeGreaterThanOrEqual(1);
    expect(run.leaves.length % 32).toBe(0);
    expect(run.leaves.length).toBeGreaterThanOrEqual(run.records * 32);
    next += run.records;
  }
  return next - 1;
}

describe('gatherRun', () => {
  it.skipIf(native === undefined)('the native walk equals the JS one on any bytes and arguments', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 8 }),
        damageArb,
        fc.nat(),
        fc.nat(),
        fc.oneof(fc.nat({ max: 400 }), fc.integer({ min: 1, max: 6 }).map((k) => k * 32)),
        fc.nat({ max: 700 }),
        fc.nat(),
        fc.boolean(),
        (sizes, d, s, e, maxLen, outLen, o, atFirstRecord) => {
          const file = damaged(makeLog(sizes, 3, 0), d);
          // From the first record (a real walk), or from anywhere (lengths read from garbage).
          const start = atFirstRecord ? Math.min(HEADER, file.length) : s % (file.length + 1);
          const end = start + (e % (file.length - start + 1));
          const outStart = o % (outLen + 1);
          const a = { out: new Uint8Array(outLen), stats: new Float64Array(2) };
          const b = { out: new Uint8Array(outLen), stats: new Float64Array(2) };
          const got = native!.gatherRun(file, start, end, maxLen, a.out, outStart, a.stats);
          expect(gatherRunJs(file, start, end, maxLen, b.out, outStart, b.stats)).toBe(got);
          expect(a.stats).toEqual(b.stats);
          expect(a.out).toEqual(b.out);
        },
      ),
    );
  });

  it.each(kernelsUnderTest.map((k) => [k === undefined ? 'JS' : 'native', k] as const))(
    '%s: copies the payloads of whole records and says where it stopped',
    (_name, kernels) => {
      const file = makeLog([1, 2, 1, 3], 4, 0);
      const out = new Uint8Array(6 * 32 + 5);
      const stats = new Float64Array(2);
      // Stops before the record that does not fit (3 leaves into 32 * 3 + 5 bytes left).
      expect(gatherRunWith(kernels, file, HEADER, file.length, 1 << 30, out, 5, stats)).toBe(3);
      const fourth = HEADER + 3 * RECORD_OVERHEAD + 4 * 32;
      expect(stats[0]).toBe(fourth);
      expect(stats[1]).toBe(5 + 4 * 32);
      expect(out.subarray(5, 5 + 32)).toEqual(leaves(0, 1));
      expect(out.subarray(5 + 32, 5 + 96)).toEqual(leaves(50, 2));
      expect(out.subarray(5 + 96, 5 + 128)).toEqual(leaves(100, 1));
      // Stops before a record longer than maxLen, and before an incomplete one.
      expect(gatherRunWith(kernels, file, HEADER, file.length, 32, out, 0, stats)).toBe(1);
      expect(gatherRunWith(kernels, file, fourth, file.length - 1, 1 << 30, new Uint8Array(1000), 0, stats)).toBe(0);
      expect(stats[0]).toBe(fourth);
    },
  );

  it.skipIf(native === undefined)('checks its arguments before touching a byte', () => {
    const b = new Uint8Array(64);
    const stats = new Float64Array(2);
    expect(() => native!.gatherRun(b, 0, 65, 64, b, 0, stats)).toThrow(RangeError);
    expect(() => native!.gatherRun(b, 0, 64, 64, b, 65, stats)).toThrow(RangeError);
    expect(() => native!.gatherRun(b, 0, 64, 64, b, 0, new Float64Array(1))).toThrow(RangeError);
    expect(() => native!.gatherRun(b, 0, 64, 64, b, 0, new Float32Array(2) as unknown as Float64Array)).toThrow(TypeError);
    expect(() => native!.scanRun(b, 0, 64, 0, 0, 0, 0, new Float64Array(4))).toThrow(RangeError);
    expect(() => native!.scanRun(b, 0, 64, 0, 0, 0, 1, new Float64Array(3))).toThrow(RangeError);
    expect(() => native!.scanRun(b, 0, 64, 0.5, 0, 0, 1, new Float64Array(4))).toThrow(RangeError);
  });
});

describe.skipIf(native === undefined)('scanRun', () => {
  it('judges runs of single-insert records (checked four at a time) as the JS scan does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(damageArb, { maxLength: 2 }),
        fc.integer({ min: -1, max: 1 }),
        fc.option(fc.record({ at: fc.nat(), delta: fc.constantFrom(-1, 1, 2) })),
        (sizes, perFlush, damages, baseDelta, seqSlip) => {
          // seqSlip: from one record on, seqs repeat (-1) or skip (1, 2) with valid checksums.
          const seqs = sizes.map((_, i) => 8 + i + (seqSlip !== null && i >= seqSlip.at % (sizes.length + 1) ? seqSlip.delta : 0));
          let file = makeLog(sizes, perFlush, 7, seqs);
          for (const d of damages) file = damaged(file, d);
          const base = 7 + baseDelta;
          expect(scanRecordsWith(native, file, HEADER, base)).toEqual(scanRecordsWith(undefined, file, HEADER, base));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('continues after a full table with the same index entries as the JS scan', () => {
    // Records of 700 leaves (22,424 bytes): an index entry every third record.
    const sizes = Array.from({ length: 30 }, () => 700);
    const file = makeLog(sizes, 30, 5);
    const viaJs = scanRecordsWith(undefined, file, HEADER, 5);
    const table = new Float64Array(4); // one entry per call
    const index = new SparseIndex();
    let pos = HEADER;
    let seq = 5;
    let calls = 0;
    for (;;) {
      const last = index.floor(Number.MAX_SAFE_INTEGER);
      const notes = native!.scanRun(file, pos, file.length, seq, 0, last?.offset ?? -Number.MAX_SAFE_INTEGER, 64 * 1024, table);
      calls++;
      if (notes === 1) index.note(table[2]!, table[3]!);
      pos = table[0]!;
      seq = table[1]!;
      if (notes === 0) break;
    }
    expect(calls).toBeGreaterThan(5);
    expect(pos).toBe(viaJs.end);
    expect(seq).toBe(viaJs.lastSeq);
    expect(index).toEqual(viaJs.index);
  });
});

describe('replay in runs during the scan', () => {
  it('hands over exactly the records after afterSeq, in order, as the per-record visit does', async () => {
    await fc.assert(
      fc.asyncProperty(
        sizesArb,
        fc.integer({ min: 1, max: 4 }),
        fc.nat({ max: 50 }),
        fc.integer({ min: 32, max: 300 }),
        damageArb,
        fc.nat({ max: 20 }),
        fc.integer({ min: 1, max: 40 }),
        async (sizes, perFlush, baseSeq, chunk, d, afterDelta, gatherLeaves) => {
          const file = damaged(makeLog(sizes, perFlush, baseSeq), d);
          const afterSeq = baseSeq + afterDelta;
          for (const kernels of kernelsUnderTest) {
            const plain = await scanLog(windowOver(file, chunk), kernels, HEADER, baseSeq);
            const visited: Uint8Array[] = [];
            await visitLog(windowOver(file, chunk), HEADER, plain.end, baseSeq, afterSeq, plain.index, (_s, l) => {
              visited.push(l.slice());
            });

            const runs: Run[] = [];
            const feeder = new RunFeeder(kernels, afterSeq, (firstSeq, records, l) => runs.push({ firstSeq, records, leaves: l.slice() }), file.length - HEADER, gatherLeaves * 32);
            const fed = await scanLog(windowOver(file, chunk), kernels, HEADER, baseSeq, feeder);
            feeder.finish();
            expect(fed).toEqual(plain);
            const last = expectContiguous(runs, afterSeq);
            expect(last).toBe(Math.max(afterSeq, plain.lastSeq));
            expect(concat(runs.map((r) => r.leaves))).toEqual(concat(visited));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('fsWal.open with a run visitor', () => {
  async function openWith(file: Uint8Array, recovery: RecoveryMode, afterSeq: number, runs: boolean, makeWal = fsWal) {
    const fs = faultyFileSystem({ seed: 2 });
    await fs.mkdir('/db', { recursive: true });
    const fh = await fs.open('/db/wal.log', 'w+');
    await fh.pwrite(file, 0, file.length, 0);
    await fh.sync();
    await fh.close();
    const wal = makeWal({ dir: '/db', fs, recovery });
    const parts: Uint8Array[] = [];
    let next = afterSeq + 1;
    const visit = (seq: number, l: Uint8Array) => {
      expect(seq).toBe(next++);
      parts.push(l.slice());
    };
    const visitRun = (firstSeq: number, records: number, l: Uint8Array) => {
      expect(firstSeq).toBe(next);
      next += records;
      parts.push(l.slice());
    };
    let outcome: WalRecovery | string;
    try {
      outcome = runs ? await openWal(wal, CONFIG, afterSeq, () => expect.fail('visit with a run visitor'), visitRun) : await openWal(wal, CONFIG, afterSeq, visit);
    } catch (err) {
      // By code: a WAL imported afresh (the fallback test) throws its own RotorTreeError class.
      if (!(err instanceof Error) || err.name !== 'RotorTreeError') throw err;
      outcome = (err as Error & { code: string }).code;
    }
    await wal.close();
    return { outcome, leaves: concat(parts), lastVisited: next - 1, after: fs.peek('/db/wal.log') };
  }

  it('recovers the same records, tail and verdict as with a record visitor', async () => {
    await fc.assert(
      fc.asyncProperty(
        sizesArb,
        fc.integer({ min: 1, max: 4 }),
        damageArb,
        fc.constantFrom<RecoveryMode>('tolerateTornTail', 'absolute', 'salvage'),
        fc.nat({ max: 6 }),
        async (sizes, perFlush, d, recovery, afterSeq) => {
          const file = damaged(makeLog(sizes, perFlush, 0), d);
          const perRecord = await openWith(file, recovery, afterSeq, false);
          const inRuns = await openWith(file, recovery, afterSeq, true);
          expect(inRuns.outcome).toEqual(perRecord.outcome);
          expect(inRuns.after).toEqual(perRecord.after);
          if (typeof perRecord.outcome !== 'string') {
            expect(inRuns.leaves).toEqual(perRecord.leaves);
            expect(inRuns.lastVisited).toBe(perRecord.lastVisited);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  describe('without the addon', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
      vi.resetModules();
    });

    it('recovers in runs exactly as the build with the addon does', async () => {
      vi.stubEnv('ROTORTREE_DISABLE_NATIVE', '1');
      vi.resetModules();
      const fallback = await import('../src/index.js');
      expect((await import('../src/native.js')).nativeWalKernels).toBeUndefined();
      const sizes = [...Array.from({ length: 300 }, (_, i) => (i % 50 === 7 ? 3 : 1)), GATHER_MAX_PAYLOAD / 32 + 1, 1, 1];
      const whole = makeLog(sizes, 40, 0);
      const cases: { file: Uint8Array; recovery: RecoveryMode; afterSeq: number }[] = [
        { file: whole, recovery: 'tolerateTornTail', afterSeq: 0 },
        { file: whole, recovery: 'tolerateTornTail', afterSeq: 123 },
        { file: whole.subarray(0, whole.length - 10), recovery: 'tolerateTornTail', afterSeq: 0 },
        { file: damaged(whole, { at: 5000, kind: 'flip' }), recovery: 'tolerateTornTail', afterSeq: 0 },
        { file: damaged(whole, { at: 5000, kind: 'flip' }), recovery: 'salvage', afterSeq: 10 },
      ];
      for (const { file, recovery, afterSeq } of cases) {
        const viaJs = await openWith(file, recovery, afterSeq, true, fallback.fsWal);
        const viaNative = await openWith(file, recovery, afterSeq, true);
        expect(viaJs).toEqual(viaNative);
      }
    });
  });

  it('hands a log of single inserts over in few runs', async () => {
    const file = makeLog(Array.from({ length: 5000 }, () => 1), 1000, 0);
    const fs = faultyFileSystem({ seed: 3 });
    await fs.mkdir('/db', { recursive: true });
    const fh = await fs.open('/db/wal.log', 'w+');
    await fh.pwrite(file, 0, file.length, 0);
    await fh.close();
    const wal = fsWal({ dir: '/db', fs });
    const runs: Run[] = [];
    const result = await openWal(wal, CONFIG, 0, () => expect.fail('visit'), (firstSeq, records, l) => runs.push({ firstSeq, records, leaves: l.slice() }));
    await wal.close();
    expect(result.lastSeq).toBe(5000);
    expect(runs.length).toBe(1);
    expect(expectContiguous(runs, 0)).toBe(5000);
    const want = concat(Array.from({ length: 5000 }, (_, i) => leaves(i * 50, 1)));
    expect(runs[0]!.leaves).toEqual(want);
  });
});
