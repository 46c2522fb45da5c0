/**
 * `@rotortree/core`: the append-only n-ary lean incremental Merkle tree (LeanIMT), its snapshots and
 * proofs, the `Hasher` / `Wal` / `CheckpointStore` interfaces, and the persistent engine.
 * @module
 */
export { RotorTreeError, isRotorTreeError } from './errors.js';
export type { ErrorCode, ErrorLocation, RotorTreeErrorOptions } from './errors.js';
export { NODE_SIZE, assertNode, flattenLeaves, toHex, fromHex, bytesEqual } from './bytes.js';
export type { BoundClimbKernel, BoundPathKernel, ClimbPaths, Hasher } from './hasher.js';
export { CLIMB_STRIDE, bindClimbWithGroups, bindPathWithGroups, hasherFromGroupFunction, hashPathWithGroups } from './hasher.js';
export { LeanIMT } from './tree/lean-imt.js';
export type { InsertManyOptions, LeanIMTOptions } from './tree/lean-imt.js';
export { TreeSnapshot } from './tree/snapshot.js';
export type { SnapshotLevel } from './tree/snapshot.js';
export type { ChunkRun, ChunkSource, RunResidency, TreeView } from './tree/view.js';
export { runHoldingChunk } from './tree/view.js';
export { chunkNodesFor } from './tree/level.js';
export { depthForSize, levelLengthFor, capacityFor } from './tree/shape.js';
export * from './proof/index.js';
export * from './persistence/index.js';
export * from './engine/index.js';
