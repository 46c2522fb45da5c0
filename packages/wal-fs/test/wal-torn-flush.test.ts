/**
 * A crash tears only the last flush, but inside it pages reach the disk in any order: damage
 * followed only by records of its own flush is a torn tail; damage followed by a record of a
 * later flush is corruption.
 */
import { describe, expect, it } from 'vitest';
import { CRASH_MODES, faultyFileSystem } from '@rotortree/core/fs';
import type { FaultyFileSystem } from '@rotortree/core/fs';
import { fsWal } from '../src/index.js';
import type { RecoveryMode } from '../src/index.js';
import { appendFlushes } from './log-fixtures.js';
import { errorOf, leaves, openCollect } from './support.js';

const DIR = '/db';
const PATH = '/db/wal.log';

/** Flushes `flushes[i]` (leaf counts of its records) one flush after the other; returns the bytes and record starts. */
async function makeLog(flushes: readonly (readonly number[])[]): Promise<{ fs: FaultyFileSystem; bytes: Uint8Array; starts: number[] }> {
  const fs = faultyFileSystem({ seed: 21 });
  const wal = fsWal({ dir: DIR, fs });
  await openCollect(wal);
  const { starts, end } = await appendFlushes(wal, flushes);
  await wal.close();
  const bytes = fs.peek(PATH)!;
  expect(bytes.length).toBe(end);
  return { fs, bytes, starts };
}

async function reopenWith(fs: FaultyFileSystem, bytes: Uint8Array, recovery?: RecoveryMode) {
  const fh = await fs.open(PATH, 'w+');
  await fh.pwrite(bytes, 0, bytes.length, 0);
  await fh.sync();
  await fh.close();
  const wal = fsWal({ dir: DIR, fs, ...(recovery === undefined ? {} : { recovery }) });
  try {
    return await openCollect(wal);
  } finally {
    await wal.close();
  }
}

describe('damage inside the last flush', () => {
  it('followed only by records of the same flush: a torn tail at the damage (CORRUPTION when absolute)', async () => {
    const log = await makeLog([[1, 2], [3, 1, 1, 2]]); // seqs 1-2, then 3-6 in one flush
    for (const damaged of [2, 3, 4]) {
      const start = log.starts[damaged]!;
      for (const hole of [
        [start, start + 8], // the header
        [start + 30, log.starts[damaged + 1]!], // the payload's end and the record CRC
      ] as const) {
        const bytes = log.bytes.slice();
        bytes.fill(0, hole[0], hole[1]); // a block that never reached the disk
        const { result, records } = await reopenWith(log.fs, bytes);
        expect(result).toEqual({ lastSeq: damaged, tornTail: { file: PATH, offset: start, bytes: log.bytes.length - start } });
        expect(records.map((r) => r.seq)).toEqual(Array.from({ length: damaged }, (_, i) => i + 1));
        expect(await errorOf(reopenWith(log.fs, bytes, 'absolute'))).toMatchObject({ code: 'CORRUPTION', offset: start });
      }
    }
  });

  it('followed by a record of a later flush: CORRUPTION', async () => {
    const log = await makeLog([[1, 2], [3, 1, 1], [2]]); // seqs 1-2, 3-5, 6
    for (const damaged of [2, 3, 4]) {
      const bytes = log.bytes.slice();
      bytes[log.starts[damaged]! + 25]! ^= 1;
      expect(await errorOf(reopenWith(log.fs, bytes))).toEqual({ code: 'CORRUPTION', file: PATH, offset: log.starts[damaged] });
    }
  });

  it('followed by a repeated record of the same flush: CORRUPTION', async () => {
    const log = await makeLog([[1], [1, 1]]); // seq 1, then 2-3
    const [, s2, s3] = log.starts as [number, number, number];
    const bytes = new Uint8Array([...log.bytes.subarray(0, s3), ...log.bytes.subarray(s2, s3)]); // seq 2 twice
    bytes[s2 + 25]! ^= 1;
    expect(await errorOf(reopenWith(log.fs, bytes))).toMatchObject({ code: 'CORRUPTION', offset: s2 });
  });
});

describe('a crash in the middle of a flush larger than one write chunk', () => {
  it('recovers a prefix (never CORRUPTION) at every crash point, in every crash mode', async () => {
    let torn = 0;
    for (const mode of CRASH_MODES) {
      for (let extraOps = 0; extraOps <= 4; extraOps++) {
        for (let seed = 0; seed < 3; seed++) {
          const fs = faultyFileSystem({ seed: 100 + seed });
          const wal = fsWal({ dir: DIR, fs });
          await openCollect(wal);
          wal.append(1, leaves(0, 1));
          await wal.flush();
          wal.append(2, leaves(1, 40_000)); // 1.2 MiB: two chunks
          wal.append(3, leaves(2, 1));
          wal.append(4, leaves(3, 30_000)); // the flush is 3 chunks (3 writes), then a datasync
          wal.append(5, leaves(4, 1));
          fs.setCrashAfterOp(fs.opCount + extraOps); // the machine dies after `extraOps` more operations
          await wal.flush().catch(() => {});
          fs.crash(mode);
          await wal.close();
          const { result, records } = await openCollect(fsWal({ dir: DIR, fs }));
          const seqs = records.map((r) => r.seq);
          expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
          if (result.tornTail !== undefined) torn++;
        }
      }
    }
    expect(torn).toBeGreaterThan(0); // the crash points do land inside the flush
  }, 60_000); // ~2 s with the native kernels; several times that on the JS fallback
});
