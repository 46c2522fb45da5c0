/**
 * Checking one record of the file through a {@link LogWindow}, with the window's memory whatever
 * the record's length: its CRC is continued over one window of it after the other.
 * @module
 */
import { crc32c } from './checksum.js';
import { MAX_PAYLOAD, readU32, RECORD_HEADER, RECORD_OVERHEAD } from './format.js';
import type { LogWindow } from './log-window.js';

/** True when `len` can be a record's payload length. */
export function plausibleLength(len: number): boolean {
  return len !== 0 && (len & 31) === 0 && len <= MAX_PAYLOAD;
}

/**
 * Length of the whole record at file offset `at` if it is valid (as `validRecordLength` of
 * format.ts over the whole file), else -1. Reads through `win` in its tail chunks and leaves it
 * anywhere; a record that is resident costs no read.
 */
export async function recordLengthAt(win: LogWindow, at: number): Promise<number> {
  if (win.size - at < RECORD_OVERHEAD) return -1;
  if (!win.holds(at, RECORD_HEADER)) await win.load(at, win.tailChunk);
  const len = readU32(win.bytes, at - win.base);
  if (!plausibleLength(len) || len > win.size - at - RECORD_OVERHEAD) return -1;
  const crcAt = at + RECORD_HEADER + len;
  let crc = 0;
  for (let pos = at; pos < crcAt; ) {
    if (!win.holds(pos, 1)) await win.load(pos, win.tailChunk);
    const upTo = Math.min(win.base + win.length, crcAt);
    crc = crc32c(win.bytes, pos - win.base, upTo - win.base, crc);
    pos = upTo;
  }
  if (!win.holds(crcAt, 4)) await win.load(crcAt, 4);
  return readU32(win.bytes, crcAt - win.base) === crc ? len + RECORD_OVERHEAD : -1;
}
