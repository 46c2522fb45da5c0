/**
 * A manifest object: one checkpoint, covered by one CRC-32C. Write-once, under a key carrying its
 * seq and its writer's epoch; it becomes the checkpoint only when the pointer names it.
 *
 * Layout (little-endian; "f64" fields hold safe integers exactly):
 * ```
 *   0  magic "RTM3"             4  version u32 (1)        8  total length u32 (incl. final CRC)
 *  12  n u32                   16  maxDepth u32          20  chunkNodes u32
 *  24  size f64                32  seq f64               40  epoch of the writer f64
 *  48  root [32] (zeros when the tree is empty)          80  tree id [16]
 *  96  hasherId length u32, then UTF-8, padded to 4
 *   .  segment count u32, then per segment (28 bytes):
 *        level u32, first chunk f64, chunk count u32, epoch f64, trailer CRC-32C u32
 *   .  per level 0..depth: whole chunks f64, node count u32, node count * 32 bytes
 *      (the nodes from wholeChunks * chunkNodes to the level's end: settled nodes of a partial
 *       chunk, then the unsettled last node if the level has one)
 *   .  CRC-32C u32 of every byte before it
 * ```
 * A segment's key follows from its fields (keys.ts). Decoding checks the structure against the
 * shape rules (the segments of each level tile its whole chunks exactly once, node counts match the
 * size, the root is the top level's node), so a manifest that decodes names exactly the bytes a view
 * needs. Trail of checksums: this CRC -> each segment's trailer CRC -> each chunk's CRC.
 * @module
 */
import { NODE_SIZE, RotorTreeError, bytesEqual, chunkNodesFor, depthForSize, levelLengthFor, settledLength } from '@rotortree/core';
import { TREE_ID_BYTES, treeIdFromBytes, treeIdToBytes } from '@rotortree/core/backend';
import { crc32c } from './checksum.js';
import { FieldReader, FieldWriter, pad4 } from './cursor.js';
import type { SegmentId } from './segment.js';
import { corruption } from '../errors.js';

/** A segment the manifest names. */
export interface SegmentEntry extends SegmentId {
  readonly trailerCrc: number;
}

/** What the manifest holds for one level. */
export interface LevelEntry {
  /** Settled whole chunks stored in segments: nodes `[0, wholeChunks * chunkNodes)`. */
  readonly wholeChunks: number;
  /** Nodes `[wholeChunks * chunkNodes, levelLength)`, 32 bytes each (a view of the manifest's bytes: read-only). */
  readonly nodes: Uint8Array;
}

/** A decoded manifest. */
export interface Manifest {
  readonly n: number;
  readonly maxDepth: number;
  readonly hasherId: string;
  readonly treeId: string;
  readonly chunkNodes: number;
  readonly size: number;
  readonly seq: number;
  /** The epoch of the writer that wrote it. */
  readonly epoch: number;
  readonly root: Uint8Array | undefined;
  /** Sorted by level, then first chunk. */
  readonly segments: readonly SegmentEntry[];
  /** Levels 0..depth. */
  readonly levels: readonly LevelEntry[];
}

const MAGIC = 0x334d5452; // "RTM3" read as little-endian u32
const VERSION = 1;
const HEADER_BYTES = 100;
const SEGMENT_ENTRY_BYTES = 28;
const EMPTY_ROOT = new Uint8Array(NODE_SIZE);

/** Serializes `m` with its trailing CRC. */
export function encodeManifest(m: Manifest): Uint8Array {
  const id = new TextEncoder().encode(m.hasherId);
  let length = HEADER_BYTES + pad4(id.length) + 4 + m.segments.length * SEGMENT_ENTRY_BYTES;
  for (const l of m.levels) length += 12 + l.nodes.length;
  length += 4;
  const w = new FieldWriter(length);
  w.u32(MAGIC);
  w.u32(VERSION);
  w.u32(length);
  w.u32(m.n);
  w.u32(m.maxDepth);
  w.u32(m.chunkNodes);
  w.f64(m.size);
  w.f64(m.seq);
  w.f64(m.epoch);
  w.raw(m.root ?? EMPTY_ROOT);
  w.raw(treeIdToBytes(m.treeId));
  w.u32(id.length);
  w.raw(id);
  w.at += pad4(id.length) - id.length;
  w.u32(m.segments.length);
  for (const s of m.segments) {
    w.u32(s.level);
    w.f64(s.firstChunk);
    w.u32(s.chunkCount);
    w.f64(s.epoch);
    w.u32(s.trailerCrc);
  }
  for (const l of m.levels) {
    w.f64(l.wholeChunks);
    w.u32(l.nodes.length / NODE_SIZE);
    w.raw(l.nodes);
  }
  w.u32(crc32c(w.bytes, 0, length - 4));
  return w.bytes;
}

/** Parses and checks a manifest read from `key`: `CORRUPTION` (with the offset) for damage, `CONFIG_MISMATCH` for another format version. */
export function decodeManifest(bytes: Uint8Array, key: string): Manifest {
  if (bytes.length < HEADER_BYTES + 8) throw corruption(key, `${bytes.length} bytes is too short for a manifest`, bytes.length);
  const r = new FieldReader(bytes, key);
  if (r.u32() !== MAGIC) throw corruption(key, 'not a checkpoint manifest (bad magic)', 0);
  const version = r.u32();
  if (version !== VERSION) {
    throw new RotorTreeError('CONFIG_MISMATCH', `${key}: manifest format version ${version}, this code reads ${VERSION}`, { file: key, offset: 4 });
  }
  const total = r.u32();
  if (total !== bytes.length) throw corruption(key, `the manifest says ${total} bytes, the object has ${bytes.length}`, 8);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(total - 4, true) !== crc32c(bytes, 0, total - 4)) throw corruption(key, 'manifest checksum mismatch', total - 4);

  const n = r.u32();
  const maxDepth = r.u32();
  const chunkNodes = r.u32();
  if (n < 2 || n > 256 || maxDepth < 1 || maxDepth > 64) throw corruption(key, `impossible n=${n} maxDepth=${maxDepth}`, 12);
  if (chunkNodes !== chunkNodesFor(n)) throw corruption(key, `chunk size ${chunkNodes} does not match n=${n}`, 20);
  const size = r.int(0);
  const seq = r.int(0);
  const epoch = r.int(0);
  const rootAt = r.at;
  const root = r.raw(NODE_SIZE);
  const treeId = treeIdFromBytes(r.raw(TREE_ID_BYTES));
  const idLen = r.u32();
  if (idLen > 1024) throw corruption(key, 'hasher id too long', r.at - 4);
  const hasherId = new TextDecoder().decode(r.raw(idLen));
  r.raw(pad4(idLen) - idLen);
  const depth = depthForSize(size, n);
  if (depth > maxDepth) throw corruption(key, `size ${size} exceeds n^maxDepth`, 24);

  const segAt = r.at;
  const count = r.u32();
  const segments: SegmentEntry[] = [];
  for (let s = 0; s < count; s++) {
    const at = r.at;
    const level = r.u32();
    const firstChunk = r.int(0);
    const chunkCount = r.u32();
    const segEpoch = r.int(0);
    const trailerCrc = r.u32();
    if (level > depth || chunkCount < 1) throw corruption(key, `bad segment entry (level ${level}, ${chunkCount} chunks)`, at);
    segments.push({ level, firstChunk, chunkCount, epoch: segEpoch, trailerCrc });
  }
  segments.sort((a, b) => a.level - b.level || a.firstChunk - b.firstChunk);

  const levels: LevelEntry[] = [];
  for (let k = 0, s = 0; k <= depth; k++) {
    const at = r.at;
    const wholeChunks = r.int(0);
    const nodes = r.u32();
    const len = levelLengthFor(size, n, k);
    if (wholeChunks !== Math.floor(settledLength(size, n, k) / chunkNodes) || nodes !== len - wholeChunks * chunkNodes) {
      throw corruption(key, `level ${k}: ${wholeChunks} chunks + ${nodes} nodes do not fit size ${size}`, at);
    }
    // The level's segments must tile chunks [0, wholeChunks): sorted, no gap, no overlap.
    let next = 0;
    for (; s < segments.length && segments[s]!.level === k; s++) {
      if (segments[s]!.firstChunk !== next) throw corruption(key, `level ${k}: segments leave a gap or overlap at chunk ${next}`, segAt);
      next += segments[s]!.chunkCount;
    }
    if (next !== wholeChunks) throw corruption(key, `level ${k}: segments hold ${next} chunks, the level has ${wholeChunks}`, segAt);
    levels.push({ wholeChunks, nodes: r.raw(nodes * NODE_SIZE) });
  }
  if (r.at !== total - 4) throw corruption(key, 'unexpected bytes after the levels', r.at);
  const top = levels[depth]!.nodes;
  const expectRoot = size === 0 ? EMPTY_ROOT : top.subarray(top.length - NODE_SIZE);
  if (!bytesEqual(root, expectRoot)) throw corruption(key, 'the root does not match the top level', rootAt);
  return { n, maxDepth, hasherId, treeId, chunkNodes, size, seq, epoch, root: size === 0 ? undefined : root.slice(), segments, levels };
}
