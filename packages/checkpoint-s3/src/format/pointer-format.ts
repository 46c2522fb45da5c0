/**
 * The standalone pointer object (`<p>/pointer`, see keys.ts), covered by one CRC-32C:
 * ```
 *   0  magic "RTP3"      4  version u32 (1)       8  total length u32 (incl. final CRC)
 *  12  tree id [16]     28  epoch f64: the writer that wrote this version
 *  36  has target u32 (0: no checkpoint published yet; the fields below are zero)
 *  40  seq f64          48  size f64             56  manifest bytes f64
 *  64  manifest CRC-32C u32                      68  manifest key length u32, then UTF-8, padded to 4
 *   .  CRC-32C u32 of every byte before it
 * ```
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import { TREE_ID_BYTES, treeIdFromBytes, treeIdToBytes } from '@rotortree/core/backend';
import { crc32c } from './checksum.js';
import { FieldReader, FieldWriter, pad4 } from './cursor.js';
import type { PointerTarget } from '../pointer/pointer.js';
import { corruption } from '../errors.js';

const MAGIC = 0x33505452; // "RTP3" read as little-endian u32
const VERSION = 1;
const FIXED_BYTES = 72;

/** A decoded pointer object. */
export interface PointerRecord {
  readonly treeId: string;
  readonly epoch: number;
  readonly target: PointerTarget | undefined;
}

export function encodePointer(p: PointerRecord): Uint8Array {
  const key = new TextEncoder().encode(p.target?.manifestKey ?? '');
  const length = FIXED_BYTES + pad4(key.length) + 4;
  const w = new FieldWriter(length);
  w.u32(MAGIC);
  w.u32(VERSION);
  w.u32(length);
  w.raw(treeIdToBytes(p.treeId));
  w.f64(p.epoch);
  w.u32(p.target === undefined ? 0 : 1);
  w.f64(p.target?.seq ?? 0);
  w.f64(p.target?.size ?? 0);
  w.f64(p.target?.manifestBytes ?? 0);
  w.u32(p.target?.manifestCrc ?? 0);
  w.u32(key.length);
  w.raw(key);
  w.at = length - 4;
  w.u32(crc32c(w.bytes, 0, length - 4));
  return w.bytes;
}

/** Parses a pointer read from `key`: `CORRUPTION` for damage, `CONFIG_MISMATCH` for another version. */
export function decodePointer(bytes: Uint8Array, key: string): PointerRecord {
  if (bytes.length < FIXED_BYTES + 4) throw corruption(key, `${bytes.length} bytes is too short for a checkpoint pointer`, bytes.length);
  const r = new FieldReader(bytes, key);
  if (r.u32() !== MAGIC) throw corruption(key, 'not a checkpoint pointer (bad magic)', 0);
  const version = r.u32();
  if (version !== VERSION) throw new RotorTreeError('CONFIG_MISMATCH', `${key}: pointer format version ${version}, this code reads ${VERSION}`, { file: key, offset: 4 });
  const total = r.u32();
  if (total !== bytes.length) throw corruption(key, `the pointer says ${total} bytes, the object has ${bytes.length}`, 8);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(total - 4, true) !== crc32c(bytes, 0, total - 4)) throw corruption(key, 'pointer checksum mismatch', total - 4);
  const treeId = treeIdFromBytes(r.raw(TREE_ID_BYTES));
  const epoch = r.int(1);
  const has = r.u32();
  const seq = r.int(0);
  const size = r.int(0);
  const manifestBytes = r.int(0);
  const manifestCrc = r.u32();
  const keyLen = r.u32();
  const manifestKey = new TextDecoder().decode(r.raw(keyLen));
  if (has > 1 || (has === 1) !== keyLen > 0) throw corruption(key, 'the pointer names no manifest but says it does (or the reverse)', 36);
  return { treeId, epoch, target: has === 1 ? { manifestKey, seq, size, manifestBytes, manifestCrc } : undefined };
}
