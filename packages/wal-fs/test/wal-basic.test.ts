import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import { openWal } from '@rotortree/core/backend';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsWal } from '../src/index.js';
import { CONFIG, codeOf, errorOf, leaves, openCollect } from './support.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotortree-wal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fsWal on real files', () => {
  it('starts empty, then replays exactly what was flushed, after close', async () => {
    const wal = fsWal({ dir: join(dir, 'a', 'b') });
    expect((await openCollect(wal)).result).toEqual({ lastSeq: 0 });
    wal.append(1, leaves(0, 1));
    wal.append(2, leaves(1, 3));
    expect(await wal.flush()).toBe(2);
    expect(await wal.flush()).toBe(2);
    wal.append(3, leaves(4, 2));
    await wal.close();
    await wal.close();

    const again = fsWal({ dir: join(dir, 'a', 'b') });
    const { result, records } = await openCollect(again);
    expect(result).toEqual({ lastSeq: 2 });
    expect(records.map((r) => r.seq)).toEqual([1, 2]);
    expect(records[1]!.leaves).toEqual(leaves(1, 3));
    again.append(3, leaves(9, 1));
    expect(await again.flush()).toBe(3);
    await again.close();
    const third = await openCollect(fsWal({ dir: join(dir, 'a', 'b') }), 1);
    expect(third.records.map((r) => r.seq)).toEqual([2, 3]);
    expect(third.records[1]!.leaves).toEqual(leaves(9, 1));
  });

  it('replays any flushed history exactly (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ k: fc.integer({ min: 1, max: 5 }), flush: fc.boolean() }), { maxLength: 20 }),
        async (steps) => {
          const d = await mkdtemp(join(dir, 'p-'));
          const wal = fsWal({ dir: d });
          await openCollect(wal);
          let next = 0;
          const appended: Uint8Array[] = [];
          let flushed = 0;
          for (const [i, s] of steps.entries()) {
            const l = leaves(next, s.k);
            next += s.k;
            wal.append(i + 1, l);
            appended.push(l);
            if (s.flush) flushed = await wal.flush();
          }
          await wal.close();
          const { records, result } = await openCollect(fsWal({ dir: d }));
          expect(result.lastSeq).toBe(flushed);
          expect(records.map((r) => r.leaves)).toEqual(appended.slice(0, flushed));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('truncate keeps the later records, across reopen and further appends', async () => {
    const wal = fsWal({ dir });
    await openCollect(wal);
    for (let s = 1; s <= 300; s++) wal.append(s, leaves(s, 1 + (s % 70)));
    await wal.flush();
    await wal.truncate(200);
    wal.append(301, leaves(301, 1));
    await wal.truncate(250); // flushes 301 first
    await wal.truncate(100); // already dropped: nothing to do
    expect(await wal.flush()).toBe(301);
    await wal.close();
    const reopened = fsWal({ dir });
    const { records, result } = await openCollect(reopened, 250);
    await reopened.close();
    expect(result.lastSeq).toBe(301);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 51 }, (_, i) => 251 + i));
    expect(records[0]!.leaves).toEqual(leaves(251, 1 + (251 % 70)));
    // A checkpoint older than the log's start means lost records.
    expect(await codeOf(openWal(fsWal({ dir }), CONFIG, 249, () => {}))).toBe('CORRUPTION');
  });

  it('truncate of everything leaves an empty log that continues at the next seq', async () => {
    const wal = fsWal({ dir });
    await openCollect(wal);
    wal.append(1, leaves(0, 2));
    wal.append(2, leaves(2, 2));
    await wal.truncate(2);
    wal.append(3, leaves(4, 1));
    await wal.flush();
    await wal.close();
    const { records } = await openCollect(fsWal({ dir }), 2);
    expect(records.map((r) => r.seq)).toEqual([3]);
  });

  it('restarts the log after a checkpoint that is ahead of every record', async () => {
    const wal = fsWal({ dir });
    await openCollect(wal);
    wal.append(1, leaves(0, 1));
    await wal.flush();
    await wal.close();
    const ahead = fsWal({ dir });
    expect((await openCollect(ahead, 5)).result.lastSeq).toBe(5);
    ahead.append(6, leaves(6, 1));
    await ahead.flush();
    await ahead.close();
    expect((await openCollect(fsWal({ dir }), 5)).records.map((r) => r.seq)).toEqual([6]);
  });

  it('refuses a missing log when a checkpoint exists, and other configs', async () => {
    expect(await codeOf(openWal(fsWal({ dir }), CONFIG, 3, () => {}))).toBe('CORRUPTION');
    const wal = fsWal({ dir });
    await openCollect(wal);
    await wal.close();
    for (const other of [
      { ...CONFIG, n: 2 },
      { ...CONFIG, maxDepth: 15 },
      { ...CONFIG, hasherId: 'blake3-legacy' },
    ]) {
      expect(await codeOf(openWal(fsWal({ dir }), other, 0, () => {}))).toBe('CONFIG_MISMATCH');
    }
    const ok = fsWal({ dir });
    await openCollect(ok); // the failed opens released the lock
    await ok.close();
  });

  it('guards its state: append order, sizes, CLOSED after close', async () => {
    const wal = fsWal({ dir });
    await openCollect(wal);
    expect(() => wal.append(2, leaves(0, 1))).toThrow(RangeError);
    expect(await codeOf(() => wal.append(1, new Uint8Array(31)))).toBe('INVALID_NODE');
    expect(await codeOf(() => wal.append(1, new Uint8Array(0)))).toBe('INVALID_NODE');
    await expect(wal.truncate(1)).rejects.toThrow(RangeError);
    await wal.close();
    expect(await codeOf(() => wal.append(1, leaves(0, 1)))).toBe('CLOSED');
    expect(await codeOf(wal.flush())).toBe('CLOSED');
    expect(await codeOf(wal.truncate(0))).toBe('CLOSED');
    expect(await codeOf(openWal(wal, CONFIG, 0, () => {}))).toBe('CLOSED');
  });

  it('preallocates in zero-filled steps, and recovery treats the zeros as free space', async () => {
    const wal = fsWal({ dir, preallocate: 64 * 1024 });
    await openCollect(wal);
    wal.append(1, leaves(0, 1));
    await wal.flush();
    expect((await stat(join(dir, 'wal.log'))).size).toBe(64 * 1024);
    wal.append(2, leaves(1, 3000)); // crosses the step
    await wal.flush();
    expect((await stat(join(dir, 'wal.log'))).size).toBe(128 * 1024);
    await wal.close();
    const { result, records } = await openCollect(fsWal({ dir, preallocate: 64 * 1024, recovery: 'absolute' }));
    expect(result).toEqual({ lastSeq: 2 }); // no torn tail reported
    expect(records[1]!.leaves).toEqual(leaves(1, 3000));
  });

  it('cleans up an unfinished rewrite', async () => {
    const wal = fsWal({ dir });
    await openCollect(wal);
    wal.append(1, leaves(0, 1));
    await wal.flush();
    await wal.close();
    await writeFile(join(dir, 'wal.log.tmp'), 'half a rewrite');
    const { records } = await openCollect(fsWal({ dir }));
    expect(records).toHaveLength(1);
    expect(await errorOf(openWal(fsWal({ dir: join(dir, 'wal.log') }), CONFIG, 0, () => {}))).toMatchObject({ code: 'IO' });
  });
});
