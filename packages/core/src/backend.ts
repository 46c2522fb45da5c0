/**
 * `@rotortree/core/backend`: what a backend author builds on. Extend {@link WalBase} or
 * {@link CheckpointStoreBase} and write only the I/O hooks: the rules of the contracts (lifecycle,
 * parameters and identity, sequence numbers, payload shapes, flush serialisation, poisoning,
 * growth of checkpoints) are kept there, once, for every backend. Then run `@rotortree/conformance`.
 * @module
 */
export { MAX_RECORD_BYTES, WalBase } from './persistence/kit/wal-base.js';
export type { LogReplay, RecordSink, StoredLog } from './persistence/kit/wal-base.js';
export { openWal } from './persistence/kit/open-wal.js';
export { CheckpointStoreBase } from './persistence/kit/checkpoint-store-base.js';
export type { PublishedCheckpoint } from './persistence/kit/checkpoint-store-base.js';
export {
  TREE_ID_BYTES,
  assertTreeConfig,
  assertTreeIdentity,
  checkStoredTree,
  isTreeId,
  newTreeId,
  sameTreeConfig,
  treeIdFromBytes,
  treeIdToBytes,
} from './persistence/tree-identity.js';
export type { TreeConfig, TreeIdentity } from './persistence/tree-identity.js';
