/**
 * `@rotortree/checkpoint-mmap`: the file checkpoint store of rotortree. Level data lives in
 * write-once segment files of whole, settled chunks; one checksummed manifest, published by one
 * atomic rename, is the commit point and holds each level's remaining nodes (the unsettled tail
 * included). Segments are read through read-only mmap windows when the N-API addon is built,
 * else read into memory.
 * @module
 */
export { mmapCheckpointStore } from './store.js';
export type { FileStoredCheckpoint, MmapCheckpointStore, MmapCheckpointStoreOptions } from './store.js';
export { CheckpointView } from './view.js';
export type { CheckpointLevelChunks } from './view.js';
export { loadMmapAddon } from './native.js';
export type { LoadMmapAddonOptions, MmapAddon } from './native.js';
