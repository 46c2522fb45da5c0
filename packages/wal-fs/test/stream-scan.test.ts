/**
 * Recovery reads the log through a window of a few chunks: with any chunk size (records larger
 * than it, records split across reads), the streamed scan equals the whole-file scan, and the
 * streamed visit hands over exactly the records after `afterSeq`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RECORD_HEADER, RECORD_OVERHEAD, readU32 } from '../src/format.js';
import { nativeWalKernels } from '../src/native.js';
import { scanRecordsWith } from './scan-model.js';
import { scanLog, visitLog } from '../src/stream-scan.js';
import { damageArb, damaged, HEADER, makeLog, windowOver } from './log-fixtures.js';

const kernelsUnderTest = nativeWalKernels === undefined ? [undefined] : [undefined, nativeWalKernels];

describe('streamed recovery', () => {
  it('scans like the whole-file scan and visits exactly the records after afterSeq', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 14 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat({ max: 50 }),
        fc.integer({ min: 32, max: 300 }),
        damageArb,
        fc.nat({ max: 20 }),
        async (sizes, perFlush, baseSeq, chunk, damage, afterDelta) => {
          const file = damaged(makeLog(sizes, perFlush, baseSeq), damage);
          for (const kernels of kernelsUnderTest) {
            const expected = scanRecordsWith(kernels, file, HEADER, baseSeq);
            const win = windowOver(file, chunk);
            const streamed = await scanLog(win, kernels, HEADER, baseSeq);
            expect(streamed).toEqual(expected);

            const afterSeq = baseSeq + afterDelta;
            const visited: { seq: number; leaves: Uint8Array }[] = [];
            const collect = (seq: number, l: Uint8Array) => visited.push({ seq, leaves: l.slice() });
            await visitLog(win, HEADER, streamed.end, baseSeq, afterSeq, streamed.index, collect);
            const reference: { seq: number; leaves: Uint8Array }[] = [];
            for (let pos = HEADER, seq = baseSeq + 1; pos < expected.end; seq++) {
              const len = readU32(file, pos);
              if (seq > afterSeq) reference.push({ seq, leaves: file.slice(pos + RECORD_HEADER, pos + RECORD_HEADER + len) });
              pos += len + RECORD_OVERHEAD;
            }
            expect(visited).toEqual(reference);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
