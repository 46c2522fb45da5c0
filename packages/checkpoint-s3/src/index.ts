/**
 * `@rotortree/checkpoint-s3`: rotortree's checkpoints in S3-compatible object storage. Segments
 * (whole settled chunks of one level) and manifests are write-once objects whose keys carry the
 * writer's epoch; one fenced step through a {@link CheckpointPointer} publishes a checkpoint; upper
 * levels are downloaded at open, lower ones can be read on demand by ranged GETs through a bounded
 * cache. See the README for the layout, the fencing and what each error means.
 * @module
 */
export { s3CheckpointStore } from './store.js';
export type { S3CheckpointStore, S3StoredCheckpoint } from './store.js';
export type { S3CheckpointStoreOptions } from './options.js';
export { S3CheckpointView } from './read/view.js';
export type { ViewReader } from './read/view.js';
export type { CheckpointPointer, PointerClaim, PointerTarget } from './pointer/pointer.js';
export { sameTarget } from './pointer/pointer.js';
