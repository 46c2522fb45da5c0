/**
 * The defaults of {@link open}, and why they are what they are.
 * @module
 */
import type { CheckpointPolicy, FlushPolicy, TieringOptions } from '@rotortree/core';

/**
 * Default branching factor. 4 halves the depth of a binary tree (half the levels to update per
 * insert, a parent hashes 128 bytes in one BLAKE3 chunk) for 1.5x the proof bytes (3 siblings per
 * level, half the levels).
 */
export const DEFAULT_N = 4;

/**
 * Default maximum depth. The depth of a proof follows the tree's size, not `maxDepth`, so a large
 * value costs nothing but a few bytes of scratch. With n = 4, 32 levels give a capacity of
 * 4^32 = 2^64 leaves, beyond any size a JavaScript number counts exactly (2^53): the tree never
 * fills up for lack of depth, and n = 2 still holds 2^32 leaves.
 */
export const DEFAULT_MAX_DEPTH = 32;

/**
 * Default flush policy: group commit every 10 ms. One fdatasync costs 0.15-0.33 ms here, so a
 * flush per insert caps durable inserts at a few thousand per second; a 10 ms window makes every
 * insert in it durable with one fdatasync, at a latency of ~10 ms.
 */
export const DEFAULT_FLUSH: FlushPolicy = { kind: 'interval', ms: 10 };

/**
 * Default background checkpoint threshold: 64 MiB of leaves (2 Mi leaves) appended since the last
 * checkpoint. It bounds the WAL on disk and what a recovery replays (~64 MiB, well under a second
 * to rehash), while a checkpoint, which writes the new settled chunks of every level, runs rarely.
 */
export const DEFAULT_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/** The default checkpoint policy given to the engine (plus a checkpoint at close: see `OpenOptions.checkpointOnClose`). */
export const DEFAULT_CHECKPOINT: CheckpointPolicy = { kind: 'memoryThreshold', bytes: DEFAULT_CHECKPOINT_BYTES };

/** Leaves a pinned level may hold, relative to the leaf level: at most 1/256 of it. */
const PINNED_FRACTION = 256;

/**
 * The tiering default for branching factor `n`: pin the levels from the first one whose nodes
 * each cover at least 256 leaves (n^p >= 256: p = 4 for n = 4, 8 for n = 2, 1 for n >= 256).
 * The pinned levels then take at most ~1/255 of the leaf level's memory (128 MiB for 2^30 leaves),
 * and the levels below are read through mmap from checkpoint files. Proof reads touch at most
 * p * (n - 1) mapped nodes. Throws `RangeError` for an `n` outside 2..256.
 */
export function defaultTiering(n: number): TieringOptions {
  // n < 2 would never reach the fraction (the loop below would never end).
  if (!Number.isInteger(n) || n < 2 || n > 256) throw new RangeError(`n must be an integer in 2..256, got ${String(n)}`);
  let p = 0;
  for (let cover = 1; cover < PINNED_FRACTION; cover *= n) p++;
  return { pinAboveLevel: p };
}
