/**
 * The manifest: the single commit point of a checkpoint, covered by one CRC-32C.
 *
 * Binary layout (little-endian; "f64" fields hold safe integers exactly):
 * ```
 *   0  magic "RTCM"            4  version u32 (2)       8  total length u32 (incl. final CRC)
 *  12  n u32                  16  maxDepth u32         20  chunkNodes u32
 *  24  size f64               32  seq f64              40  generation f64
 *  48  root [32] (zeros when the tree is empty)        80  tree id [16]
 *  96  hasherId length u32, then UTF-8, padded to 4
 *   .  segment count u32, then per segment:
 *        id f64, byteLength f64, trailer CRC-32C u32 (see segment-format.ts), extent count u32,
 *        per extent: level u32, first chunk f64, chunk count u32   (stored back to back in the file)
 *   .  per level 0..depth: whole chunks f64, node count u32, node count * 32 bytes
 *      (the nodes from wholeChunks * chunkNodes to the level's end: settled nodes of a
 *       partial chunk, then the unsettled last node if the level has one)
 *   .  CRC-32C u32 of every byte before it
 * ```
 * Decoding checks the structure against the shape rules (every level's whole chunks are covered
 * exactly once by segment extents, node counts match the size), so a manifest that parses names
 * exactly the bytes a view needs. The trail of checksums: this CRC covers the manifest, which holds
 * each segment's trailer CRC, whose trailer holds a CRC per chunk: every byte a view serves is
 * checked against it (see segment-format.ts). Version 1 had no tree id and one CRC per segment.
 * @module
 */
import { NODE_SIZE, RotorTreeError, bytesEqual, chunkNodesFor, depthForSize, levelLengthFor, settledLength } from '@rotortree/core';
import { TREE_ID_BYTES, treeIdFromBytes, treeIdToBytes } from '@rotortree/core/backend';
import type { Crc32c } from './checksum.js';
import { corruption } from './errors.js';
import { MAX_SEGMENT_BYTES } from './layout.js';
import { segmentBytes } from './segment-format.js';

/** A run of whole chunks of one level inside a segment. */
export interface Extent {
  readonly level: number;
  readonly firstChunk: number;
  readonly chunkCount: number;
}

/** One write-once segment file. */
export interface SegmentEntry {
  readonly id: number;
  /** The whole file: its chunks and its trailer. */
  readonly byteLength: number;
  /** CRC-32C of the segment's trailer (which holds the CRC of every chunk). */
  readonly trailerCrc: number;
  /** In file order: extent i starts right after extent i-1. */
  readonly extents: readonly Extent[];
}

/** What the manifest holds for one level. */
export interface LevelEntry {
  /** Settled whole chunks stored in segments: nodes `[0, wholeChunks * chunkNodes)`. */
  readonly wholeChunks: number;
  /** Nodes `[wholeChunks * chunkNodes, levelLength)`, 32 bytes each (a view of the decoded bytes: never write to it). */
  readonly nodes: Uint8Array;
}

/** A decoded manifest. */
export interface Manifest {
  readonly n: number;
  readonly maxDepth: number;
  readonly hasherId: string;
  /** The identity of the tree this checkpoint belongs to. */
  readonly treeId: string;
  readonly chunkNodes: number;
  readonly size: number;
  readonly seq: number;
  /** Counts published checkpoints of this directory (1 for the first). */
  readonly generation: number;
  readonly root: Uint8Array | undefined;
  readonly segments: readonly SegmentEntry[];
  /** Levels 0..depth. */
  readonly levels: readonly LevelEntry[];
}

const MAGIC = 0x4d435452; // "RTCM" read as little-endian u32
/** The format version this code writes and reads. */
export const MANIFEST_VERSION = 2;
const HEADER_BYTES = 100;
const EMPTY_ROOT = new Uint8Array(NODE_SIZE);
const UTF8 = new TextDecoder();

/** Serializes `m` with its trailing CRC. */
export function encodeManifest(m: Manifest, crc32c: Crc32c): Uint8Array {
  const id = new TextEncoder().encode(m.hasherId);
  let bytes = HEADER_BYTES + pad4(id.length) + 4;
  for (const s of m.segments) bytes += 24 + s.extents.length * 16;
  for (const l of m.levels) bytes += 12 + l.nodes.length;
  bytes += 4;
  const out = new Uint8Array(bytes);
  const w = new Writer(out);
  w.u32(MAGIC);
  w.u32(MANIFEST_VERSION);
  w.u32(bytes);
  w.u32(m.n);
  w.u32(m.maxDepth);
  w.u32(m.chunkNodes);
  w.f64(m.size);
  w.f64(m.seq);
  w.f64(m.generation);
  w.bytes(m.root ?? EMPTY_ROOT);
  w.bytes(treeIdToBytes(m.treeId));
  w.u32(id.length);
  w.bytes(id);
  w.skip(pad4(id.length) - id.length);
  w.u32(m.segments.length);
  for (const s of m.segments) {
    w.f64(s.id);
    w.f64(s.byteLength);
    w.u32(s.trailerCrc);
    w.u32(s.extents.length);
    for (const e of s.extents) {
      w.u32(e.level);
      w.f64(e.firstChunk);
      w.u32(e.chunkCount);
    }
  }
  for (const l of m.levels) {
    w.f64(l.wholeChunks);
    w.u32(l.nodes.length / NODE_SIZE);
    w.bytes(l.nodes);
  }
  w.u32(crc32c(out, 0, bytes - 4));
  return out;
}

/**
 * Parses and checks a manifest. Throws `CORRUPTION` (with `file` and the offset of the bad field)
 * for damage, `CONFIG_MISMATCH` for another format version.
 */
export function decodeManifest(bytes: Uint8Array, file: string, crc32c: Crc32c): Manifest {
  const r = new Reader(bytes, file);
  if (bytes.length < HEADER_BYTES + 8) throw corruption(file, `${bytes.length} bytes is too short for a manifest`, bytes.length);
  if (r.u32() !== MAGIC) throw corruption(file, 'not a checkpoint manifest (bad magic)', 0);
  const version = r.u32();
  if (version !== MANIFEST_VERSION) {
    throw new RotorTreeError('CONFIG_MISMATCH', `${file}: manifest format version ${version}, this code reads ${MANIFEST_VERSION}`, { file, offset: 4 });
  }
  const total = r.u32();
  if (total !== bytes.length) throw corruption(file, `the manifest says ${total} bytes, the file has ${bytes.length}`, 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(total - 4, true) !== crc32c(bytes, 0, total - 4)) throw corruption(file, 'manifest checksum mismatch', total - 4);

  const n = r.u32();
  const maxDepth = r.u32();
  const chunkNodes = r.u32();
  if (n < 2 || n > 256 || maxDepth < 1 || maxDepth > 64) throw corruption(file, `impossible n=${n} maxDepth=${maxDepth}`, 12);
  if (chunkNodes !== chunkNodesFor(n)) throw corruption(file, `chunk size ${chunkNodes} does not match n=${n}`, 20);
  const size = r.safeInt(0);
  const seq = r.safeInt(-1);
  const generation = r.safeInt(1);
  const rootAt = r.offset;
  const root = r.bytes(NODE_SIZE);
  const treeId = treeIdFromBytes(r.bytes(TREE_ID_BYTES));
  const idLen = r.u32();
  if (idLen > 1024) throw corruption(file, 'hasher id too long', r.offset - 4);
  const hasherId = UTF8.decode(r.bytes(idLen));
  r.bytes(pad4(idLen) - idLen);
  const depth = depthForSize(size, n);
  if (depth > maxDepth) throw corruption(file, `size ${size} exceeds n^maxDepth`, 24);

  const segAt = r.offset;
  const segCount = r.u32();
  const chunkBytes = chunkNodes * NODE_SIZE;
  const segments: SegmentEntry[] = [];
  /** Per level, the [first, count] runs the segments provide. */
  const runs: Array<Array<[number, number]>> = Array.from({ length: depth + 1 }, () => []);
  for (let s = 0; s < segCount; s++) {
    const at = r.offset;
    const id = r.safeInt(0);
    const byteLength = r.safeInt(1);
    const trailerCrc = r.u32();
    const extentCount = r.u32();
    const extents: Extent[] = [];
    let chunks = 0;
    for (let e = 0; e < extentCount; e++) {
      const eAt = r.offset;
      const level = r.u32();
      const firstChunk = r.safeInt(0);
      const chunkCount = r.u32();
      if (level > depth || chunkCount < 1) throw corruption(file, `segment ${id}: bad extent (level ${level}, ${chunkCount} chunks)`, eAt);
      runs[level]!.push([firstChunk, chunkCount]);
      extents.push({ level, firstChunk, chunkCount });
      chunks += chunkCount;
    }
    if (byteLength !== segmentBytes(chunks, chunkBytes) || byteLength > MAX_SEGMENT_BYTES) {
      throw corruption(file, `segment ${id}: ${byteLength} bytes does not hold its ${chunks} chunks and trailer`, at + 8);
    }
    segments.push({ id, byteLength, trailerCrc, extents });
  }
  if (new Set(segments.map((s) => s.id)).size !== segments.length) throw corruption(file, 'a segment is listed twice', segAt);

  const levels: LevelEntry[] = [];
  for (let k = 0; k <= depth; k++) {
    const at = r.offset;
    const wholeChunks = r.safeInt(0);
    const count = r.u32();
    const len = levelLengthFor(size, n, k);
    const wantWhole = Math.floor(settledLength(size, n, k) / chunkNodes);
    if (wholeChunks !== wantWhole || count !== len - wholeChunks * chunkNodes) {
      throw corruption(file, `level ${k}: ${wholeChunks} chunks + ${count} nodes do not fit size ${size}`, at);
    }
    checkCoverage(runs[k]!, wholeChunks, file, k, segAt);
    // A view of the manifest's bytes, not a copy (TypedArray#slice is slow: it was half of the decode).
    levels.push({ wholeChunks, nodes: r.bytes(count * NODE_SIZE) });
  }
  if (r.offset !== total - 4) throw corruption(file, 'unexpected bytes after the levels', r.offset);
  const top = levels[depth]!.nodes;
  const expectRoot = size === 0 ? EMPTY_ROOT : top.subarray(top.length - NODE_SIZE);
  if (!bytesEqual(root, expectRoot)) throw corruption(file, 'the root does not match the top level', rootAt);
  return {
    n,
    maxDepth,
    hasherId,
    treeId,
    chunkNodes,
    size,
    seq,
    generation,
    root: size === 0 ? undefined : root.slice(),
    segments,
    levels,
  };
}

/** The runs must tile chunks [0, whole) exactly: sorted, no gap, no overlap. */
function checkCoverage(runs: Array<[number, number]>, whole: number, file: string, level: number, offset: number): void {
  runs.sort((a, b) => a[0] - b[0]);
  let next = 0;
  for (const [first, count] of runs) {
    if (first !== next) throw corruption(file, `level ${level}: segments leave a gap or overlap at chunk ${next}`, offset);
    next = first + count;
  }
  if (next !== whole) throw corruption(file, `level ${level}: segments hold ${next} chunks, the level has ${whole}`, offset);
}

function pad4(len: number): number {
  return (len + 3) & ~3;
}

class Writer {
  readonly #view: DataView;
  readonly #out: Uint8Array;
  #at = 0;

  constructor(out: Uint8Array) {
    this.#out = out;
    this.#view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  }

  u32(v: number): void {
    this.#view.setUint32(this.#at, v, true);
    this.#at += 4;
  }

  f64(v: number): void {
    this.#view.setFloat64(this.#at, v, true);
    this.#at += 8;
  }

  bytes(b: Uint8Array): void {
    this.#out.set(b, this.#at);
    this.#at += b.length;
  }

  skip(len: number): void {
    this.#at += len;
  }
}

class Reader {
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  readonly #file: string;
  offset = 0;

  constructor(bytes: Uint8Array, file: string) {
    this.#bytes = bytes;
    this.#file = file;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #need(len: number): number {
    const at = this.offset;
    // The final 4 bytes are the CRC, never content.
    if (at + len > this.#bytes.length - 4) throw corruption(this.#file, 'the manifest ends inside a field', at);
    this.offset = at + len;
    return at;
  }

  u32(): number {
    return this.#view.getUint32(this.#need(4), true);
  }

  safeInt(min: number): number {
    const at = this.#need(8);
    const v = this.#view.getFloat64(at, true);
    if (!Number.isSafeInteger(v) || v < min) throw corruption(this.#file, `bad integer field ${v}`, at);
    return v;
  }

  bytes(len: number): Uint8Array {
    const at = this.#need(len);
    return this.#bytes.subarray(at, at + len);
  }
}
