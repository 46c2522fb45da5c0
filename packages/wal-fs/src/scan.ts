/**
 * Recovery's reading of a log image: where the valid records end and what follows them.
 * Pure (no I/O), so every damage case is testable on bytes.
 * @module
 */
import { readU32, readU64, RECORD_OVERHEAD, validRecordHeader, validRecordLength } from './format.js';
import type { NativeWalKernels } from './native.js';
import { SparseIndex } from './sparse-index.js';

/** What stops the scan before the end of the file. */
export type ScanStop =
  /** Only zero bytes follow: free (preallocated, or grown but never written) space. */
  | { readonly kind: 'zeros'; readonly offset: number }
  /**
   * A bad or incomplete record followed by no valid record, or only by records of the same
   * flush (whose pages can reach the disk before the bad record's): a torn tail.
   */
  | { readonly kind: 'torn'; readonly offset: number }
  /** A bad record with a valid record of a later flush after it (at `next`): damage, not a torn tail. */
  | { readonly kind: 'bad'; readonly offset: number; readonly next: number }
  /** A valid record whose seq is not the previous + 1 (a gap or a duplicate). */
  | { readonly kind: 'gap'; readonly offset: number; readonly seq: number; readonly expected: number };

export interface ScanResult {
  /** Offset just past the last valid record. */
  readonly end: number;
  /** Seq of the last valid record (`baseSeq` if none). */
  readonly lastSeq: number;
  /** Why the scan stopped before the end of the file, if it did. */
  readonly stop: ScanStop | undefined;
  /** Offsets of some record starts (for truncate). */
  readonly index: SparseIndex;
}

/**
 * Scans the records of `file[start, file.length)`, expecting seqs baseSeq+1, baseSeq+2, ...,
 * with the native kernels or in JS only (`undefined`). `file` may be the tail of the log that
 * starts at file offset `shift`: offsets in the result, and those noted in `index`, are file offsets.
 */
export function scanRecordsWith(
  kernels: NativeWalKernels | undefined,
  file: Uint8Array,
  start: number,
  baseSeq: number,
  index = new SparseIndex(),
  shift = 0,
): ScanResult {
  const run = scanValidRun(kernels, file, start, file.length, baseSeq, index, shift);
  let stop: ScanStop | undefined;
  if (run.end < file.length) {
    const pos = run.end;
    const expected = run.lastSeq + 1;
    const got = validRecordLength(file, pos, file.length) < 0 ? undefined : readU64(file, pos + 4);
    const local = got === undefined ? classifyBadSpot(file, pos, expected) : { kind: 'gap' as const, offset: pos, seq: got, expected };
    stop =
      local.kind === 'bad'
        ? { ...local, offset: local.offset + shift, next: local.next + shift }
        : { ...local, offset: local.offset + shift };
  }
  return { end: run.end + shift, lastSeq: run.lastSeq, stop, index };
}

/**
 * The spacing of {@link SparseIndex} entries: the native scan proposes only the starts the index
 * keeps (were the index's spacing changed, `note` would still filter, so the index stays valid).
 */
const NOTE_SPACING = 64 * 1024;
/** Index entries one native scan call can return (a 1 MiB window needs at most 16). */
const NOTE_CAPACITY = 256;
const noteTable = new Float64Array(2 + 2 * NOTE_CAPACITY);

/**
 * The longest run of valid records in `buf[start, end)` with seqs baseSeq+1, baseSeq+2, ...:
 * where it ends (in `buf`) and its last seq. Notes the record starts, as file offsets
 * (`shift` + offset in `buf`), in `index`. Says nothing about what stopped it.
 * With the native kernels, the run is found and its index entries chosen in one native call
 * (CRC and seq checks): JS touches no record.
 */
export function scanValidRun(
  kernels: NativeWalKernels | undefined,
  buf: Uint8Array,
  start: number,
  end: number,
  baseSeq: number,
  index: SparseIndex,
  shift: number,
): { readonly end: number; readonly lastSeq: number } {
  let pos = start;
  let seq = baseSeq;
  if (kernels !== undefined) {
    for (;;) {
      const last = index.floor(Number.MAX_SAFE_INTEGER);
      const lastNoted = last === undefined ? -Number.MAX_SAFE_INTEGER : last.offset;
      const notes = kernels.scanRun(buf, pos, end, seq, shift, lastNoted, NOTE_SPACING, noteTable);
      for (let i = 0; i < notes; i++) index.note(noteTable[2 + 2 * i]!, noteTable[3 + 2 * i]!);
      pos = noteTable[0]!;
      seq = noteTable[1]!;
      if (notes < NOTE_CAPACITY) return { end: pos, lastSeq: seq };
    }
  }
  while (pos < end) {
    const len = validRecordLength(buf, pos, end);
    if (len < 0 || readU64(buf, pos + 4) !== seq + 1) break;
    index.note(++seq, pos + shift);
    pos += len;
  }
  return { end: pos, lastSeq: seq };
}

/** What the bad spot at `pos`, where record `expected` should start, is. */
function classifyBadSpot(file: Uint8Array, pos: number, expected: number): ScanStop {
  let nonZero = pos;
  while (nonZero < file.length && file[nonZero] === 0) nonZero++;
  if (nonZero === file.length) return { kind: 'zeros', offset: pos };
  // Only the last flush can be torn by a crash. A record after the damage belongs to the
  // damaged record's flush when its flush began at or before `expected`; any other valid record
  // (a later flush, a stale or repeated seq) means the damage is not a torn tail.
  for (let from = pos + 1; ; ) {
    const next = findValidRecord(file, from);
    if (next < 0) return { kind: 'torn', offset: pos };
    const seq = readU64(file, next + 4);
    const flushFirstSeq = seq - readU32(file, next + 12);
    if (seq <= expected || flushFirstSeq > expected) return { kind: 'bad', offset: pos, next };
    from = next + validRecordLength(file, next, file.length);
  }
}

/** The first offset >= `from` holding a whole valid record (header and record CRC), or -1. */
export function findValidRecord(file: Uint8Array, from: number): number {
  const size = file.length;
  for (let q = from; q + RECORD_OVERHEAD <= size; q++) {
    // Cheap filters first: a plausible len rejects ~all offsets before any CRC is computed.
    const lenLow = file[q]!;
    if ((lenLow & 31) !== 0) continue;
    if (validRecordHeader(file, q, size) && validRecordLength(file, q, size) > 0) return q;
  }
  return -1;
}
