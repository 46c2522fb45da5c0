/**
 * CRC-32C of segment and manifest bytes: the addon's SSE4.2 version when it loads (GB/s), else
 * core's table-driven one. Both give the same numbers.
 * @module
 */
import { crc32c as jsCrc32c } from '@rotortree/core/fs';
import type { MmapAddon } from './native.js';
import { loadMmapAddon } from './native.js';

/** Computes CRC-32C of `bytes[start, end)` continuing from `crc`. */
export type Crc32c = (bytes: Uint8Array, start?: number, end?: number, crc?: number) => number;

/** Native CRC below this many bytes costs more in call overhead than it saves. */
const NATIVE_MIN = 256;

/** The fastest CRC-32C available (the addon's even when mmap is disabled: CRC never touches files). */
export function bestCrc32c(addon: MmapAddon | undefined = loadMmapAddon({ disabled: false })): Crc32c {
  if (addon === undefined) return jsCrc32c;
  return (bytes, start = 0, end = bytes.length, crc = 0) =>
    end - start < NATIVE_MIN ? jsCrc32c(bytes, start, end, crc) : addon.crc32c(bytes.subarray(start, end), crc);
}
