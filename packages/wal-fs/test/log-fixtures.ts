/** Whole logs as bytes, damaged or not, for the tests of recovery's scans and replay. */
import fc from 'fast-check';
import type { Wal } from '@rotortree/core';
import { encodeHeader, headerLength, RECORD_OVERHEAD } from '../src/format.js';
import { LogWindow } from '../src/log-window.js';
import type { ByteReader } from '../src/log-window.js';
import { RecordBuffer } from '../src/record-buffer.js';
import { CONFIG, leaves } from './support.js';

/** Bytes of the log header of {@link makeLog}'s logs (the same for every baseSeq). */
export const HEADER = encodeHeader({ ...CONFIG, baseSeq: 0 }).length;

/** The parts back to back. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A log (header included) of records with `sizes[i]` leaves (record i holds `leaves(i * 50, k)`),
 * flushed in groups of `perFlush`; record i has seq `seqs[i]` (default baseSeq + i + 1).
 */
export function makeLog(sizes: readonly number[], perFlush: number, baseSeq: number, seqs?: readonly number[]): Uint8Array {
  const parts: Uint8Array[] = [encodeHeader({ ...CONFIG, baseSeq })];
  let buffer = new RecordBuffer();
  for (const [i, k] of sizes.entries()) {
    buffer.append(seqs?.[i] ?? baseSeq + i + 1, leaves(i * 50, k));
    if ((i + 1) % perFlush === 0) {
      parts.push(buffer.bytes.slice(0, buffer.used));
      buffer = new RecordBuffer();
    }
  }
  parts.push(buffer.bytes.slice(0, buffer.used));
  return concat(parts);
}

/**
 * A record with seq `seq` written by a flush that began `flushOffset` records earlier, of `k`
 * leaves (`leaves(seq * 10, k)`) or of the given payload.
 */
export function recordWith(seq: number, flushOffset: number, payload: number | Uint8Array): Uint8Array {
  const buffer = new RecordBuffer();
  if (flushOffset > 0) buffer.append(seq - flushOffset, leaves(0, 1));
  const from = buffer.used;
  buffer.append(seq, typeof payload === 'number' ? leaves(seq * 10, payload) : payload);
  return buffer.bytes.slice(from, buffer.used);
}

/**
 * Appends to the open, empty `wal` one flush after the other (`flushes[i]`: the leaf counts of
 * its records; record seq s holds `leaves(s * 10, k)`); returns the record starts in the file and
 * the end of the last record.
 */
export async function appendFlushes(wal: Wal, flushes: readonly (readonly number[])[]): Promise<{ starts: number[]; end: number }> {
  const starts: number[] = [];
  let at = headerLength(CONFIG.hasherId.length);
  let seq = 0;
  for (const records of flushes) {
    for (const k of records) {
      wal.append(++seq, leaves(seq * 10, k));
      starts.push(at);
      at += RECORD_OVERHEAD + k * 32;
    }
    await wal.flush();
  }
  return { starts, end: at };
}

/** One damage after the header: a flipped bit, a cut, or zeros appended; or none. */
export type Damage = { readonly at: number; readonly kind: 'flip' | 'cut' | 'zeros' } | null;
export const damageArb: fc.Arbitrary<Damage> = fc.option(fc.record({ at: fc.nat(), kind: fc.constantFrom('flip' as const, 'cut' as const, 'zeros' as const) }));

/** `file` with damage `d` past the header (a copy when bytes change; the file itself if it is no longer than the header). */
export function damaged(file: Uint8Array, d: Damage): Uint8Array {
  if (d === null || file.length <= HEADER) return file;
  const at = HEADER + (d.at % (file.length - HEADER));
  if (d.kind === 'flip') {
    const out = file.slice();
    out[at]! ^= 0x40;
    return out;
  }
  if (d.kind === 'cut') return file.subarray(0, at);
  const out = new Uint8Array(file.length + (d.at % 100));
  out.set(file);
  return out;
}

/** Reads `bytes` as a file handle would (short only at the end). */
export function memoryReader(bytes: Uint8Array): ByteReader {
  return {
    read: async (buf, off, len, pos) => {
      const n = Math.max(0, Math.min(len, bytes.length - pos));
      buf.set(bytes.subarray(pos, pos + n), off);
      return n;
    },
  };
}

/** A {@link LogWindow} over `bytes` reading `chunk` bytes at a time (`tailChunk` past the valid records). */
export function windowOver(bytes: Uint8Array, chunk: number, tailChunk = chunk): LogWindow {
  return new LogWindow(memoryReader(bytes), bytes.length, undefined, chunk, tailChunk);
}
