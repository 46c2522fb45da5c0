/**
 * Large records: a flush writes them in chunks and starts fdatasyncs while later chunks are
 * written. Every chunk must land, and a failure of any write or early sync must fail the flush.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { CRASH_MODES, faultyFileSystem } from '@rotortree/core/fs';
import type { FaultRule } from '@rotortree/core/fs';
import { fsWal } from '../src/index.js';
import { codeOf, leaves, openCollect } from './support.js';

const DIR = '/db';
/** 9.4 MiB: more than one early-sync step (8 MiB) and ten write chunks (1 MiB). */
const BIG = 308_000;

describe('fsWal with records larger than a write chunk', () => {
  it('replays a large record exactly after a crash in every mode', async () => {
    const big = leaves(7, BIG);
    for (const mode of CRASH_MODES) {
      const fs = faultyFileSystem({ seed: 11 });
      const wal = fsWal({ dir: DIR, fs });
      await openCollect(wal);
      wal.append(1, leaves(0, 3));
      wal.append(2, big);
      wal.append(3, leaves(1, 1));
      expect(await wal.flush()).toBe(3);
      await wal.close();
      fs.crash(mode);
      const again = fsWal({ dir: DIR, fs });
      const { records } = await openCollect(again);
      expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
      // toEqual on ~10 MB compares element by element for minutes: compare as buffers.
      expect(Buffer.compare(records[1]!.leaves, big)).toBe(0);
      expect(records[2]!.leaves).toEqual(leaves(1, 1));
      await again.close();
    }
  });

  const faults: FaultRule[] = [
    { op: 'datasync', nth: 1, code: 'EIO' }, // the early sync after 8 MiB
    { op: 'write', nth: 4, code: 'ENOSPC' }, // a chunk in the middle
    { op: 'write', nth: 10, code: 'EIO' }, // a chunk after the early sync started
  ];
  for (const fault of faults) {
    it(`${fault.code} on ${fault.op} #${fault.nth} of a large flush poisons the WAL`, async () => {
      const fs = faultyFileSystem({ seed: 12 });
      const wal = fsWal({ dir: DIR, fs });
      await openCollect(wal);
      wal.append(1, leaves(0, 1));
      expect(await wal.flush()).toBe(1);
      wal.append(2, leaves(3, BIG));
      fs.failAt({ ...fault, path: `${DIR}/wal.log` });
      expect(await codeOf(wal.flush())).toBe('IO');
      expect(await codeOf(wal.flush())).toBe('POISONED');
      await wal.close();
      fs.crash('reorder');
      const { records } = await openCollect(fsWal({ dir: DIR, fs }));
      expect(records.map((r) => r.seq)).toEqual([1]);
    });
  }
});
