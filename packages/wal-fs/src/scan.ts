/**
 * Recovery's reading of a log image: where the valid records end and what follows them.
 * Pure (no I/O), so every damage case is testable on bytes.
 * @module
 */
import { readU64, validRecordHeader, validRecordLength } from './format.js';
import { SparseIndex } from './sparse-index.js';

/** What stops the scan before the end of the file. */
export type ScanStop =
  /** Only zero bytes follow: free (preallocated, or grown but never written) space. */
  | { readonly kind: 'zeros'; readonly offset: number }
  /** A bad or incomplete record with no valid record after it: a torn tail. */
  | { readonly kind: 'torn'; readonly offset: number }
  /** A bad record with a valid record after it (at `next`): damage, not a torn tail. */
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

/** Scans the records of `file[start, file.length)`, expecting seqs baseSeq+1, baseSeq+2, ... */
export function scanRecords(file: Uint8Array, start: number, baseSeq: number): ScanResult {
  const size = file.length;
  const index = new SparseIndex();
  let pos = start;
  let seq = baseSeq;
  let stop: ScanStop | undefined;
  while (pos < size) {
    const len = validRecordLength(file, pos, size);
    if (len < 0) {
      stop = classifyBadSpot(file, pos);
      break;
    }
    const got = readU64(file, pos + 4);
    if (got !== seq + 1) {
      stop = { kind: 'gap', offset: pos, seq: got, expected: seq + 1 };
      break;
    }
    index.note(got, pos);
    seq = got;
    pos += len;
  }
  return { end: pos, lastSeq: seq, stop, index };
}

function classifyBadSpot(file: Uint8Array, pos: number): ScanStop {
  let nonZero = pos;
  while (nonZero < file.length && file[nonZero] === 0) nonZero++;
  if (nonZero === file.length) return { kind: 'zeros', offset: pos };
  const next = findValidRecord(file, pos + 1);
  return next < 0 ? { kind: 'torn', offset: pos } : { kind: 'bad', offset: pos, next };
}

/** The first offset >= `from` holding a whole valid record (header and record CRC), or -1. */
export function findValidRecord(file: Uint8Array, from: number): number {
  const size = file.length;
  for (let q = from; q + 20 <= size; q++) {
    // Cheap filters first: a plausible len rejects ~all offsets before any CRC is computed.
    const lenLow = file[q]!;
    if ((lenLow & 31) !== 0) continue;
    if (validRecordHeader(file, q, size) && validRecordLength(file, q, size) > 0) return q;
  }
  return -1;
}
