/**
 * Recovery reads the log through a window of a few chunks: with any chunk size (records larger
 * than it, records split across reads), the streamed scan equals the whole-file scan, and the
 * streamed visit hands over exactly the records after `afterSeq`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { faultyFileSystem } from '@rotortree/core/fs';
import { encodeHeader, RECORD_HEADER, RECORD_OVERHEAD, readU32 } from '../src/format.js';
import { LogWindow } from '../src/log-window.js';
import { nativeWalKernels } from '../src/native.js';
import { RecordBuffer } from '../src/record-buffer.js';
import { scanRecordsWith } from '../src/scan.js';
import { scanLog, visitLog } from '../src/stream-scan.js';
import { CONFIG, leaves } from './support.js';

/** A log of records with `sizes[i]` leaves, flushed in groups of `perFlush`. */
function makeLog(sizes: readonly number[], perFlush: number, baseSeq: number): Uint8Array {
  const parts: Uint8Array[] = [encodeHeader({ ...CONFIG, baseSeq })];
  let buffer = new RecordBuffer();
  for (const [i, k] of sizes.entries()) {
    buffer.append(baseSeq + i + 1, leaves(i * 50, k));
    if ((i + 1) % perFlush === 0) {
      parts.push(buffer.bytes.slice(0, buffer.used));
      buffer = new RecordBuffer();
    }
  }
  parts.push(buffer.bytes.slice(0, buffer.used));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function windowOver(bytes: Uint8Array, chunk: number): Promise<LogWindow> {
  const fs = faultyFileSystem({ seed: 1 });
  const fh = await fs.open('/log', 'w+');
  await fh.pwrite(bytes, 0, bytes.length, 0);
  return new LogWindow(fh, bytes.length, undefined, chunk);
}

const kernelsUnderTest = nativeWalKernels === undefined ? [undefined] : [undefined, nativeWalKernels];

describe('streamed recovery', () => {
  it('scans like the whole-file scan and visits exactly the records after afterSeq', async () => {
    const headerLength = encodeHeader({ ...CONFIG, baseSeq: 0 }).length;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 14 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat({ max: 50 }),
        fc.integer({ min: 32, max: 300 }),
        fc.option(fc.record({ at: fc.nat(), kind: fc.constantFrom('flip', 'cut', 'zeros') })),
        fc.nat({ max: 20 }),
        async (sizes, perFlush, baseSeq, chunk, damage, afterDelta) => {
          let file = makeLog(sizes, perFlush, baseSeq);
          if (damage !== null && file.length > headerLength) {
            const at = headerLength + (damage.at % (file.length - headerLength));
            if (damage.kind === 'flip') {
              file = file.slice();
              file[at]! ^= 0x40;
            } else if (damage.kind === 'cut') file = file.subarray(0, at);
            else file = new Uint8Array([...file, ...new Uint8Array(damage.at % 100)]);
          }
          for (const kernels of kernelsUnderTest) {
            const expected = scanRecordsWith(kernels, file, headerLength, baseSeq);
            const win = await windowOver(file, chunk);
            const streamed = await scanLog(win, kernels, headerLength, baseSeq);
            expect(streamed).toEqual(expected);

            const afterSeq = baseSeq + afterDelta;
            const visited: { seq: number; leaves: Uint8Array }[] = [];
            const collect = (seq: number, l: Uint8Array) => visited.push({ seq, leaves: l.slice() });
            await visitLog(win, headerLength, streamed.end, baseSeq, afterSeq, streamed.index, collect);
            const reference: { seq: number; leaves: Uint8Array }[] = [];
            for (let pos = headerLength, seq = baseSeq + 1; pos < expected.end; seq++) {
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
