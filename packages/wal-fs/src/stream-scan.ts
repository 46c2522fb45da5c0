/**
 * Recovery's two passes over the log, read through a {@link LogWindow}: first the scan (where the
 * valid records end and what stops them), then, once everything is judged, the visit of the
 * records to replay. Both read the file in chunks; records larger than a chunk are read whole.
 * @module
 */
import type { WalRecordVisitor } from '@rotortree/core';
import { MAX_PAYLOAD, readU32, RECORD_HEADER, RECORD_OVERHEAD } from './format.js';
import type { RunFeeder } from './run-feeder.js';
import type { LogWindow } from './log-window.js';
import type { NativeWalKernels } from './native.js';
import { scanRecordsWith, scanValidRun } from './scan.js';
import type { ScanResult } from './scan.js';
import { SparseIndex } from './sparse-index.js';

/** True when `len` can be a record's payload length. */
function plausible(len: number): boolean {
  return len !== 0 && (len & 31) === 0 && len <= MAX_PAYLOAD;
}

/**
 * {@link scanRecordsWith} over the file behind `win`, from `start`, reading it in chunks. With a
 * `feeder`, every record of the valid run is handed to it as soon as it is checked (so a caller
 * must be ready to discard what it was fed if the scan then finds the log unusable).
 */
export async function scanLog(
  win: LogWindow,
  kernels: NativeWalKernels | undefined,
  start: number,
  baseSeq: number,
  feeder?: RunFeeder,
): Promise<ScanResult> {
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
      feeder?.add(win.bytes, run.end, seq + 1, run.lastSeq);
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
  const result = scanRecordsWith(kernels, win.bytes.subarray(0, win.length), 0, seq, index, pos);
  if (result.end > pos) feeder?.add(win.bytes, result.end - pos, seq + 1, result.lastSeq);
  return result;
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
  const cursor = new VisitCursor(from === undefined ? baseSeq + 1 : from.seq, afterSeq);
  let need = 0;
  while (pos < end) {
    await win.load(pos, need);
    const bytes = win.bytes;
    const at = visitWindow(bytes, Math.min(win.length, end - pos), cursor, visit);
    // A record that did not fit: read it whole next time.
    need = at === 0 ? readU32(bytes, 0) + RECORD_OVERHEAD : 0;
    pos += at;
  }
}


/** Where {@link visitLog} is: the seq of the next record, and the reused one-leaf buffer. */
class VisitCursor {
  readonly one = new Int32Array(8);
  readonly oneBytes = new Uint8Array(this.one.buffer);
  constructor(
    public seq: number,
    readonly afterSeq: number,
  ) {}
}

/**
 * Visits the whole records of `bytes[0, avail)` (a window that starts at a record); returns the
 * offset just past them. Kept apart from the async {@link visitLog}: a small synchronous loop
 * that V8 re-optimizes in a moment after each open drops the visitor it had inlined.
 */
function visitWindow(bytes: Uint8Array, avail: number, cursor: VisitCursor, visit: WalRecordVisitor): number {
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  const { one, oneBytes, afterSeq } = cursor;
  let seq = cursor.seq;
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
  cursor.seq = seq;
  return at;
}
