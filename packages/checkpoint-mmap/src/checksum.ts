/**
 * CRC-32C of segment and manifest bytes: `@rotortree/native`'s (its kernel for long ranges, the
 * JS one for short ranges or without the addon, even when mmap is disabled: CRC never touches files).
 * @module
 */
export { bestCrc32c } from '@rotortree/native';
export type { Crc32c } from '@rotortree/native';
