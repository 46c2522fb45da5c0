/**
 * Opening the engine over a backend combination on a machine.
 * @module
 */
import { RotorTree } from '@rotortree/core';
import type { CheckpointPolicy, FlushPolicy } from '@rotortree/core';
import type { BackendUnderTest, Machine } from './types.js';

/** Engine parameters of a check. */
export interface EngineParams {
  readonly n: number;
  readonly maxDepth: number;
  readonly flushPolicy?: FlushPolicy;
  readonly checkpointPolicy?: CheckpointPolicy;
  readonly verifyCheckpoint?: boolean;
  /** Leave the checkpoint store out even if the combination has one. */
  readonly withoutCheckpoints?: boolean;
  /** The tree's identity, as a caller that keeps it (a descriptor) passes it. */
  readonly treeId?: string;
  /** `false`: the tree exists (a missing log is `CORRUPTION`). */
  readonly create?: boolean;
  /** Levels below it are read from the checkpoint store after a restore. */
  readonly pinAboveLevel?: number;
}

/** Builds fresh backend instances on `machine` and opens (recovers) the engine over them. */
export async function openEngine(backend: BackendUnderTest, machine: Machine, params: EngineParams): Promise<RotorTree> {
  const wal = await backend.wal(machine);
  const checkpoints =
    backend.checkpoints === undefined || params.withoutCheckpoints === true ? undefined : await backend.checkpoints(machine);
  return RotorTree.open({
    hasher: backend.hasher,
    n: params.n,
    maxDepth: params.maxDepth,
    wal,
    ...(checkpoints === undefined ? {} : { checkpoints }),
    flushPolicy: params.flushPolicy ?? { kind: 'manual' },
    ...(params.checkpointPolicy === undefined ? {} : { checkpointPolicy: params.checkpointPolicy }),
    verifyCheckpoint: params.verifyCheckpoint ?? true,
    ...(params.treeId === undefined ? {} : { treeId: params.treeId }),
    ...(params.create === undefined ? {} : { create: params.create }),
    ...(params.pinAboveLevel === undefined ? {} : { tiering: { pinAboveLevel: params.pinAboveLevel } }),
  });
}

/** Closes `tree`, ignoring the error a dead machine gives (the lock is released regardless). */
export async function closeQuietly(tree: RotorTree | undefined): Promise<void> {
  if (tree === undefined) return;
  try {
    await tree.close();
  } catch {
    // a powered-off machine fails the final flush; nothing to report here
  }
}
