/**
 * The layout of a segment file: its chunks, then a trailer that checksums each of them and says
 * whose they are. All integers little-endian.
 *
 * ```
 *  off            size        field
 *    0            k * C       k whole chunks of C bytes (the extents the manifest lists, in order)
 *  k*C            4 * k       CRC-32C of each chunk
 *  k*C + 4k       4           magic "RTSG"
 *    +4           4           version (2)
 *    +8           8           segment id (f64 holding a safe integer)
 *   +16           4           k (chunk count)
 *   +20           4           C (bytes per chunk)
 *   +24          16           tree id
 *   +40           4           zero
 *   +44           4           CRC-32C of the trailer before it (the chunk CRCs and the fields above)
 * ```
 * The manifest holds the trailer's CRC, so the chain manifest -> trailer -> chunk authenticates
 * every chunk without reading it: a trailer is checked when its segment is loaded (a few hundred
 * bytes), a chunk when it is first read (see {@link SegmentChecks}).
 * @module
 */
import { treeIdFromBytes, treeIdToBytes } from '@rotortree/core/backend';
import type { Crc32c } from './checksum.js';
import { corruption } from './errors.js';

const MAGIC = 0x47535452; // "RTSG" read as little-endian u32
const VERSION = 2;
/** Bytes after the chunk CRCs. */
const FOOTER_BYTES = 48;

/** Bytes of a segment of `chunks` chunks of `chunkBytes` bytes, trailer included. */
export function segmentBytes(chunks: number, chunkBytes: number): number {
  return chunks * chunkBytes + trailerBytes(chunks);
}

/** Bytes of the trailer of a segment of `chunks` chunks. */
export function trailerBytes(chunks: number): number {
  return 4 * chunks + FOOTER_BYTES;
}

/** Most chunks of `chunkBytes` bytes a segment of at most `maxBytes` bytes holds (at least 1). */
export function chunksPerSegment(maxBytes: number, chunkBytes: number): number {
  return Math.max(1, Math.floor((maxBytes - FOOTER_BYTES) / (chunkBytes + 4)));
}

/** The trailer of a segment whose chunk CRCs are `chunkCrcs`; its CRC is the last u32. */
export function encodeTrailer(chunkCrcs: Uint32Array, id: number, chunkBytes: number, treeId: string, crc32c: Crc32c): Uint8Array {
  const k = chunkCrcs.length;
  const out = new Uint8Array(trailerBytes(k));
  const view = new DataView(out.buffer);
  for (let i = 0; i < k; i++) view.setUint32(4 * i, chunkCrcs[i]!, true);
  const at = 4 * k;
  view.setUint32(at, MAGIC, true);
  view.setUint32(at + 4, VERSION, true);
  view.setFloat64(at + 8, id, true);
  view.setUint32(at + 16, k, true);
  view.setUint32(at + 20, chunkBytes, true);
  out.set(treeIdToBytes(treeId), at + 24);
  view.setUint32(at + 44, crc32c(out, 0, at + 44), true);
  return out;
}

/** The CRC a trailer carries (the one the manifest records). */
export function trailerCrcOf(trailer: Uint8Array): number {
  return new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength).getUint32(trailer.length - 4, true);
}

/** What a segment's trailer must say (from the manifest). */
export interface SegmentExpectation {
  readonly id: number;
  readonly chunks: number;
  readonly chunkBytes: number;
  readonly trailerCrc: number;
  readonly treeId: string;
}

/**
 * The chunk checks of one loaded segment: its trailer is checked once (against the manifest), each
 * chunk on its first check (against the trailer), then remembered. Damage is `CORRUPTION` naming
 * the segment file and the offset of the damaged chunk (or trailer).
 */
export class SegmentChecks {
  readonly #path: string;
  readonly #bytes: Uint8Array;
  readonly #chunkBytes: number;
  readonly #crc32c: Crc32c;
  readonly #crcs: DataView;
  /** 1 for a chunk that passed. */
  readonly #passed: Uint8Array;

  /** Checks the trailer of `bytes` (the whole segment) against `expect`; throws `CORRUPTION`. */
  constructor(path: string, bytes: Uint8Array, expect: SegmentExpectation, crc32c: Crc32c) {
    const { chunks, chunkBytes } = expect;
    const trailerAt = chunks * chunkBytes;
    if (bytes.length !== segmentBytes(chunks, chunkBytes)) {
      throw corruption(path, `segment has ${bytes.length} bytes, the manifest names ${segmentBytes(chunks, chunkBytes)}`, Math.min(bytes.length, trailerAt));
    }
    const trailer = bytes.subarray(trailerAt);
    const view = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
    const at = 4 * chunks;
    if (view.getUint32(at + 44, true) !== crc32c(trailer, 0, at + 44) || trailerCrcOf(trailer) !== expect.trailerCrc) {
      throw corruption(path, 'segment trailer checksum mismatch (damaged, or not the segment the manifest names)', trailerAt);
    }
    if (view.getUint32(at, true) !== MAGIC || view.getUint32(at + 4, true) !== VERSION) throw corruption(path, 'not a segment of this format', trailerAt + at);
    const treeId = treeIdFromBytes(trailer, at + 24);
    if (treeId !== expect.treeId) throw corruption(path, `segment of another tree (${treeId}); this tree is ${expect.treeId}`, trailerAt + at + 24);
    if (view.getFloat64(at + 8, true) !== expect.id || view.getUint32(at + 16, true) !== chunks || view.getUint32(at + 20, true) !== chunkBytes) {
      throw corruption(path, 'segment trailer does not describe the segment the manifest names', trailerAt + at);
    }
    this.#path = path;
    this.#bytes = bytes;
    this.#chunkBytes = chunkBytes;
    this.#crc32c = crc32c;
    this.#crcs = view;
    this.#passed = new Uint8Array(chunks);
  }

  /** Checks chunk `i` of the segment (once); throws `CORRUPTION` if its bytes fail their CRC. */
  check(i: number): void {
    if (this.#passed[i] === 1) return;
    const from = i * this.#chunkBytes;
    if (this.#crc32c(this.#bytes, from, from + this.#chunkBytes) !== this.#crcs.getUint32(4 * i, true)) {
      throw corruption(this.#path, `chunk ${i} fails its checksum`, from);
    }
    this.#passed[i] = 1;
  }

  /** Checks every chunk (for `verify: true`). */
  checkAll(): void {
    for (let i = 0; i < this.#passed.length; i++) this.check(i);
  }
}
