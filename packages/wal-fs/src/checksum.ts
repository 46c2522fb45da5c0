/**
 * CRC-32C for the WAL: `@rotortree/native`'s (its kernel for long ranges, the JS one for short
 * ranges or without the addon), chosen at import.
 * @module
 */
import { bestCrc32c } from '@rotortree/native';

/** CRC-32C of `bytes[start, end)`, continuing from `crc` (0 to start). */
export const crc32c: (bytes: Uint8Array, start: number, end: number, crc?: number) => number = bestCrc32c();
