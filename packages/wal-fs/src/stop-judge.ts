/**
 * What stops the valid run of records, judged by streaming the rest of the file through a
 * {@link LogWindow}: memory is the window's (a few MiB), whether GiBs of zeros or of damage follow.
 * No I/O but the window's reads, so every case is testable on bytes (a window over a memory reader).
 *
 * The verdicts (see {@link ScanStop}), for the spot `pos` where record `expected` should start:
 * - a valid record with another seq at `pos`: `gap`;
 * - only zero bytes from `pos` on: `zeros` (free space);
 * - else the first valid records after `pos` are looked for (a record may start at any byte): none,
 *   or only records of the flush that began at or before `expected`: `torn`; any other (a later
 *   flush, a stale or repeated seq): `bad`.
 * @module
 */
import { Buffer } from 'node:buffer';
import { readU32, readU64, RECORD_HEADER, RECORD_OVERHEAD, validRecordHeader } from './format.js';
import type { LogWindow } from './log-window.js';
import { recordLengthAt } from './record-at.js';
import type { ScanStop } from './scan.js';

/** Judges the spot `pos` (before the end of the file) where the valid run stopped; `expected` is the seq it wanted there. */
export async function judgeStop(win: LogWindow, pos: number, expected: number): Promise<ScanStop> {
  if ((await recordLengthAt(win, pos)) > 0) {
    await win.load(pos, RECORD_OVERHEAD);
    return { kind: 'gap', offset: pos, seq: readU64(win.bytes, 4), expected };
  }
  const nonZero = await firstNonZeroFrom(win, pos);
  if (nonZero === win.size) return { kind: 'zeros', offset: pos };
  // Only the last flush can be torn by a crash. A record after the damage belongs to the
  // damaged record's flush when its flush began at or before `expected`; any other valid record
  // (a later flush, a stale or repeated seq) means the damage is not a torn tail.
  // (A record's len is not 0: none starts 4 or more bytes before the first non-zero byte.)
  for (let from = Math.max(pos + 1, nonZero - 3); ; ) {
    const next = await findValidRecordFrom(win, from);
    if (next === undefined) return { kind: 'torn', offset: pos };
    await win.load(next.offset, RECORD_OVERHEAD);
    const seq = readU64(win.bytes, 4);
    const flushFirstSeq = seq - readU32(win.bytes, 12);
    if (seq <= expected || flushFirstSeq > expected) return { kind: 'bad', offset: pos, next: next.offset };
    from = next.offset + next.length;
  }
}

/** The first file offset >= `from` of a non-zero byte, or the file's size. */
async function firstNonZeroFrom(win: LogWindow, from: number): Promise<number> {
  for (let pos = from; pos < win.size; pos = win.base + win.length) {
    if (!win.holds(pos, 1)) await win.load(pos, win.tailChunk);
    const at = firstNonZero(win.bytes, pos - win.base, win.length);
    if (at < win.length) return win.base + at;
  }
  return win.size;
}

/**
 * The first file offset >= `from` holding a whole valid record (header CRC and record CRC right,
 * inside the file), with its length; `undefined` if there is none.
 */
async function findValidRecordFrom(win: LogWindow, from: number): Promise<{ offset: number; length: number } | undefined> {
  const size = win.size;
  for (let q = from; q + RECORD_OVERHEAD <= size; ) {
    if (!win.holds(q, RECORD_HEADER)) await win.load(q, win.tailChunk);
    const base = win.base;
    // Candidates whose 20-byte header is resident and that leave room for a record in the file.
    const last = Math.min(win.length - RECORD_HEADER, size - RECORD_OVERHEAD - base);
    const at = nextHeader(win.bytes, q - base, last, size - base);
    if (at > last) {
      q = base + at;
      continue;
    }
    const length = await recordLengthAt(win, base + at);
    if (length > 0) return { offset: base + at, length };
    q = base + at + 1;
  }
  return undefined;
}

/**
 * The first index in `[from, last]` where `bytes` hold a record header with a plausible len that
 * fits before `end` and a right header CRC (`bytes[from, last + 20)` must be resident); if none, an
 * index past `last` from which the search goes on (stretches of zeros are skipped: no record starts
 * 4 or more bytes before a non-zero byte).
 */
export function nextHeader(bytes: Uint8Array, from: number, last: number, end: number): number {
  for (let i = from; i <= last; ) {
    // Cheap filters first: a plausible len rejects ~all offsets before any CRC is computed.
    if ((bytes[i]! & 31) !== 0) {
      i++;
      continue;
    }
    if (readU32(bytes, i) === 0) {
      // (bytes [i, last + 4) are resident: `last` leaves room for a header.)
      i = Math.max(i + 1, firstNonZero(bytes, i + 4, last + 4) - 3);
      continue;
    }
    if (validRecordHeader(bytes, i, end)) return i;
    i++;
  }
  return last + 1;
}

const ZERO_BLOCK = new Uint8Array(64 * 1024);

/** The first index in `[from, to)` of a non-zero byte of `bytes`, or `to`. */
export function firstNonZero(bytes: Uint8Array, from: number, to: number): number {
  // A few bytes one by one (damage rarely holds long zero runs), then whole blocks by memcmp.
  const oneByOne = Math.min(to, from + 64);
  let i = from;
  for (; i < oneByOne; i++) if (bytes[i] !== 0) return i;
  while (i < to) {
    const n = Math.min(ZERO_BLOCK.length, to - i);
    if (Buffer.compare(bytes.subarray(i, i + n), ZERO_BLOCK.subarray(0, n)) !== 0) {
      while (bytes[i] === 0) i++;
      return i;
    }
    i += n;
  }
  return to;
}
