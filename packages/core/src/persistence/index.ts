/**
 * Backend interfaces (WAL, checkpoint store) and the in-memory backends.
 * @module
 */
export type { ImmutableRecordWriter, Wal, WalCapabilities, WalConfig, WalOpenResult, WalRecordVisitor, WalRunVisitor } from './wal.js';
export type {
  CheckpointConfig,
  CheckpointStore,
  CheckpointStoreCapabilities,
  StoredCheckpoint,
} from './checkpoint-store.js';
export { settledLength } from './checkpoint-store.js';
export { MemoryDisk, memoryDisk } from './memory-disk.js';
export type { CrashOptions, MemoryCheckpointManifest, MemoryWalRecord } from './memory-disk.js';
export { memoryWal } from './memory-wal.js';
export type { MemoryWal, MemoryWalOptions } from './memory-wal.js';
export { memoryCheckpointStore } from './memory-checkpoint-store.js';
export type { MemoryCheckpointStore, MemoryCheckpointStoreOptions } from './memory-checkpoint-store.js';
