/**
 * CRC-32C for the WAL: the native kernel for long ranges, the JS one for short ranges (where the
 * call into the addon costs more than the JS loop: measured crossover ~100 bytes) or without the addon.
 * @module
 */
import { crc32c as crc32cJs } from '@rotortree/core/fs';
import { nativeWalKernels } from './native.js';

/** Shorter ranges stay in JS. */
const NATIVE_MIN_BYTES = 128;

const native = nativeWalKernels;

/** CRC-32C of `bytes[start, end)`, continuing from `crc` (0 to start). */
export function crc32c(bytes: Uint8Array, start: number, end: number, crc = 0): number {
  return native !== undefined && end - start >= NATIVE_MIN_BYTES ? native.crc32c(bytes, start, end, crc) : crc32cJs(bytes, start, end, crc);
}
