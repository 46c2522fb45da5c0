/**
 * What the S3 groups share: engines and followers over an {@link S3Fixture}, trees large enough to
 * fill segments, and the comparison of a shown state with the reference.
 * @module
 */
import { chunkNodesFor, NODE_SIZE, RotorTree } from '@rotortree/core';
import type { CheckpointStore, RotorFollower, Wal } from '@rotortree/core';
import { FaultProxy } from '../network/fault-proxy.js';
import { httpFraming } from '../network/framing/http.js';
import type { Machine } from '../types.js';
import type { CaseInfo, ViolationLog } from '../violations.js';
import type { ReferenceRoots } from '../workload.js';
import { leavesAt, shortHex } from '../workload.js';
import { outcomeOf } from './support.js';
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

/** Opens (recovers) a writer on `machine`: the fixture's WAL (its taking-over WAL with `takeover`), a store built with `options`, manual flushes and checkpoints. */
export async function openS3Writer(fx: S3Fixture, machine: Machine, params: S3Params, options: S3StoreOptions = {}, takeover = false): Promise<S3Writer> {
  const wal = takeover && fx.takeoverWal !== undefined ? await fx.takeoverWal(machine) : await fx.backend.wal(machine);
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

/**
 * After a fault healed: `writer` (open, holding `flushed` leaves) checkpoints again (retried until
 * `retryMs` passed: a restarted server may take a while to serve), a reader finds that checkpoint
 * published, and a reopen recovers every flushed leaf with the reference root. Closes `writer`.
 */
export async function expectGoesOn(
  fx: S3Fixture,
  machine: Machine,
  params: S3Params,
  reference: ReferenceRoots,
  writer: S3Writer,
  flushed: number,
  after: string,
  log: ViolationLog,
  at: CaseInfo,
  retryMs = 0,
): Promise<void> {
  try {
    if (writer.tree.size !== flushed) log.add('ackedSurvives', at, `after ${after} the writer has ${writer.tree.size} leaves, ${flushed} were flushed`);
    writer.tree.insertMany(leavesAt(writer.tree.size, 3));
    await writer.tree.flush();
    const until = Date.now() + retryMs;
    let next = await outcomeOf(() => writer.tree.checkpoint());
    while (next !== 'ok' && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      next = await outcomeOf(() => writer.tree.checkpoint());
    }
    if (next !== 'ok') return void log.add('checkpointCrash', at, `after ${after}, the next checkpoint gives ${next}`);
    const size = writer.tree.size;
    const reader = await fx.store(machine, { readOnly: true });
    try {
      const got = await reader.open({ n: params.n, maxDepth: params.maxDepth, hasherId: fx.backend.hasher.id, treeId: writer.tree.treeId });
      if (got?.seq !== writer.tree.checkpointSeq || got.view.size !== size) {
        log.add('checkpointCrash', at, `after ${after}, a reader finds seq ${got?.seq} (${got?.view.size} leaves) published, the writer checkpointed seq ${writer.tree.checkpointSeq} (${size} leaves)`);
      }
    } finally {
      await reader.close().catch(() => undefined);
    }
    await writer.tree.close();
    const again = await openS3Writer(fx, machine, params);
    try {
      if (again.tree.size !== size) log.add('ackedSurvives', at, `after ${after}, a reopen shows ${again.tree.size} leaves, ${size} were flushed`);
      expectReferenceRoot(log, 'root', at, `after ${after}, a reopen`, again.tree.size, again.tree.root, reference);
    } finally {
      await closeAll(again.tree);
    }
  } finally {
    await closeAll(writer.tree);
  }
}

/** The longest a write may take to give up: each attempt its timeout plus its body's time, at most 2 s of backoff between attempts, and slack. */
export function giveUpBoundMs(timeoutMs: number, retries: number): number {
  return (retries + 1) * (timeoutMs + 1000) + retries * 2000 + 5000;
}

/**
 * A fault proxy (HTTP framing) in front of the fixture's server, and store options through it:
 * one request at a time and no background collection, so that request k is the same one in every
 * run; one chunk per segment (the most requests).
 */
export async function proxiedStores(fx: S3Fixture, params: S3Params, timeoutMs: number, retries: number): Promise<{ proxy: FaultProxy; through: S3StoreOptions }> {
  const url = new URL(fx.endpoint);
  const proxy = await FaultProxy.start({ target: { host: url.hostname, port: Number(url.port) }, framing: httpFraming });
  const through: S3StoreOptions = {
    endpoint: `http://${proxy.host}:${proxy.port}`,
    requestTimeoutMs: timeoutMs,
    retries,
    segmentBytes: oneChunkSegments(params.n),
    concurrency: 1,
    collectGarbage: false,
  };
  return { proxy, through };
}

/**
 * The state the write and kill cases start from: two and a half chunks of leaves flushed and
 * checkpointed (segments of level 0 published), then one more chunk flushed (the next checkpoint
 * writes one new segment, the manifest, the publish). Returns the leaves flushed.
 */
export async function checkpointThenGrow(tree: RotorTree): Promise<number> {
  const first = leavesFilling(tree.n, 2);
  tree.insertMany(leavesAt(0, first));
  await tree.flush();
  await tree.checkpoint();
  tree.insertMany(leavesAt(first, chunkNodesFor(tree.n)));
  await tree.flush();
  return tree.size;
}
