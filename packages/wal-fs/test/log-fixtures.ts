/** Whole logs as bytes, damaged or not, for the tests of recovery's scans and replay. */
import fc from 'fast-check';
import { faultyFileSystem } from '@rotortree/core/fs';
import { encodeHeader } from '../src/format.js';
import { LogWindow } from '../src/log-window.js';
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

/** A {@link LogWindow} reading `bytes` (written to a fresh simulated file) in chunks of `chunk` bytes. */
export async function windowOver(bytes: Uint8Array, chunk: number): Promise<LogWindow> {
  const fs = faultyFileSystem({ seed: 1 });
  const fh = await fs.open('/log', 'w+');
  await fh.pwrite(bytes, 0, bytes.length, 0);
  return new LogWindow(fh, bytes.length, undefined, chunk);
}
