/**
 * Records waiting for the next flush, encoded back to back into one growing flat buffer: no
 * object per record, the CRCs computed once at append.
 * @module
 */
import { crc32c } from './checksum.js';
import { HEADER_CRC_SPAN, RECORD_HEADER, RECORD_OVERHEAD, writeU32, writeU64 } from './format.js';

export class RecordBuffer {
  bytes = new Uint8Array(64 * 1024);
  used = 0;
  /** Sequence number of the first and last buffered record (0 when empty). */
  firstSeq = 0;
  lastSeq = 0;

  get isEmpty(): boolean {
    return this.used === 0;
  }

  /** Encodes one record (see format.ts). `leaves` is copied. */
  append(seq: number, leaves: Uint8Array): void {
    const len = leaves.length;
    const need = this.used + len + RECORD_OVERHEAD;
    if (need > this.bytes.length) this.grow(need);
    const b = this.bytes;
    const p = this.used;
    if (this.firstSeq === 0) this.firstSeq = seq;
    this.lastSeq = seq;
    writeU32(b, p, len);
    writeU64(b, p + 4, seq);
    writeU32(b, p + 12, seq - this.firstSeq); // this whole buffer goes out in one flush
    const headerCrc = crc32c(b, p, p + HEADER_CRC_SPAN);
    writeU32(b, p + HEADER_CRC_SPAN, headerCrc);
    b.set(leaves, p + RECORD_HEADER);
    const crcAt = p + RECORD_HEADER + len;
    // The CRC of the header is the running CRC at its end: continue it instead of starting over.
    writeU32(b, crcAt, crc32c(b, p + HEADER_CRC_SPAN, crcAt, headerCrc));
    this.used = crcAt + 4;
  }

  /** Forgets the content, keeping the memory. */
  clear(): void {
    this.used = 0;
    this.firstSeq = 0;
    this.lastSeq = 0;
  }

  private grow(need: number): void {
    let size = this.bytes.length;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.used));
    this.bytes = next;
  }
}
