/**
 * GiBs after the last record (preallocated zeros, damage) on real files: recovery judges them in
 * windows, with memory independent of their size. The tails are sparse (`truncate` past the end),
 * so they take no disk space and read as zeros from the page cache; but the first read of a hole
 * fills the page cache, which took 1.4 s for 2.25 GiB here when idle and 6-11 s with the machine
 * loaded. So by default the tails are 512 MiB in the child processes (where a whole-tail read
 * breaks the memory bound) and 256 MiB elsewhere; `ROTORTREE_HUGE_TAIL=1` makes every tail 4.25
 * GiB, past the 2 GiB at which a whole-tail read aborted the process and the 4 GiB at which it threw
 * a RangeError.
 */
import { execFile } from 'node:child_process';
import { closeSync, openSync, readSync, statSync, truncateSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPrng } from '@rotortree/core/fs';
import { fsWal } from '../src/index.js';
import type { RecoveryMode } from '../src/index.js';
import { MAX_PAYLOAD, RECORD_OVERHEAD, writeU32 } from '../src/format.js';
import { appendFlushes, recordWith } from './log-fixtures.js';
import { errorOf, leaves, openCollect } from './support.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const HUGE = process.env['ROTORTREE_HUGE_TAIL'] === '1';
/** The tail read in a child process, where the peak memory is measured. */
const CHILD_TAIL = HUGE ? 4.25 * GiB : 512 * MiB;
/** The other tails. */
const TAIL = HUGE ? 4.25 * GiB : 256 * MiB;
/**
 * The peak resident memory allowed to the child that opens the log: node itself takes ~58 MiB
 * here; recovery's windows a few MiB. A whole-tail read took more than the tail (1.4 GB for 1.3 GiB).
 */
const CHILD_HWM_BOUND_KIB = 128 * 1024;

const OPEN_CHILD = fileURLToPath(new URL('./open-wal-child.mjs', import.meta.url));

let dir = '';
let path = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotortree-tail-'));
  path = join(dir, 'wal.log');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes flushes of records (leaf counts) with the real WAL; returns the record starts and the end. */
async function writeLog(flushes: readonly (readonly number[])[]): Promise<{ starts: number[]; end: number }> {
  const wal = fsWal({ dir });
  await openCollect(wal);
  const written = await appendFlushes(wal, flushes);
  await wal.close();
  expect(statSync(path).size).toBe(written.end);
  return written;
}

/** Writes `bytes` into the log at `offset` (growing it sparsely if past its end). */
function writeAt(bytes: Uint8Array, offset: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** XORs the log's byte at `offset` with 1. */
function flipAt(offset: number): void {
  const fd = openSync(path, 'r+');
  try {
    const b = new Uint8Array(1);
    expect(readSync(fd, b, 0, 1, offset)).toBe(1);
    b[0]! ^= 1;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

/** Pseudo-random bytes (never a valid record in practice: its CRCs would have to match). */
function junk(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  createPrng(seed).fill(out);
  return out;
}

/** Opens the log in a fresh process: what recovery found, and the process's peak memory. */
async function openInChild(recovery?: RecoveryMode): Promise<{ lastSeq?: number; records?: number; tornTail?: unknown; code?: string; hwmKiB: number }> {
  const args = [OPEN_CHILD, dir, ...(recovery === undefined ? [] : [recovery])];
  const { stdout } = await promisify(execFile)(process.execPath, args);
  return JSON.parse(stdout) as { lastSeq?: number; records?: number; tornTail?: unknown; code?: string; hwmKiB: number };
}

const seqsUpTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe(`a sparse tail of ${CHILD_TAIL / MiB} MiB opened in a fresh process`, () => {
  it('of zeros after the records: free space, with bounded memory', async () => {
    const { end } = await writeLog([[1, 2], [3]]);
    truncateSync(path, end + CHILD_TAIL);
    const opened = await openInChild();
    expect(opened).toMatchObject({ lastSeq: 3, records: 3 });
    expect(opened.tornTail).toBeUndefined();
    expect(opened.hwmKiB).toBeLessThan(CHILD_HWM_BOUND_KIB);
  }, 60_000);

  it('of junk, then a record of a later flush: CORRUPTION, with bounded memory', async () => {
    const { starts, end } = await writeLog([[1], [2, 1]]); // seq 1, then 2-3
    flipAt(starts[1]! + 30); // seq 2: damage with a record of its own flush after it
    for (let at = end; at < end + CHILD_TAIL; at += 256 * MiB) writeAt(junk(64 * 1024, at), at);
    writeAt(recordWith(4, 0, 2), end + CHILD_TAIL);
    const opened = await openInChild();
    expect(opened).toMatchObject({ code: 'CORRUPTION' });
    expect(opened.hwmKiB).toBeLessThan(CHILD_HWM_BOUND_KIB);
  }, 60_000);

  it('after a record whose damaged len claims up to 1 GiB: a torn tail, that record checked in windows', async () => {
    const { starts } = await writeLog([[1, 2], [3]]);
    const claimed = HUGE ? MAX_PAYLOAD : 256 * MiB; // its header CRC no longer matches
    const len = new Uint8Array(4);
    writeU32(len, 0, claimed);
    writeAt(len, starts[2]!);
    const size = starts[2]! + RECORD_OVERHEAD + claimed + MiB;
    truncateSync(path, size);
    const opened = await openInChild();
    expect(opened).toMatchObject({ lastSeq: 2, records: 2, tornTail: { file: path, offset: starts[2], bytes: size - starts[2]! } });
    expect(opened.hwmKiB).toBeLessThan(CHILD_HWM_BOUND_KIB);
  }, 60_000);
});

describe(`a sparse tail of ${TAIL / MiB} MiB`, () => {
  it('of zeros is free space: no torn tail, and the next flush writes into it', async () => {
    const { end } = await writeLog([[1, 2], [3]]);
    const size = end + TAIL;
    truncateSync(path, size);
    const wal = fsWal({ dir });
    const { result, records } = await openCollect(wal);
    expect(result).toEqual({ lastSeq: 3 });
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    wal.append(4, leaves(40, 2));
    expect(await wal.flush()).toBe(4);
    await wal.close();
    expect(statSync(path).size).toBe(size);
    const again = fsWal({ dir });
    expect((await openCollect(again)).records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    await again.close();
  }, 60_000);

  it('after a damaged record: a torn tail, cut (CORRUPTION when absolute)', async () => {
    const { starts, end } = await writeLog([[1, 2], [3, 1]]);
    const size = end + TAIL;
    truncateSync(path, size);
    flipAt(starts[3]! + 20);
    expect(await errorOf(openCollect(fsWal({ dir, recovery: 'absolute' })))).toMatchObject({ code: 'CORRUPTION', offset: starts[3] });
    const wal = fsWal({ dir });
    const { result, records } = await openCollect(wal);
    await wal.close();
    expect(result).toEqual({ lastSeq: 3, tornTail: { file: path, offset: starts[3], bytes: size - starts[3]! } });
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(statSync(path).size).toBe(starts[3]);
  }, 60_000);

  it('of junk, then a record: of a later flush, CORRUPTION; of the torn flush, a torn tail', async () => {
    const { starts, end } = await writeLog([[1], [2, 1]]); // seq 1, then 2-3
    flipAt(starts[1]! + 30);
    writeAt(junk(MiB, 7), end);
    for (let at = end + 64 * MiB; at < end + TAIL; at += 64 * MiB) writeAt(junk(4096, at), at);
    writeAt(recordWith(4, 0, 2), end + TAIL); // seq 4, of a flush that began at 4
    expect(await errorOf(openCollect(fsWal({ dir })))).toMatchObject({ code: 'CORRUPTION', offset: starts[1] });
    const sameFlush = recordWith(4, 2, 2); // seq 4, of the flush that began at 2
    writeAt(sameFlush, end + TAIL);
    const size = end + TAIL + sameFlush.length;
    expect(await errorOf(openCollect(fsWal({ dir, recovery: 'absolute' })))).toMatchObject({ code: 'CORRUPTION', offset: starts[1] });
    const wal = fsWal({ dir });
    const { result, records } = await openCollect(wal);
    await wal.close();
    expect(result).toEqual({ lastSeq: 1, tornTail: { file: path, offset: starts[1], bytes: size - starts[1]! } });
    expect(records.map((r) => r.seq)).toEqual(seqsUpTo(1));
  }, 60_000);
});

describe('a torn flush of records longer than the windows', () => {
  it('damage followed by records of its own flush is a torn tail; then a later flush makes it CORRUPTION', async () => {
    // Seq 1; then one flush of 6 MiB, 1 leaf, 5 MiB: longer than a read (1 MiB) and a tail read (4 MiB).
    const { starts, end } = await writeLog([[1], [(6 * MiB) / 32, 1, (5 * MiB) / 32]]);
    flipAt(starts[1]! + 3 * MiB);
    truncateSync(path, end + 64 * MiB);
    expect(await errorOf(openCollect(fsWal({ dir, recovery: 'absolute' })))).toMatchObject({ code: 'CORRUPTION', offset: starts[1] });
    writeAt(recordWith(5, 0, 1), end + 64 * MiB); // a later flush
    expect(await errorOf(openCollect(fsWal({ dir })))).toMatchObject({ code: 'CORRUPTION', offset: starts[1] });
    truncateSync(path, end + 64 * MiB); // without it: torn
    const again = fsWal({ dir });
    const { result, records } = await openCollect(again);
    await again.close();
    expect(result).toEqual({ lastSeq: 1, tornTail: { file: path, offset: starts[1], bytes: end + 64 * MiB - starts[1]! } });
    expect(records.map((r) => r.seq)).toEqual(seqsUpTo(1));
  }, 60_000);
});
