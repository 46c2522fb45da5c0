/**
 * `@rotortree/wal-fs`: the file write-ahead log of rotortree.
 * @module
 */
export { fsWal } from './fs-wal.js';
export type { FsWalOptions, RecoveryMode } from './fs-wal.js';
export type { LockKind } from './lock.js';
