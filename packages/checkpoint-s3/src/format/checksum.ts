/**
 * CRC-32C (Castagnoli) of stored bytes: core's implementation, the one the file backends use.
 * @module
 */
export { crc32c } from '@rotortree/core/fs';
