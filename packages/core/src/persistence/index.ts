/**
 * Backend interfaces (WAL, checkpoint store), tree identity, and the in-memory backends. The base
 * classes for writing a backend are in `@rotortree/core/backend`.
 * @module
 */
export type {
  ImmutableRecordWriter,
  Wal,
  WalCapabilities,
  WalConfig,
  WalMark,
  WalOpened,
  WalRecordVisitor,
  WalRecoverOptions,
  WalRecovery,
  WalRunVisitor,
} from './wal.js';
export type { WalReadResult, WalReader } from './wal-reader.js';
export type { CheckpointConfig, CheckpointStore, CheckpointStoreCapabilities, StoredCheckpoint } from './checkpoint-store.js';
export { settledLength } from './checkpoint-store.js';
export type { TreeConfig, TreeIdentity } from './tree-identity.js';
export { isTreeId, newTreeId } from './tree-identity.js';
export { MemoryDisk, memoryDisk } from './memory/memory-disk.js';
export type { CrashOptions, MemoryCheckpointManifest, MemoryWalRecord } from './memory/memory-disk.js';
export { memoryWal } from './memory/memory-wal.js';
export { memoryWalReader } from './memory/memory-wal-reader.js';
export type { MemoryWal, MemoryWalOptions } from './memory/memory-wal.js';
export { memoryCheckpointStore } from './memory/memory-checkpoint-store.js';
export type { MemoryCheckpointStore, MemoryCheckpointStoreOptions } from './memory/memory-checkpoint-store.js';
