/**
 * Records waiting for the next flush, encoded back to back into one growing flat buffer: no
 * object per record. {@link RecordBuffer.append} writes a record's len, seq, flush offset and
 * payload only; the two CRCs of every such record are filled in by one walk when the bytes are
 * read ({@link RecordBuffer.bytes}, at flush time: see seal.ts), so an append costs a copy and a
 * few stores. A record appended by reference ({@link RecordBuffer.openParts}) keeps its header and
 * CRC trailer in the flat buffer (its CRC computed as its parts arrive) and its payload as the
 * caller's immutable parts, spliced in at write time ({@link RecordBuffer.pieces}).
 * @module
 */
import { crc32c } from './checksum.js';
import { HEADER_CRC_SPAN, RECORD_HEADER, RECORD_OVERHEAD, writeU32, writeU64 } from './format.js';
import { sealRecords } from './seal.js';

const TWO_32 = 0x1_0000_0000;
/** The record fields are little-endian: on such hosts (nearly all) they are stored as whole u32s. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

export class RecordBuffer {
  /** Grows by doubling from a small start: a WAL that sees few records (a tool, a short-lived open) never pays for more. */
  private flat = new Uint8Array(4096);
  /** `flat` as u32s: every record starts 8-byte aligned (its length is a multiple of 8). */
  private words = new Uint32Array(this.flat.buffer);
  used = 0;
  /** Sequence number of the first and last buffered record (0 when empty). */
  firstSeq = 0;
  lastSeq = 0;
  /** The records in [sealedEnd, used) still have zeros or stale bytes in their CRC fields. */
  private sealedEnd = 0;
  /** Records by reference: the payload `parts[i]` goes in at flat offset `spliceAt[i]`. */
  private readonly spliceAt: number[] = [];
  private readonly parts: Uint8Array[][] = [];
  private partBytes = 0;
  /** Running CRC of the record opened by {@link openParts}. */
  private openCrc = 0;
  /** 4 while a record is open: its CRC trailer, not yet in the flat buffer, counts in {@link size}. */
  private openTrailer = 0;

  /**
   * The flat buffer, its records in [0, {@link used}) complete: reading it first fills in the CRCs
   * of the records appended since the last read. Valid until the next append or {@link clear}.
   */
  get bytes(): Uint8Array {
    if (this.sealedEnd !== this.used) this.seal();
    return this.flat;
  }

  get isEmpty(): boolean {
    return this.used === 0;
  }

  /** Bytes this buffer writes: the flat buffer plus the payloads held by reference. */
  get size(): number {
    return this.used + this.partBytes + this.openTrailer;
  }

  /** Encodes one record (see format.ts) but its CRCs. `leaves` is copied. */
  append(seq: number, leaves: Uint8Array): void {
    const len = leaves.length;
    const p = this.used;
    const next = p + RECORD_OVERHEAD + len;
    if (next > this.flat.length) this.grow(next);
    const b = this.flat;
    if (this.firstSeq === 0) this.firstSeq = seq;
    this.lastSeq = seq;
    const offset = seq - this.firstSeq; // this whole buffer goes out in one flush
    if (LITTLE_ENDIAN) {
      const w = this.words;
      const i = p >>> 2;
      const low = seq >>> 0;
      w[i] = len;
      w[i + 1] = low;
      w[i + 2] = (seq - low) / TWO_32;
      w[i + 3] = offset;
    } else {
      writeU32(b, p, len);
      writeU64(b, p + 4, seq);
      writeU32(b, p + 12, offset);
    }
    b.set(leaves, p + RECORD_HEADER);
    this.used = next;
  }

  /**
   * Starts one record of `len` payload bytes held by reference: the header goes into the flat
   * buffer, the payload comes through {@link addParts} (the caller guarantees those bytes never
   * change until {@link clear}), the CRC trailer at {@link closeParts}. Nothing else may be appended
   * in between.
   */
  openParts(seq: number, len: number): void {
    if (this.sealedEnd !== this.used) this.seal();
    const need = this.used + RECORD_OVERHEAD;
    if (need > this.flat.length) this.grow(need);
    const p = this.used;
    // The record CRC covers [0, 20 + len): continue the header's over its own CRC field, then the parts.
    this.openCrc = crc32c(this.flat, p + HEADER_CRC_SPAN, p + RECORD_HEADER, this.encodeHeader(seq, len));
    this.used = this.sealedEnd = p + RECORD_HEADER;
    this.spliceAt.push(this.used);
    this.parts.push([]);
    this.partBytes += len;
    this.openTrailer = 4;
  }

  /** The next payload bytes of the open record (kept by reference; the CRC runs over them in place). */
  addParts(parts: readonly Uint8Array[]): void {
    const held = this.parts[this.parts.length - 1]!;
    let crc = this.openCrc;
    for (const part of parts) {
      crc = crc32c(part, 0, part.length, crc);
      held.push(part);
    }
    this.openCrc = crc;
  }

  /** Writes the open record's CRC trailer (room for it was made at {@link openParts}). */
  closeParts(): void {
    writeU32(this.flat, this.used, this.openCrc);
    this.used = this.sealedEnd = this.used + 4;
    this.openTrailer = 0;
  }

  /**
   * The bytes to write, in file order, as views (valid until the next append or {@link clear}):
   * the flat buffer cut at each splice point, with the referenced parts in between.
   */
  pieces(): Uint8Array[] {
    const flat = this.bytes;
    const out: Uint8Array[] = [];
    let from = 0;
    for (let i = 0; i < this.spliceAt.length; i++) {
      const at = this.spliceAt[i]!;
      out.push(flat.subarray(from, at));
      for (const part of this.parts[i]!) out.push(part);
      from = at;
    }
    out.push(flat.subarray(from, this.used));
    return out;
  }

  /** True when some record is held by reference (the flush then writes {@link pieces}). */
  get hasParts(): boolean {
    return this.parts.length > 0;
  }

  /** Forgets the content (and drops the references), keeping the memory. */
  clear(): void {
    this.used = 0;
    this.sealedEnd = 0;
    this.firstSeq = 0;
    this.lastSeq = 0;
    this.spliceAt.length = 0;
    this.parts.length = 0;
    this.partBytes = 0;
    this.openTrailer = 0;
  }

  /** Writes the CRCs of the records in [sealedEnd, used) (see seal.ts). */
  private seal(): void {
    const stop = sealRecords(this.flat, this.sealedEnd, this.used);
    if (stop !== this.used) throw new Error(`RecordBuffer: the record at ${stop} is malformed (a bug)`);
    this.sealedEnd = this.used;
  }

  /** Writes the 20-byte record header at `used` (not advancing it) with its CRC, and returns the CRC. */
  private encodeHeader(seq: number, len: number): number {
    const b = this.flat;
    const p = this.used;
    if (this.firstSeq === 0) this.firstSeq = seq;
    this.lastSeq = seq;
    writeU32(b, p, len);
    writeU64(b, p + 4, seq);
    writeU32(b, p + 12, seq - this.firstSeq); // this whole buffer goes out in one flush
    const headerCrc = crc32c(b, p, p + HEADER_CRC_SPAN);
    writeU32(b, p + HEADER_CRC_SPAN, headerCrc);
    return headerCrc;
  }

  private grow(need: number): void {
    let size = this.flat.length;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.flat.subarray(0, this.used));
    this.flat = next;
    this.words = new Uint32Array(next.buffer);
  }
}
