/**
 * Recovery's two passes over the log, read through a {@link LogWindow}: first the scan (where the
 * valid records end and what stops them), then, once everything is judged, the visit of the
 * records to replay. Both read the file in chunks; a valid record larger than a chunk is read
 * whole (replay hands its leaves over in one piece). What follows the valid records is judged in
 * windows (stop-judge.ts): the memory of recovery is a few MiB plus the largest record whose
 * header CRC is right, whatever lies after the last record (GiBs of preallocated zeros, of damage).
 * @module
 */
import type { WalRecordVisitor } from '@rotortree/core';
import { readU32, readU64, RECORD_HEADER, RECORD_OVERHEAD, validRecordHeader } from './format.js';
import type { RunFeeder } from './run-feeder.js';
import type { LogWindow } from './log-window.js';
import type { NativeWalKernels } from './native.js';
import { plausibleLength, recordLengthAt } from './record-at.js';
import { scanValidRun } from './scan.js';
import type { ScanResult } from './scan.js';
import { SparseIndex } from './sparse-index.js';
import { judgeStop } from './stop-judge.js';

/**
 * Scans the records of the file behind `win` from `start`, expecting seqs baseSeq+1,
 * baseSeq+2, ...: where the valid run ends, and what stops it (see stop-judge.ts). With a
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
    need = await lengthToReadWhole(win, pos, seq + 1);
    if (need === 0) break;
  }
  const stop = pos < size ? await judgeStop(win, pos, seq + 1) : undefined;
  return { end: pos, lastSeq: seq, stop, index };
}

/**
 * For the record at `pos`, resident at the window's start and longer than it: its whole length
 * if it may be the valid record `seq`, else 0. It is read whole only when its header CRC vouches
 * for its length (the writer held that record whole) or, should the header be damaged, when its
 * CRC checks out streamed: a damaged len must never make recovery allocate up to 1 GiB.
 */
async function lengthToReadWhole(win: LogWindow, pos: number, seq: number): Promise<number> {
  const len = readU32(win.bytes, 0);
  const whole = len + RECORD_OVERHEAD;
  if (!plausibleLength(len) || whole > win.size - pos || whole <= win.length || readU64(win.bytes, 4) !== seq) return 0;
  if (validRecordHeader(win.bytes, 0, win.size - pos) || (await recordLengthAt(win, pos)) > 0) return whole;
  return 0;
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
