/**
 * Recovery's two passes over the log, read through a {@link LogWindow}: first the scan (where the
 * valid records end and what stops them), then, once everything is judged, the visit of the
 * records to replay. Both read the file in chunks; records larger than a chunk are read whole.
 * @module
 */
import type { WalRecordVisitor } from '@rotortree/core';
import { MAX_PAYLOAD, readU32, RECORD_HEADER, RECORD_OVERHEAD } from './format.js';
import type { LogWindow } from './log-window.js';
import type { NativeWalKernels } from './native.js';
import { scanRecordsWith, scanValidRun } from './scan.js';
import type { ScanResult } from './scan.js';
import { SparseIndex } from './sparse-index.js';

/** True when `len` can be a record's payload length. */
function plausible(len: number): boolean {
  return len !== 0 && (len & 31) === 0 && len <= MAX_PAYLOAD;
}

/** {@link scanRecordsWith} over the file behind `win`, from `start`, reading it in chunks. */
export async function scanLog(win: LogWindow, kernels: NativeWalKernels | undefined, start: number, baseSeq: number): Promise<ScanResult> {
  const size = win.size;
  const index = new SparseIndex();
  let pos = start;
  let seq = baseSeq;
  let need = 0;
  while (pos < size) {
    await win.load(pos, need);
    need = 0;
    const run = scanValidRun(kernels, win.bytes, 0, win.length, seq, index, pos);
    if (run.end > 0) {
      pos += run.end;
      seq = run.lastSeq;
      continue;
    }
    if (win.length === size - pos) break; // the rest of the file is resident: a real stop
    // Nothing valid at `pos` in the window: a record longer than the window, or a real stop.
    const whole = readU32(win.bytes, 0) + RECORD_OVERHEAD;
    if (!plausible(whole - RECORD_OVERHEAD) || whole > size - pos || whole <= win.length) break;
    need = whole;
  }
  if (pos >= size) return { end: pos, lastSeq: seq, stop: undefined, index };
  // What stopped the run is judged on the whole rest of the file (damage may have valid records after it).
  if (win.base !== pos || win.length !== size - pos) await win.load(pos, size - pos);
  return scanRecordsWith(kernels, win.bytes.subarray(0, win.length), 0, seq, index, pos);
}

/**
 * Calls `visit` for every record in `[start, end)` (all valid, first seq `baseSeq + 1`) with
 * seq > `afterSeq`, starting near the first of them thanks to `index`. One-leaf records (single
 * inserts) are handed over in one reused 32-byte buffer, copied as 8 words: cheaper than a view
 * per record. (Windows start at a record and records are multiples of 8 bytes long, so
 * payloads are 4-byte aligned in the window; see format.ts.)
 */
export async function visitLog(
  win: LogWindow,
  start: number,
  end: number,
  baseSeq: number,
  afterSeq: number,
  index: SparseIndex,
  visit: WalRecordVisitor,
): Promise<void> {
  const from = index.floor(afterSeq + 1);
  let pos = from === undefined ? start : from.offset;
  let seq = from === undefined ? baseSeq + 1 : from.seq;
  const one = new Int32Array(8);
  const oneBytes = new Uint8Array(one.buffer);
  let need = 0;
  while (pos < end) {
    await win.load(pos, need);
    const bytes = win.bytes;
    const avail = Math.min(win.length, end - pos);
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    let at = 0;
    while (at + RECORD_OVERHEAD <= avail) {
      const len = readU32(bytes, at);
      if (at + len + RECORD_OVERHEAD > avail) break;
      if (seq > afterSeq) {
        const payload = at + RECORD_HEADER;
        if (len === 32 && (payload & 3) === 0) {
          const w = payload >>> 2;
          for (let k = 0; k < 8; k++) one[k] = words[w + k]!;
          visit(seq, oneBytes);
        } else visit(seq, bytes.subarray(payload, payload + len));
      }
      at += len + RECORD_OVERHEAD;
      seq++;
    }
    // A record that did not fit: read it whole next time.
    need = at === 0 ? readU32(bytes, 0) + RECORD_OVERHEAD : 0;
    pos += at;
  }
}
