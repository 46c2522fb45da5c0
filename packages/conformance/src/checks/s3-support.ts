/**
 * What the S3 groups share: engines and followers over an {@link S3Fixture}, trees large enough to
 * fill segments, and the comparison of a shown state with the reference.
 * @module
 */
import { chunkNodesFor, NODE_SIZE, RotorTree } from '@rotortree/core';
import type { CheckpointStore, RotorFollower, Wal } from '@rotortree/core';
import type { Machine } from '../types.js';
import type { CaseInfo, ViolationLog } from '../violations.js';
import type { ReferenceRoots } from '../workload.js';
import { shortHex } from '../workload.js';
import type { S3Fixture, S3StoreOptions } from './s3-fixture.js';

/** Engine parameters of the S3 groups. */
export interface S3Params {
  readonly n: number;
  readonly maxDepth: number;
}

/** A writer with the WAL and store instances it writes through (a check keeps them to play a stale writer). */
export interface S3Writer {
  readonly tree: RotorTree;
  readonly wal: Wal;
  readonly store: CheckpointStore;
}

/** Opens (recovers) a writer on `machine`: the fixture's WAL, a store built with `options`, manual flushes and checkpoints. */
export async function openS3Writer(fx: S3Fixture, machine: Machine, params: S3Params, options: S3StoreOptions = {}): Promise<S3Writer> {
  const wal = await fx.backend.wal(machine);
  const store = await fx.store(machine, options);
  try {
    const tree = await RotorTree.open({
      hasher: fx.backend.hasher,
      n: params.n,
      maxDepth: params.maxDepth,
      wal,
      checkpoints: store,
      flushPolicy: { kind: 'manual' },
      checkpointPolicy: { kind: 'manual' },
      verifyCheckpoint: true,
    });
    return { tree, wal, store };
  } catch (err) {
    await closeAll(store, wal);
    throw err;
  }
}

/** A follower of the tree on `machine`: the fixture's WAL reader and a read-only store. */
export async function openS3Follower(fx: S3Fixture, machine: Machine, params: S3Params, treeId: string, options: S3StoreOptions = {}): Promise<RotorFollower> {
  const wal = await fx.backend.walReader!(machine);
  const checkpoints = await fx.store(machine, { ...options, readOnly: true });
  return RotorTree.follow({ hasher: fx.backend.hasher, n: params.n, maxDepth: params.maxDepth, wal, checkpoints, treeId, pollMs: 0 });
}

/** Leaves that fill `chunks` whole chunks of level 0 and half of one more (so segments are written, and a tail stays in the manifest). */
export function leavesFilling(n: number, chunks: number): number {
  return Math.floor(chunkNodesFor(n) * (chunks + 0.5));
}

/** `segmentBytes` that put one chunk in each segment: the most requests per checkpoint. */
export function oneChunkSegments(n: number): number {
  return chunkNodesFor(n) * NODE_SIZE + 4;
}

/** Records a violation unless `root` is the reference root of `size` leaves. */
export function expectReferenceRoot(
  log: ViolationLog,
  invariant: 'root' | 'followers' | 'checkpointCrash',
  at: CaseInfo,
  what: string,
  size: number,
  root: Uint8Array | undefined,
  reference: ReferenceRoots,
): void {
  const want = reference.root(size);
  const same = root === undefined || want === undefined ? root === want : root.length === want.length && root.every((b, i) => b === want[i]);
  if (!same) log.add(invariant, at, `${what}: the root at ${size} leaves is ${shortHex(root)}, the reference gives ${shortHex(want)}`);
}

/** Closes quietly (a store or a tree whose machine or server is gone). */
export async function closeAll(...things: Array<{ close(): Promise<void> } | undefined>): Promise<void> {
  for (const thing of things) await thing?.close().catch(() => undefined);
}
