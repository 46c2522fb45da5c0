/**
 * `@rotortree/wal-fs`: the file write-ahead log of rotortree.
 * @module
 */
export { fsWal } from './fs-wal.js';
export type { FsWalOptions, RecoveryMode } from './fs-wal.js';
export type { LockKind } from './lock.js';
export { fsWalReader } from './reader.js';
export type { FsWalReaderOptions } from './reader.js';
