/**
 * The on-disk format of the WAL file (`wal.log`). All integers little-endian.
 *
 * File header (H bytes, a multiple of 8, so records start 8-byte aligned):
 * ```
 *  off  size  field
 *    0     8  magic "RTREEWAL"
 *    8     4  format version (2; version 1 had no tree id)
 *   12     4  n (branching factor)
 *   16     4  maxDepth
 *   20     2  L = byte length of the hasher id (UTF-8)
 *   22     2  zero
 *   24     8  baseSeq: the records in this file start at baseSeq + 1
 *   32    16  tree id: the identity of the tree this log belongs to (created with the tree)
 *   48     L  hasher id, then zeros up to F - 4      (F = 52 + L rounded up to a multiple of 8)
 *  F-4     4  CRC-32C of bytes [0, F - 4)
 *    F    64  the mark slot (below), outside the header CRC; H = F + 64
 * ```
 * The mark slot holds the writer's last mark (see core's `WalMark`: a durable seq, the tree's size
 * and root after it), rewritten in place after each flush without a sync of its own, for readers
 * (followers) of the log. It has its own CRC; a damaged or zero slot means "no mark", and recovery
 * ignores it (a mark is a hint for readers, never part of the log's content):
 * ```
 *  off  size  field
 *    0     4  magic "RTWM"
 *    4     4  zero
 *    8     8  seq
 *   16     8  size
 *   24    32  root
 *   56     4  CRC-32C of bytes [0, 56)
 *   60     4  zero
 * ```
 * Then records, back to back (24 + len bytes each, a multiple of 8; one `insert` is 56 bytes).
 * Recovery reads the log in windows that start at a record, so every payload (at +20) lies
 * 4-byte aligned in its window:
 * ```
 *  off  size  field
 *    0     4  len: payload bytes = k * 32, 32 <= len <= MAX_PAYLOAD
 *    4     8  seq
 *   12     4  flush offset: seq minus the seq of the first record written by the same flush
 *             (the records appended between two flushes go out in one flush)
 *   16     4  header CRC-32C of bytes [0, 16): protects len, so a damaged length is seen as
 *             damage (never as the end of the log), and lets recovery find valid records
 *             after a bad spot
 *   20   len  payload: k leaves of 32 bytes
 * 20+len   4  record CRC-32C of bytes [0, 20 + len) (header and payload; the writer continues
 *             the header CRC, so the 16 header bytes are checksummed once)
 * ```
 * Why the flush offset: a crash can tear only the last flush (each flush waits for the
 * fdatasync of the previous one), but inside it the pages may reach the disk in any order, so a
 * damaged record may be followed by valid records of the same flush. Recovery treats damage
 * followed only by records of the damaged record's own flush as a torn tail, and damage followed
 * by a record of a later flush as corruption.
 * After the last record the file may hold zeros (preallocated space): free, not a record.
 * @module
 */
import { treeIdFromBytes, treeIdToBytes } from '@rotortree/core/backend';
import { crc32c } from './checksum.js';

/** "RTREEWAL" */
export const MAGIC = Uint8Array.of(0x52, 0x54, 0x52, 0x45, 0x45, 0x57, 0x41, 0x4c);
export const FORMAT_VERSION = 2;
/** Record bytes besides the payload. */
export const RECORD_OVERHEAD = 24;
/** Bytes before the payload. */
export const RECORD_HEADER = 20;
/** Bytes covered by the header CRC (which follows them). */
export const HEADER_CRC_SPAN = 16;
/** Largest payload of one record (1 GiB = 33,554,432 leaves). */
export const MAX_PAYLOAD = 1 << 30;
const TWO_32 = 0x1_0000_0000;

export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v;
  b[off + 1] = v >>> 8;
  b[off + 2] = v >>> 16;
  b[off + 3] = v >>> 24;
}

export function readU32(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

/** Writes a safe integer as u64. */
export function writeU64(b: Uint8Array, off: number, v: number): void {
  writeU32(b, off, v >>> 0);
  writeU32(b, off + 4, Math.floor(v / TWO_32));
}

/** Reads a u64; values above 2^53 come back imprecise (and then fail sequence checks). */
export function readU64(b: Uint8Array, off: number): number {
  return readU32(b, off) + readU32(b, off + 4) * TWO_32;
}

/** The fields of a file header. */
export interface LogHeader {
  readonly version: number;
  readonly n: number;
  readonly maxDepth: number;
  readonly hasherId: string;
  readonly treeId: string;
  readonly baseSeq: number;
}

/** Offset of the hasher id, after the fixed fields. */
const ID_AT = 48;
/** Bytes of the mark slot that ends the header. */
export const MARK_SLOT_BYTES = 64;
const MARK_MAGIC = 0x4d575452; // "RTWM" read as little-endian u32

/** Bytes of the header's checksummed part (before the mark slot) for a hasher id of `idLength` bytes. */
function fixedLength(idLength: number): number {
  return (ID_AT + idLength + 4 + 7) & ~7;
}

/** Length of the file header (mark slot included) for a hasher id of `idLength` bytes. */
export function headerLength(idLength: number): number {
  return fixedLength(idLength) + MARK_SLOT_BYTES;
}

/** What a mark slot holds: the writer's last mark. */
export interface SlotMark {
  readonly seq: number;
  readonly size: number;
  readonly root: Uint8Array;
}

/** Writes `mark` into the 64 bytes of `slot`. */
export function encodeMark(slot: Uint8Array, mark: SlotMark): void {
  slot.fill(0);
  writeU32(slot, 0, MARK_MAGIC);
  writeU64(slot, 8, mark.seq);
  writeU64(slot, 16, mark.size);
  slot.set(mark.root, 24);
  writeU32(slot, 56, crc32c(slot, 0, 56));
}

/** The mark in a 64-byte slot, or `undefined` when the slot is empty or damaged. */
export function decodeMark(slot: Uint8Array): SlotMark | undefined {
  if (slot.length < MARK_SLOT_BYTES || readU32(slot, 0) !== MARK_MAGIC || readU32(slot, 56) !== crc32c(slot, 0, 56)) return undefined;
  return { seq: readU64(slot, 8), size: readU64(slot, 16), root: slot.slice(24, 56) };
}

/** Encodes a file header. */
export function encodeHeader(h: Omit<LogHeader, 'version'>): Uint8Array {
  const id = new TextEncoder().encode(h.hasherId);
  if (id.length > 0xffff) throw new RangeError('hasher id too long');
  const fixed = fixedLength(id.length);
  const out = new Uint8Array(fixed + MARK_SLOT_BYTES);
  out.set(MAGIC, 0);
  writeU32(out, 8, FORMAT_VERSION);
  writeU32(out, 12, h.n);
  writeU32(out, 16, h.maxDepth);
  out[20] = id.length & 0xff;
  out[21] = id.length >>> 8;
  writeU64(out, 24, h.baseSeq);
  out.set(treeIdToBytes(h.treeId), 32);
  out.set(id, ID_AT);
  writeU32(out, fixed - 4, crc32c(out, 0, fixed - 4));
  return out;
}

/** Why a header could not be read. */
export type HeaderProblem = 'badMagic' | 'badVersion' | 'short' | 'badChecksum';

/** Decodes the header at the start of `file`: the header and its length, or the problem. */
export function decodeHeader(
  file: Uint8Array,
): { readonly header: LogHeader; readonly length: number } | { readonly problem: HeaderProblem; readonly version?: number } {
  for (let i = 0; i < MAGIC.length; i++) if (file[i] !== MAGIC[i]) return { problem: file.length < 8 ? 'short' : 'badMagic' };
  if (file.length < 12) return { problem: 'short' };
  const version = readU32(file, 8);
  if (version !== FORMAT_VERSION) return { problem: 'badVersion', version };
  if (file.length < ID_AT) return { problem: 'short' };
  const idLength = file[20]! | (file[21]! << 8);
  const fixed = fixedLength(idLength);
  const length = fixed + MARK_SLOT_BYTES;
  if (file.length < fixed) return { problem: 'short' };
  if (readU32(file, fixed - 4) !== crc32c(file, 0, fixed - 4)) return { problem: 'badChecksum' };
  if (file.length < length) return { problem: 'short' };
  const header: LogHeader = {
    version,
    n: readU32(file, 12),
    maxDepth: readU32(file, 16),
    baseSeq: readU64(file, 24),
    treeId: treeIdFromBytes(file, 32),
    hasherId: new TextDecoder().decode(file.subarray(ID_AT, ID_AT + idLength)),
  };
  return { header, length };
}


/**
 * Length of the whole record at `pos` if it is valid (len plausible, inside `end`, record CRC
 * right), else -1. The record CRC covers the header too, so on this fast path the header CRC
 * need not be checked: a damaged len selects a wrong range whose CRC matches with p = 2^-32.
 */
export function validRecordLength(b: Uint8Array, pos: number, end: number): number {
  if (end - pos < RECORD_OVERHEAD) return -1;
  const len = readU32(b, pos);
  if (len === 0 || (len & 31) !== 0 || len > MAX_PAYLOAD || len > end - pos - RECORD_OVERHEAD) return -1;
  const crcAt = pos + RECORD_HEADER + len;
  return readU32(b, crcAt) === crc32c(b, pos, crcAt) ? len + RECORD_OVERHEAD : -1;
}

/** True when the 20-byte record header at `pos` has a plausible len and a right header CRC. */
export function validRecordHeader(b: Uint8Array, pos: number, end: number): boolean {
  if (end - pos < RECORD_OVERHEAD) return false;
  const len = readU32(b, pos);
  if (len === 0 || (len & 31) !== 0 || len > MAX_PAYLOAD || len > end - pos - RECORD_OVERHEAD) return false;
  return readU32(b, pos + HEADER_CRC_SPAN) === crc32c(b, pos, pos + HEADER_CRC_SPAN);
}
