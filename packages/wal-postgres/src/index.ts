/**
 * `@rotortree/wal-postgres`: the tree's write-ahead log in PostgreSQL, with fencing across
 * machines. See the package README for the schema, the fencing, the durability checks and what
 * each error means.
 * @module
 */
export { postgresWal } from './postgres-wal.js';
export type { PostgresConnectionConfig, PostgresWalOptions, SynchronousCommit } from './options.js';
export { SCHEMA_VERSION } from './schema.js';
export { postgresCheckpointPointer } from './pointer.js';
export type { CheckpointClaim, CheckpointTarget, PostgresCheckpointPointer, PostgresCheckpointPointerOptions } from './pointer.js';
export { postgresWalReader } from './reader.js';
export type { PostgresWalReaderOptions } from './reader.js';
