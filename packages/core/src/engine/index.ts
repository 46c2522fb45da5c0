/**
 * The persistent engine and its types.
 * @module
 */
export { MAX_BATCH_LEAVES, RotorTree } from './rotor-tree.js';
export { RotorFollower } from './follower.js';
export type { FollowerLag, FollowOptions } from './follower.js';
export type { DurabilityToken, InsertResult } from './token.js';
export type { CheckpointPolicy, FlushPolicy, RotorTreeOptions, TieringOptions } from './options.js';
export { DEFAULT_CHECKPOINT_POLICY, DEFAULT_FLUSH_POLICY } from './options.js';
export type { RecoveryReport } from './recovery.js';
