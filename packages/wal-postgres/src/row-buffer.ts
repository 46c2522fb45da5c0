/**
 * The records appended since the last flush, laid out as the row bodies of format.ts: appending
 * copies the leaves once, into the body that will be sent, and a flush only closes each body with
 * its group table.
 *
 * Records go into the current body (a run) until it would pass {@link PART_BYTES}; a record too
 * large for one part gets a body of its own, which the flush cuts into parts.
 * @module
 */
import { COUNT_BYTES, GROUP_BYTES, littleEndian, PART_BYTES } from './format.js';

/** One row key's body, closed: records `firstSeq .. lastSeq`. */
export interface RowKey {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly body: Uint8Array;
}

const FIRST_CAPACITY = 64 << 10;

/** A body being filled with small records. */
class Run {
  firstSeq = 0;
  lastSeq = 0;
  bytes: Uint8Array;
  used = 0;
  /** Flat (records, leaves per record) pairs. */
  readonly groups: number[] = [];

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  get isEmpty(): boolean {
    return this.lastSeq === 0;
  }

  /** Bytes the body would have with a record of `len` more bytes. */
  sizeWith(len: number): number {
    return this.used + len + this.groups.length * 4 + GROUP_BYTES + COUNT_BYTES;
  }

  add(seq: number, leaves: Uint8Array): void {
    if (this.lastSeq === 0) this.firstSeq = seq;
    this.lastSeq = seq;
    const len = leaves.length;
    if (this.used + len > this.bytes.length) this.#grow(this.used + len);
    this.bytes.set(leaves, this.used);
    this.used += len;
    const per = len >>> 5;
    const g = this.groups;
    if (g.length > 0 && g[g.length - 1] === per) g[g.length - 2]!++;
    else g.push(1, per);
  }

  /** Writes the group table after the leaves: the body. */
  close(): RowKey {
    const g = this.groups;
    const end = this.used + g.length * 4 + COUNT_BYTES;
    if (end > this.bytes.length) this.#grow(end);
    const le = littleEndian(this.bytes);
    let at = this.used;
    for (const v of g) {
      le.setU32(at, v);
      at += 4;
    }
    le.setU32(at, g.length / 2);
    return { firstSeq: this.firstSeq, lastSeq: this.lastSeq, body: this.bytes.subarray(0, end) };
  }

  #grow(need: number): void {
    let cap = this.bytes.length * 2;
    while (cap < need) cap *= 2;
    const bigger = new Uint8Array(Math.min(cap, PART_BYTES));
    bigger.set(this.bytes.subarray(0, this.used));
    this.bytes = bigger;
  }
}

/** The records appended since the last flush. */
export class RowBuffer {
  #closed: RowKey[] = [];
  #run: Run | undefined;
  /** A run's buffer given back by a settled flush, reused by the next run. */
  #spare: Uint8Array | undefined;

  get isEmpty(): boolean {
    return this.#closed.length === 0 && (this.#run === undefined || this.#run.isEmpty);
  }

  /** Buffers record `seq` (copying `leaves`). */
  append(seq: number, leaves: Uint8Array): void {
    const len = leaves.length;
    if (len + GROUP_BYTES + COUNT_BYTES > PART_BYTES) {
      this.#closeRun();
      const body = new Uint8Array(len + GROUP_BYTES + COUNT_BYTES);
      body.set(leaves);
      const le = littleEndian(body);
      le.setU32(len, 1);
      le.setU32(len + 4, len >>> 5);
      le.setU32(len + 8, 1);
      this.#closed.push({ firstSeq: seq, lastSeq: seq, body });
      return;
    }
    let run = this.#run;
    if (run !== undefined && run.sizeWith(len) > PART_BYTES) {
      this.#closeRun();
      run = undefined;
    }
    if (run === undefined) {
      run = new Run(this.#spare ?? new Uint8Array(FIRST_CAPACITY));
      this.#spare = undefined;
      this.#run = run;
    }
    run.add(seq, leaves);
  }

  /** Takes every buffered record as closed bodies, in order; the buffer is empty after. */
  take(): RowKey[] {
    this.#closeRun();
    const keys = this.#closed;
    this.#closed = [];
    return keys;
  }

  /** Gives back the bodies of a settled flush: one run's buffer is kept for the next run. */
  recycle(keys: readonly RowKey[]): void {
    if (this.#spare !== undefined) return;
    for (const key of keys) {
      const buffer = key.body.buffer;
      if (key.body.byteOffset === 0 && buffer instanceof ArrayBuffer && buffer.byteLength >= FIRST_CAPACITY && buffer.byteLength <= PART_BYTES) {
        this.#spare = new Uint8Array(buffer);
        return;
      }
    }
  }

  #closeRun(): void {
    const run = this.#run;
    if (run === undefined) return;
    this.#run = undefined;
    if (!run.isEmpty) this.#closed.push(run.close());
  }
}
