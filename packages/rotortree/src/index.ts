/**
 * `rotortree`: append-only n-ary Merkle trees that survive crashes, batteries included.
 *
 * `open(dir)` gives a durable {@link RotorTree} on the default file backends; everything of
 * `@rotortree/core` is re-exported, with `blake3` (`@rotortree/hasher-blake3`), `fsWal`
 * (`@rotortree/wal-fs`) and `mmapCheckpointStore` (`@rotortree/checkpoint-mmap`) for custom wiring.
 * The `rotortree` command-line tool is in `dist/cli/main.js`.
 * @module
 */
export * from '@rotortree/core';
export { blake3, availableBackends, BLAKE3_ID, BLAKE3_LEGACY_ID } from '@rotortree/hasher-blake3';
export type { Blake3Backend, Blake3Options } from '@rotortree/hasher-blake3';
export { fsWal, fsWalReader } from '@rotortree/wal-fs';
export type { FsWalOptions, FsWalReaderOptions, RecoveryMode } from '@rotortree/wal-fs';
export { mmapCheckpointStore } from '@rotortree/checkpoint-mmap';
export type { FileStoredCheckpoint, MmapCheckpointStore, MmapCheckpointStoreOptions } from '@rotortree/checkpoint-mmap';
export { open, storedParameters } from './open.js';
export { follow } from './follow.js';
export type { FollowDirOptions } from './follow.js';
export type { OpenOptions, StoredParameters } from './open.js';
export { DEFAULT_CHECKPOINT, DEFAULT_CHECKPOINT_BYTES, DEFAULT_FLUSH, DEFAULT_MAX_DEPTH, DEFAULT_N, defaultTiering } from './defaults.js';
export { readDescriptor } from './descriptor.js';
export type { TreeDescriptor } from './descriptor.js';
export { CHECKPOINT_DIR, DESCRIPTOR_NAME, WAL_DIR, layoutOf } from './layout.js';
export type { TreeLayout } from './layout.js';
export { leafHasher } from './leaf-hash.js';
export type { LeafHasher } from './leaf-hash.js';
export { checkTree } from './check.js';
export type { CheckIssue, CheckOptions, CheckReport } from './check.js';
