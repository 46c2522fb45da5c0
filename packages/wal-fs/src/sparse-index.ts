/**
 * Where some records start, so that `truncate` reads only from near the first record it keeps:
 * one entry per >= 64 KiB of log (and per flush batch), not one per record.
 * @module
 */

const SPACING = 64 * 1024;

export class SparseIndex {
  private seqs: number[] = [];
  private offsets: number[] = [];

  /** Records that the record `seq` starts at `offset` (kept only if far enough from the last entry). */
  note(seq: number, offset: number): void {
    const last = this.offsets.length === 0 ? -Infinity : this.offsets[this.offsets.length - 1]!;
    if (offset - last < SPACING) return;
    this.seqs.push(seq);
    this.offsets.push(offset);
  }

  /** The last entry with seq <= `seq`: a record start from which to walk to `seq`. */
  floor(seq: number): { seq: number; offset: number } | undefined {
    let lo = 0;
    let hi = this.seqs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid]! <= seq) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : { seq: this.seqs[found]!, offset: this.offsets[found]! };
  }

  /**
   * The index after a rewrite that keeps the records from `fromOffset` on (the first of them,
   * `firstSeq`) and moves them to start at `newOffset`.
   */
  rebase(fromOffset: number, newOffset: number, firstSeq: number): SparseIndex {
    const out = new SparseIndex();
    out.note(firstSeq, newOffset);
    for (let i = 0; i < this.seqs.length; i++) {
      if (this.offsets[i]! >= fromOffset) out.note(this.seqs[i]!, this.offsets[i]! - fromOffset + newOffset);
    }
    return out;
  }
}
