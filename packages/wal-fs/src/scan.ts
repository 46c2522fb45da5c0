/**
 * Recovery's reading of log bytes: the run of valid records, and the verdicts on what stops it
 * (judged in stop-judge.ts). Pure (no I/O), so every case is testable on bytes.
 * @module
 */
import { readU64, validRecordLength } from './format.js';
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
