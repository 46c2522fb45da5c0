/**
 * Fills in the CRCs of records written without them (see {@link RecordBuffer}): the native kernel
 * in one call, or the same walk in JS without the addon.
 * @module
 */
import { crc32c as crc32cJs } from '@rotortree/core/fs';
import { HEADER_CRC_SPAN, MAX_PAYLOAD, readU32, RECORD_HEADER, RECORD_OVERHEAD, writeU32 } from './format.js';
import { nativeWalKernels } from './native.js';
import type { NativeWalKernels } from './native.js';

/**
 * Writes the header CRC and record CRC of every record in `bytes[start, end)` (len, seq and flush
 * offset already written). Returns the offset where it stopped: `end` unless some record has an
 * implausible len or runs past `end`.
 */
export function sealRecordsJs(bytes: Uint8Array, start: number, end: number): number {
  let pos = start;
  while (end - pos >= RECORD_OVERHEAD) {
    const len = readU32(bytes, pos);
    if (len === 0 || (len & 31) !== 0 || len > MAX_PAYLOAD || len > end - pos - RECORD_OVERHEAD) break;
    const crcAt = pos + RECORD_HEADER + len;
    const headerCrc = crc32cJs(bytes, pos, pos + HEADER_CRC_SPAN);
    writeU32(bytes, pos + HEADER_CRC_SPAN, headerCrc);
    // The record CRC continues the header's over its own CRC field and the payload.
    writeU32(bytes, crcAt, crc32cJs(bytes, pos + HEADER_CRC_SPAN, crcAt, headerCrc));
    pos = crcAt + 4;
  }
  return pos;
}

/** {@link sealRecordsJs} by the native kernel when `kernels` are loaded. */
export function sealRecordsWith(kernels: NativeWalKernels | undefined, bytes: Uint8Array, start: number, end: number): number {
  return kernels !== undefined ? kernels.sealRecords(bytes, start, end) : sealRecordsJs(bytes, start, end);
}

/** {@link sealRecordsWith} the kernels of this process. */
export function sealRecords(bytes: Uint8Array, start: number, end: number): number {
  return sealRecordsWith(nativeWalKernels, bytes, start, end);
}
