/**
 * Injected I/O errors: a failed write or sync poisons the WAL; nothing is reported durable
 * after it, and a reopen (after the power loss) still has every acknowledged record.
 */
import { describe, expect, it } from 'vitest';
import { openWal } from '@rotortree/core/backend';
import { CRASH_MODES, faultyFileSystem } from '@rotortree/core/fs';
import type { FaultRule } from '@rotortree/core/fs';
import { fsWal } from '../src/index.js';
import { CONFIG, codeOf, leaves, openCollect } from './support.js';

const DIR = '/db';

const faults: FaultRule[] = [
  { op: 'write', nth: 1, code: 'EIO' },
  { op: 'write', nth: 1, code: 'ENOSPC' },
  { op: 'datasync', nth: 1, code: 'EIO' },
  { op: 'datasync', nth: 1, code: 'ENOSPC' },
];

describe('fsWal with injected I/O errors', () => {
  for (const fault of faults) {
    it(`${fault.code} on ${fault.op} poisons the WAL`, async () => {
      for (const mode of CRASH_MODES) {
        const fs = faultyFileSystem({ seed: 3 });
        const wal = fsWal({ dir: DIR, fs });
        await openCollect(wal);
        wal.append(1, leaves(0, 1));
        expect(await wal.flush()).toBe(1);
        wal.append(2, leaves(1, 1));
        fs.failAt({ ...fault, path: `${DIR}/wal.log` });
        const first = wal.flush();
        const queued = wal.flush(); // shares the failing flush
        expect(await codeOf(first)).toBe('IO');
        expect(await codeOf(queued)).toBe('IO');
        expect(await codeOf(() => wal.append(3, leaves(2, 1)))).toBe('POISONED');
        // never retried as if it had worked: still poisoned, though the next sync would succeed
        expect(await codeOf(wal.flush())).toBe('POISONED');
        expect(await codeOf(wal.truncate(1))).toBe('POISONED');
        await wal.close();
        fs.crash(mode);
        const again = fsWal({ dir: DIR, fs });
        const { records } = await openCollect(again);
        // a failed write wrote nothing; a failed sync lost seq 2's bytes for good (fsyncgate)
        expect(records.map((r) => r.seq)).toEqual([1]);
        await again.close();
      }
    });
  }

  it('a failure inside truncate poisons too, and the old or new log survives whole', async () => {
    for (const op of ['write', 'sync', 'rename', 'fsyncDir'] as const) {
      const fs = faultyFileSystem({ seed: 4 });
      const wal = fsWal({ dir: DIR, fs });
      await openCollect(wal);
      for (let s = 1; s <= 5; s++) wal.append(s, leaves(s, 2));
      await wal.flush();
      fs.failAt({ op, nth: 1, code: 'EIO' });
      expect(await codeOf(wal.truncate(3))).toBe('IO');
      expect(await codeOf(wal.flush())).toBe('POISONED');
      await wal.close();
      fs.crash('reorder');
      const { records } = await openCollect(fsWal({ dir: DIR, fs }), 3);
      expect(records.map((r) => r.seq)).toEqual([4, 5]);
    }
  });

  it('an error while opening is IO and leaves the WAL openable again', async () => {
    const fs = faultyFileSystem({ seed: 5 });
    const wal = fsWal({ dir: DIR, fs });
    await openCollect(wal);
    wal.append(1, leaves(0, 1));
    await wal.flush();
    await wal.close();
    const retry = fsWal({ dir: DIR, fs });
    fs.failAt({ op: 'read', nth: 1, code: 'EIO' });
    expect(await codeOf(openWal(retry, CONFIG, 0, () => {}))).toBe('IO');
    expect((await openCollect(retry)).records).toHaveLength(1);
    await retry.close();
  });
});
