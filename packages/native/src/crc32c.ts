/**
 * CRC-32C for every rotortree package: the addon's kernel for long ranges (VPCLMULQDQ folding,
 * SSE4.2, ARMv8 CRC), core's JS one for short ranges, where the call into the addon costs more
 * than the JS loop (measured crossover ~100 bytes), and wherever the addon is missing or disabled.
 * Both give the same numbers.
 * @module
 */
import { crc32c as jsCrc32c } from '@rotortree/core/fs';
import { nativeAddon } from './addon.js';

/** Shorter ranges stay in JS. */
const NATIVE_MIN_BYTES = 128;

/** CRC-32C of `bytes[start, end)`, continuing from `crc` (0 to start). */
export type Crc32c = (bytes: Uint8Array, start?: number, end?: number, crc?: number) => number;

/** The CRC-32C this process uses, chosen now (`ROTORTREE_DISABLE_NATIVE=1` gives the JS one). */
export function bestCrc32c(): Crc32c {
  const addon = nativeAddon();
  if (addon === undefined) return jsCrc32c;
  return (bytes, start = 0, end = bytes.length, crc = 0) =>
    end - start < NATIVE_MIN_BYTES ? jsCrc32c(bytes, start, end, crc) : addon.crc32c(bytes, start, end, crc);
}

/**
 * Which kernel long inputs run on: `'vpclmulqdq'`, `'sse4.2'`, `'armv8-crc'`, `'table'` (the addon's
 * portable C kernel) or `'js'` (no addon).
 */
export function crc32cKernel(): string {
  return nativeAddon()?.crcKernel ?? 'js';
}
