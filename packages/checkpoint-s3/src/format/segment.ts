/**
 * A segment object: whole settled chunks of one level, then a trailer that checksums each of them and
 * says whose they are. All integers little-endian; "f64" fields hold safe integers exactly.
 *
 * ```
 *  offset        size    field
 *  0             k * C   chunks first .. first + k - 1 of the level, C bytes each
 *  k*C           4 * k   CRC-32C of each chunk
 *  k*C + 4k      4       magic "RTS3"
 *      +4        4       version (1)
 *      +8        16      tree id
 *     +24        4       level
 *     +28        8       first chunk (f64)
 *     +36        4       k (chunk count)
 *     +40        4       C (bytes per chunk)
 *     +44        8       epoch of the writer (f64)
 *     +52        4       CRC-32C of the trailer before it
 * ```
 * The manifest records each segment's trailer CRC, so the chain manifest -> trailer -> chunk
 * authenticates every chunk without reading the others: a reader fetches the trailer (a ranged GET
 * of its exact bytes) and then any chunk alone, checked when first read.
 * @module
 */
import { treeIdFromBytes, treeIdToBytes } from '@rotortree/core/backend';
import { crc32c } from './checksum.js';
import { corruption } from '../errors.js';

const MAGIC = 0x33535452; // "RTS3" read as little-endian u32
const VERSION = 1;
const FOOTER_BYTES = 56;

/** What a segment holds and who wrote it (its key says the same: keys.ts). */
export interface SegmentId {
  readonly level: number;
  readonly firstChunk: number;
  readonly chunkCount: number;
  readonly epoch: number;
}

/** Bytes of a trailer of `chunks` chunks. */
export function trailerBytes(chunks: number): number {
  return 4 * chunks + FOOTER_BYTES;
}

/** Bytes of a whole segment object. */
export function segmentBytes(chunks: number, chunkBytes: number): number {
  return chunks * chunkBytes + trailerBytes(chunks);
}

/** The trailer of segment `id` whose chunks have the CRCs `chunkCrcs`. */
export function encodeTrailer(chunkCrcs: Uint32Array, id: SegmentId, chunkBytes: number, treeId: string): Uint8Array {
  const k = chunkCrcs.length;
  const out = new Uint8Array(trailerBytes(k));
  const view = new DataView(out.buffer);
  for (let i = 0; i < k; i++) view.setUint32(4 * i, chunkCrcs[i]!, true);
  const at = 4 * k;
  view.setUint32(at, MAGIC, true);
  view.setUint32(at + 4, VERSION, true);
  out.set(treeIdToBytes(treeId), at + 8);
  view.setUint32(at + 24, id.level, true);
  view.setFloat64(at + 28, id.firstChunk, true);
  view.setUint32(at + 36, k, true);
  view.setUint32(at + 40, chunkBytes, true);
  view.setFloat64(at + 44, id.epoch, true);
  view.setUint32(at + 52, crc32c(out, 0, at + 52), true);
  return out;
}

/** The CRC a trailer ends with (the one the manifest records). */
export function trailerCrcOf(trailer: Uint8Array): number {
  return new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength).getUint32(trailer.length - 4, true);
}

/** What the manifest says a segment must be. */
export interface SegmentExpectation extends SegmentId {
  readonly chunkBytes: number;
  readonly trailerCrc: number;
  readonly treeId: string;
}

/**
 * The chunk checks of one segment: its trailer is checked once against the manifest, each chunk
 * against the trailer on its first check, then remembered. Damage is `CORRUPTION` naming the key
 * and the offset of the damaged chunk (or trailer) in the object.
 */
export class SegmentChecks {
  readonly #key: string;
  readonly #chunkBytes: number;
  readonly #crcs: DataView;
  /** 1 for a chunk that passed (chunks of a lazily read segment are re-fetched after eviction: re-checked). */
  readonly #passed: Uint8Array;

  /** Checks `trailer` (exactly the trailer's bytes) against `expect`; throws `CORRUPTION`. */
  constructor(key: string, trailer: Uint8Array, expect: SegmentExpectation) {
    const k = expect.chunkCount;
    const trailerAt = k * expect.chunkBytes;
    if (trailer.length !== trailerBytes(k)) {
      throw corruption(key, `the object is shorter than the ${segmentBytes(k, expect.chunkBytes)} bytes the manifest names`, trailerAt);
    }
    const view = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
    const at = 4 * k;
    if (view.getUint32(at + 52, true) !== crc32c(trailer, 0, at + 52) || trailerCrcOf(trailer) !== expect.trailerCrc) {
      throw corruption(key, 'segment trailer checksum mismatch (damaged, or not the segment the manifest names)', trailerAt);
    }
    if (view.getUint32(at, true) !== MAGIC || view.getUint32(at + 4, true) !== VERSION) throw corruption(key, 'not a segment of this format', trailerAt + at);
    const treeId = treeIdFromBytes(trailer, at + 8);
    if (treeId !== expect.treeId) throw corruption(key, `segment of another tree (${treeId}); this tree is ${expect.treeId}`, trailerAt + at + 8);
    if (
      view.getUint32(at + 24, true) !== expect.level ||
      view.getFloat64(at + 28, true) !== expect.firstChunk ||
      view.getUint32(at + 36, true) !== k ||
      view.getUint32(at + 40, true) !== expect.chunkBytes ||
      view.getFloat64(at + 44, true) !== expect.epoch
    ) {
      throw corruption(key, 'segment trailer does not describe the segment the manifest names', trailerAt + at);
    }
    this.#key = key;
    this.#chunkBytes = expect.chunkBytes;
    this.#crcs = view;
    this.#passed = new Uint8Array(k);
  }

  /** Checks chunk `i` of the segment, held in `bytes` at `offset` (skipped once passed unless `fresh`). */
  check(i: number, bytes: Uint8Array, offset: number, fresh = false): void {
    if (this.#passed[i] === 1 && !fresh) return;
    if (offset + this.#chunkBytes > bytes.length || crc32c(bytes, offset, offset + this.#chunkBytes) !== this.#crcs.getUint32(4 * i, true)) {
      throw corruption(this.#key, `chunk ${i} fails its checksum`, i * this.#chunkBytes);
    }
    this.#passed[i] = 1;
  }
}
