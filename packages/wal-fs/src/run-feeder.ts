/**
 * Replay in runs (`WalRunVisitor`) during recovery's single pass over the log: the scan hands each
 * stretch of records it has just validated to a {@link RunFeeder}, which copies the leaves of
 * small records back to back into one buffer (the native `gatherRun` when the addon is loaded) and
 * hands them over as one run when the buffer is full and at the end. So a log of single inserts
 * is read once, and JS does O(1) work per run instead of per record.
 * @module
 */
import type { WalRunVisitor } from '@rotortree/core';
import { readU32, RECORD_HEADER, RECORD_OVERHEAD } from './format.js';
import { gatherRunWith } from './gather.js';
import type { NativeWalKernels } from './native.js';

/** Bytes of leaves gathered before a run is handed over (32 Ki leaves). */
export const GATHER_BYTES = 1 << 20;
/** Records with a larger payload are handed over alone, in place (a view of the read buffer), not copied. */
export const GATHER_MAX_PAYLOAD = 64 * 1024;

/** Turns the stretches of checked records the scan hands it into runs for a `WalRunVisitor`. */
export class RunFeeder {
  private readonly gather: Uint8Array;
  private readonly stats = new Float64Array(2);
  /** `gather[0, used)` holds the leaves of records `firstSeq` .. `firstSeq + records - 1`. */
  private used = 0;
  private firstSeq = 0;
  private records = 0;

  constructor(
    private readonly kernels: NativeWalKernels | undefined,
    /** Records up to this seq are not handed over (a checkpoint holds them). */
    private readonly afterSeq: number,
    private readonly visitRun: WalRunVisitor,
    /** Bytes of records in the log (the gather buffer needs no more). */
    logBytes: number,
    /** Size of the gather buffer (a multiple of 32; smaller in tests). */
    gatherBytes = GATHER_BYTES,
  ) {
    this.gather = new Uint8Array(Math.max(0, Math.min(gatherBytes, logBytes)));
  }

  /**
   * Takes the records of `buf[0, end)`: whole and valid (the scan has just checked them), with
   * seqs `firstSeq` .. `lastSeq`.
   */
  add(buf: Uint8Array, end: number, firstSeq: number, lastSeq: number): void {
    if (lastSeq <= this.afterSeq) return;
    let at = 0;
    let seq = firstSeq;
    // Step over the records a checkpoint holds (only in the stretch where afterSeq + 1 lies).
    for (; seq <= this.afterSeq; seq++) at += readU32(buf, at) + RECORD_OVERHEAD;
    while (at < end) {
      const got = gatherRunWith(this.kernels, buf, at, end, GATHER_MAX_PAYLOAD, this.gather, this.used, this.stats);
      if (got > 0) {
        if (this.records === 0) this.firstSeq = seq;
        this.records += got;
        seq += got;
        at = this.stats[0]!;
        this.used = this.stats[1]!;
        if (at >= end) break;
      }
      // Stopped before a large record, or with the gather buffer full.
      this.finish();
      const len = readU32(buf, at);
      if (len > GATHER_MAX_PAYLOAD || len > this.gather.length) {
        this.visitRun(seq, 1, buf.subarray(at + RECORD_HEADER, at + RECORD_HEADER + len));
        seq++;
        at += len + RECORD_OVERHEAD;
      } // else the now empty buffer takes it on the next round
    }
    if (seq !== lastSeq + 1) throw new Error(`internal: fed records up to ${seq - 1}, expected ${lastSeq}`);
  }

  /** Hands over what is gathered. */
  finish(): void {
    if (this.records > 0) this.visitRun(this.firstSeq, this.records, this.gather.subarray(0, this.used));
    this.used = 0;
    this.records = 0;
  }
}
