/**
 * CRC-32C (Castagnoli) of stored bytes: `@rotortree/native`'s kernel for long ranges (GB/s), core's
 * JS one for short ranges or without the addon. Both give the same numbers.
 * @module
 */
import { bestCrc32c } from '@rotortree/native';

/** Computes CRC-32C of `bytes[start, end)` continuing from `crc`. */
export const crc32c = bestCrc32c();
