/**
 * The corruption matrix: damage injected into a closed log, then recovery's verdict.
 */
import { describe, expect, it } from 'vitest';
import { openWal } from '@rotortree/core/backend';
import { crc32c, faultyFileSystem } from '@rotortree/core/fs';
import type { FaultyFileSystem } from '@rotortree/core/fs';
import { headerLength, RECORD_OVERHEAD } from '../src/format.js';
import { fsWal } from '../src/index.js';
import type { RecoveryMode } from '../src/index.js';
import { CONFIG, codeOf, errorOf, leaves, openCollect } from './support.js';

const DIR = '/db';
const PATH = '/db/wal.log';
/** Record i (1-based) holds SIZES[i-1] leaves; each flushed on its own. */
const SIZES = [1, 3, 2, 1, 4];

interface Log {
  fs: FaultyFileSystem;
  bytes: Uint8Array;
  /** offsets[i] = start of record seq i+1; offsets[5] = end. */
  offsets: number[];
}

async function makeLog(): Promise<Log> {
  const fs = faultyFileSystem({ seed: 1 });
  const wal = fsWal({ dir: DIR, fs });
  await openCollect(wal);
  let first = 0;
  for (const [i, k] of SIZES.entries()) {
    wal.append(i + 1, leaves(first, k));
    first += k;
    await wal.flush();
  }
  await wal.close();
  const bytes = fs.peek(PATH)!;
  const offsets = [headerLength(CONFIG.hasherId.length)];
  for (const k of SIZES) offsets.push(offsets.at(-1)! + RECORD_OVERHEAD + k * 32);
  expect(offsets.at(-1)).toBe(bytes.length);
  return { fs, bytes, offsets };
}

async function replaceLog(fs: FaultyFileSystem, bytes: Uint8Array): Promise<void> {
  const fh = await fs.open(PATH, 'w+');
  await fh.pwrite(bytes, 0, bytes.length, 0);
  await fh.sync();
  await fh.close();
}

async function reopen(fs: FaultyFileSystem, recovery?: RecoveryMode, afterSeq = 0) {
  const wal = fsWal({ dir: DIR, fs, ...(recovery === undefined ? {} : { recovery }) });
  try {
    return await openCollect(wal, afterSeq);
  } finally {
    await wal.close();
  }
}

function flipped(bytes: Uint8Array, at: number, bit = 0): Uint8Array {
  const out = bytes.slice();
  out[at]! ^= 1 << bit;
  return out;
}

describe('corruption matrix', () => {
  it('truncation at every offset inside the last record: TORN_TAIL reported, earlier records kept', async () => {
    const log = await makeLog();
    const last = log.offsets[4]!;
    for (let cut = last + 1; cut < log.bytes.length; cut++) {
      await replaceLog(log.fs, log.bytes.subarray(0, cut));
      const { result, records } = await reopen(log.fs);
      expect(result).toEqual({ lastSeq: 4, tornTail: { file: PATH, offset: last, bytes: cut - last } });
      expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      expect(log.fs.peek(PATH)!.length).toBe(last); // cut off for good
      await replaceLog(log.fs, log.bytes.subarray(0, cut));
      expect(await errorOf(reopen(log.fs, 'absolute'))).toMatchObject({ code: 'CORRUPTION', file: PATH, offset: last });
    }
    // a cut exactly between records is a clean end
    await replaceLog(log.fs, log.bytes.subarray(0, last));
    expect((await reopen(log.fs, 'absolute')).result).toEqual({ lastSeq: 4 });
  });

  it('a bit flip anywhere in the last record is a torn tail (CORRUPTION when absolute)', async () => {
    const log = await makeLog();
    const last = log.offsets[4]!;
    for (let at = last; at < log.bytes.length; at += 7) {
      await replaceLog(log.fs, flipped(log.bytes, at, at % 8));
      const { result, records } = await reopen(log.fs);
      expect(result.tornTail).toEqual({ file: PATH, offset: last, bytes: log.bytes.length - last });
      expect(records).toHaveLength(4);
      await replaceLog(log.fs, flipped(log.bytes, at, at % 8));
      expect(await errorOf(reopen(log.fs, 'absolute'))).toMatchObject({ code: 'CORRUPTION', offset: last });
    }
  });

  it('a bit flip in a middle record (payload, len, seq, flush offset, CRCs) is CORRUPTION at that record', async () => {
    const log = await makeLog();
    for (const rec of [0, 1, 2, 3]) {
      const start = log.offsets[rec]!;
      for (const at of [start, start + 1, start + 4, start + 12, start + 16, start + 20, log.offsets[rec + 1]! - 1]) {
        await replaceLog(log.fs, flipped(log.bytes, at, 3));
        expect(await errorOf(reopen(log.fs))).toEqual({ code: 'CORRUPTION', file: PATH, offset: start });
      }
    }
  });

  it('a damaged length field (plausible or past the end of file) is CORRUPTION, not the end of the log', async () => {
    const log = await makeLog();
    const start = log.offsets[1]!;
    // 96 -> 32: a plausible length inside the log; 96 -> 96 + 2^20: past the end of the file
    for (const bit of [6, 20]) {
      await replaceLog(log.fs, flipped(log.bytes, start + (bit >> 3), bit & 7));
      expect(await errorOf(reopen(log.fs))).toEqual({ code: 'CORRUPTION', file: PATH, offset: start });
    }
  });

  it('salvage keeps the valid prefix before damage that has valid records after it', async () => {
    const log = await makeLog();
    const start = log.offsets[2]!;
    await replaceLog(log.fs, flipped(log.bytes, start + 20));
    const { result, records } = await reopen(log.fs, 'salvage');
    expect(result).toEqual({ lastSeq: 2, tornTail: { file: PATH, offset: start, bytes: log.bytes.length - start } });
    expect(records.map((r) => r.seq)).toEqual([1, 2]);
  });

  it('a duplicated or a missing record is a gap: CORRUPTION', async () => {
    const log = await makeLog();
    const [, o1, o2, o3] = log.offsets as [number, number, number, number];
    const dup = new Uint8Array([...log.bytes.subarray(0, o2), ...log.bytes.subarray(o1, o2), ...log.bytes.subarray(o2)]);
    await replaceLog(log.fs, dup);
    expect(await errorOf(reopen(log.fs))).toEqual({ code: 'CORRUPTION', file: PATH, offset: o2 });
    const missing = new Uint8Array([...log.bytes.subarray(0, o2), ...log.bytes.subarray(o3)]);
    await replaceLog(log.fs, missing);
    expect(await errorOf(reopen(log.fs))).toEqual({ code: 'CORRUPTION', file: PATH, offset: o2 });
    // even as the last record: a valid record with a wrong seq is never a torn tail
    await replaceLog(log.fs, new Uint8Array([...log.bytes, ...log.bytes.subarray(o3, log.offsets[4])]));
    expect(await codeOf(reopen(log.fs))).toBe('CORRUPTION');
  });

  it('zeros after the last record are free space, in every mode', async () => {
    const log = await makeLog();
    await replaceLog(log.fs, new Uint8Array([...log.bytes, ...new Uint8Array(5000)]));
    for (const mode of ['tolerateTornTail', 'absolute', 'salvage'] as const) {
      expect((await reopen(log.fs, mode)).result).toEqual({ lastSeq: 5 });
    }
  });

  it('zeros in the middle of the log (a lost block) are CORRUPTION', async () => {
    const log = await makeLog();
    const damaged = log.bytes.slice();
    damaged.fill(0, log.offsets[1]!, log.offsets[2]! + 5);
    await replaceLog(log.fs, damaged);
    expect(await errorOf(reopen(log.fs))).toEqual({ code: 'CORRUPTION', file: PATH, offset: log.offsets[1] });
  });

  it('a garbage header is CORRUPTION at offset 0; another version is CONFIG_MISMATCH', async () => {
    const log = await makeLog();
    for (const at of [0, 7, 12, 16, 20, 24, 32, 47, 48, 53, 60, 63]) {
      await replaceLog(log.fs, flipped(log.bytes, at, 1));
      expect(await errorOf(reopen(log.fs))).toEqual({ code: 'CORRUPTION', file: PATH, offset: 0 });
    }
    await replaceLog(log.fs, log.bytes.subarray(0, 20)); // a header cut short
    expect(await errorOf(reopen(log.fs))).toEqual({ code: 'CORRUPTION', file: PATH, offset: 0 });
    const v3 = log.bytes.slice();
    v3[8] = 3;
    new DataView(v3.buffer).setUint32(60, crc32c(v3, 0, 60), true);
    await replaceLog(log.fs, v3);
    expect(await errorOf(reopen(log.fs))).toEqual({ code: 'CONFIG_MISMATCH', file: PATH, offset: 0 });
  });

  it('a wrong config in an intact header is CONFIG_MISMATCH', async () => {
    const log = await makeLog();
    const wal = fsWal({ dir: DIR, fs: log.fs });
    expect(await codeOf(openWal(wal, { ...CONFIG, hasherId: 'sha256' }, 0, () => {}))).toBe('CONFIG_MISMATCH');
  });
});
