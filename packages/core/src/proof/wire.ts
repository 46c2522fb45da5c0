/**
 * The binary form of proofs, format version 2: what generation writes and what a proof object
 * holds. A proof's shape (positions and group sizes) follows from n and its sizes (see shape.ts),
 * so only nodes follow the header; every node sits at a multiple of 8 from the proof's start.
 *
 * Inclusion proof (kind 1), 88 + 32 * S bytes:
 * ```
 * 0   u8       version = 2
 * 1   u8       kind = 1
 * 2   u8       n - 1                 (n in 2..256)
 * 3   u8       level count L         (= depth(treeSize))
 * 4   u32 LE   sibling count S       (= the sum of the path's group sizes minus one)
 * 8   u64 LE   treeSize              (1 .. 2^53-1)
 * 16  u64 LE   leafIndex             (< treeSize)
 * 24  32 B     root
 * 56  32 B     leaf
 * 88  S * 32 B siblings: level 0's group members in order without the path node, then level 1's, ...
 * ```
 *
 * Consistency proof (kind 2), 120 + 32 * S bytes:
 * ```
 * 0   u8       version = 2
 * 1   u8       kind = 2
 * 2   u8       n - 1
 * 3   u8       level count L         (= depth(newSize))
 * 4   u32 LE   node count S
 * 8   u64 LE   oldSize               (1 .. newSize)
 * 16  u64 LE   newSize
 * 24  32 B     oldRoot
 * 56  32 B     newRoot
 * 88  32 B     boundaryLeaf
 * 120 S * 32 B per level: the left members of the boundary node's group, then the right ones
 * ```
 * Version 1 (sizes as varints, a position and counts per level) is still decoded: see binary.ts.
 * @module
 */
import { RotorTreeError } from '../errors.js';

/** The format version this module writes. */
export const FORMAT_V2 = 2;
export const KIND_INCLUSION = 1;
export const KIND_CONSISTENCY = 2;

/** Byte offsets inside an inclusion proof. */
export const INCLUSION_ROOT = 24;
export const INCLUSION_LEAF = 56;
export const INCLUSION_NODES = 88;

/** Byte offsets inside a consistency proof. */
export const CONSISTENCY_OLD_ROOT = 24;
export const CONSISTENCY_NEW_ROOT = 56;
export const CONSISTENCY_BOUNDARY = 88;
export const CONSISTENCY_NODES = 120;

const TWO_32 = 2 ** 32;

/** Writes a version-2 header at `bytes[at]`: `a` and `b` are the two sizes (treeSize, leafIndex or oldSize, newSize). */
export function writeHeader(bytes: Uint8Array, at: number, kind: number, n: number, levels: number, nodes: number, a: number, b: number): void {
  bytes[at] = FORMAT_V2;
  bytes[at + 1] = kind;
  bytes[at + 2] = n - 1;
  bytes[at + 3] = levels;
  writeU32(bytes, at + 4, nodes);
  writeU64(bytes, at + 8, a);
  writeU64(bytes, at + 16, b);
}

function writeU32(bytes: Uint8Array, at: number, v: number): void {
  bytes[at] = v & 0xff;
  bytes[at + 1] = (v >>> 8) & 0xff;
  bytes[at + 2] = (v >>> 16) & 0xff;
  bytes[at + 3] = v >>> 24;
}

function writeU64(bytes: Uint8Array, at: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  writeU32(bytes, at, v - hi * TWO_32);
  writeU32(bytes, at + 4, hi);
}

/** u32 little-endian at `bytes[at]`. */
export function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)) + bytes[at + 3]! * 0x1000000;
}

/** u64 little-endian at `bytes[at]`; `INVALID_PROOF` above 2^53 - 1. */
export function readSize(bytes: Uint8Array, at: number): number {
  const hi = readU32(bytes, at + 4);
  if (hi >= 0x200000) throw new RotorTreeError('INVALID_PROOF', 'undecodable proof: size above 2^53-1');
  return hi * TWO_32 + readU32(bytes, at);
}
