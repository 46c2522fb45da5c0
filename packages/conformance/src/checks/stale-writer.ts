/**
 * Stale writers of checkpoints in S3: after a takeover, the old writer's checkpoint can never become
 * current, and the live writer collects its garbage.
 *
 * A run: writer A on a machine; a second engine on the same machine is refused (`FILE_LOCKED`, by
 * the WAL) and fences nothing (A's next checkpoint succeeds). Then writer B takes the tree over
 * while A's process lives on (the stale writer: it still reaches the server): with the fixture's
 * taking-over WAL (the WAL's epoch rises), else A's machine loses its disk (and A's lock) and B
 * recovers the tree on the rebooted machine, claiming it. A, holding leaves B never had, writes a checkpoint
 * through its store: it must fail (`FENCED`), a reader must never see it, a follower of B shows B's
 * durable state with the reference root, and B's next checkpoint removes what A wrote. In the
 * racing variant A starts a checkpoint of its durable state while B opens: either may win the
 * claim, the state recovered and published is B's either way.
 * @module
 */
import { chunkNodesFor } from '@rotortree/core';
import type { RotorTree, TreeSnapshot } from '@rotortree/core';
import { closeQuietly } from '../engine.js';
import { simulatedMachine } from '../machine.js';
import { recordStats } from '../stats.js';
import type { CheckOptions, Violation } from '../types.js';
import { describeError, ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { leavesAt, ReferenceRoots } from '../workload.js';
import type { S3Fixture } from './s3-fixture.js';
import type { S3Params } from './s3-support.js';
import { closeAll, expectReferenceRoot, leavesFilling, oneChunkSegments, openS3Follower, openS3Writer } from './s3-support.js';
import { outcomeOf, paramsOf } from './support.js';

/** The stale-writer group: two runs (the stale write after the takeover, and one racing it). */
export async function checkStaleWriter(fx: S3Fixture, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('staleWriter');
  const params = paramsOf(options);
  const reference = new ReferenceRoots(fx.backend.referenceHasher ?? fx.backend.hasher, params.n);
  for (const race of [false, true]) {
    const seed = (options.seed ?? 1) + (race ? 1 : 0);
    const at: CaseInfo = { backend: fx.backend.name, seed, mode: race ? 'racing' : 'after' };
    await log.guard('checkpointCrash', at, 'the stale-writer run', () => staleWriterRun(fx, params, reference, seed, race, log, at));
    recordStats({ crashStates: 1 });
  }
  return log.list;
}

async function staleWriterRun(fx: S3Fixture, params: S3Params, reference: ReferenceRoots, seed: number, race: boolean, log: ViolationLog, at: CaseInfo): Promise<void> {
  const machine = simulatedMachine(seed);
  const storeOptions = { segmentBytes: oneChunkSegments(params.n) };
  const a = await openS3Writer(fx, machine, params, storeOptions);
  let b: RotorTree | undefined;
  try {
    const first = leavesFilling(params.n, 2);
    a.tree.insertMany(leavesAt(0, first));
    await a.tree.flush();
    const refused = await outcomeOf(async () => closeQuietly((await openS3Writer(fx, machine, params, storeOptions)).tree));
    if (refused !== 'FILE_LOCKED') log.add('locking', at, `a second engine beside a live writer gives ${refused}, expected FILE_LOCKED`);
    const afterRefusal = await outcomeOf(() => a.tree.checkpoint());
    if (afterRefusal !== 'ok') log.add('locking', at, `after a second engine was refused, the writer's checkpoint gives ${afterRefusal}: the refused opener fenced it`);

    a.tree.insertMany(leavesAt(first, chunkNodesFor(params.n)));
    await a.tree.flush();
    const durable = { view: a.tree.snapshot(), seq: a.tree.seq };
    // Acknowledged but never flushed: lost with A's disk; B never has them.
    a.tree.insertMany(leavesAt(durable.view.size, 50));
    const stale = { view: a.tree.snapshot(), seq: a.tree.seq };

    machine.powerOff();
    // Without a taking-over WAL, A's lock goes with its disk; A's process and its store live on.
    if (fx.takeoverWal === undefined) await a.wal.close().catch(() => undefined);
    machine.reboot('prefix');
    const racing = race ? outcomeOf(() => a.store.write(durable.view, durable.seq)) : undefined;
    b = (await openS3Writer(fx, machine, params, storeOptions, true)).tree;
    const raced = await racing;
    if (raced !== undefined && raced !== 'ok' && raced !== 'FENCED') log.add('checkpointCrash', at, `a stale writer's checkpoint racing the takeover gives ${raced}, expected ok (before the claim) or FENCED`);
    if (b.size !== durable.view.size) log.add('ackedSurvives', at, `the new writer recovered ${b.size} leaves, ${durable.view.size} were durable`);
    expectReferenceRoot(log, 'root', at, 'the new writer', b.size, b.root, reference);

    const before = new Set(await fx.keys(machine));
    const staleOutcome = await outcomeOf(() => a.store.write(stale.view, stale.seq));
    if (staleOutcome !== 'FENCED') log.add('checkpointCrash', at, `the stale writer's checkpoint (${stale.view.size} leaves) after the takeover gives ${staleOutcome}, expected FENCED`);
    const garbage = (await fx.keys(machine)).filter((k) => !before.has(k));
    await expectPublished(fx, machine, params, at, log, b, 'after the stale write', stale.view);

    const follower = await openS3Follower(fx, machine, params, b.treeId);
    try {
      await follower.catchUp();
      if (follower.size > b.size) log.add('followers', at, `a follower of the new writer shows ${follower.size} leaves, the writer has ${b.size}`);
      if (follower.size !== b.size) log.add('followers', at, `after a read a follower shows ${follower.size} leaves, the new writer has ${b.size} durable`);
      expectReferenceRoot(log, 'followers', at, 'a follower of the new writer', follower.size, follower.root, reference);
    } finally {
      await follower.close();
    }

    b.insertMany(leavesAt(b.size, 10));
    await b.flush();
    await b.checkpoint();
    await expectPublished(fx, machine, params, at, log, b, 'after the new writer checkpointed', stale.view);
    const size = b.size;
    await b.close();
    b = undefined;
    const left = new Set(await fx.keys(machine));
    const kept = garbage.filter((k) => left.has(k));
    if (kept.length > 0) log.add('checkpointCrash', at, `the live writer left ${kept.length} of the ${garbage.length} objects of the stale writer's failed checkpoint, e.g. ${kept[0]}`);

    const again = (await openS3Writer(fx, machine, params, storeOptions)).tree;
    try {
      if (again.size !== size) log.add('ackedSurvives', at, `a reopen after the takeover shows ${again.size} leaves, expected ${size}`);
      expectReferenceRoot(log, 'root', at, 'a reopen after the takeover', again.size, again.root, reference);
    } finally {
      await closeQuietly(again);
    }
  } finally {
    await closeQuietly(b);
    await closeQuietly(a.tree);
    await closeAll(a.store);
  }
}

/** What a reader store finds published: the live writer's state (never the stale view's size), the reference root. */
async function expectPublished(
  fx: S3Fixture,
  machine: Parameters<S3Fixture['store']>[0],
  params: S3Params,
  at: CaseInfo,
  log: ViolationLog,
  live: RotorTree,
  when: string,
  stale: TreeSnapshot,
): Promise<void> {
  const reader = await fx.store(machine, { readOnly: true });
  try {
    const got = await reader.open({ n: params.n, maxDepth: params.maxDepth, hasherId: fx.backend.hasher.id, treeId: live.treeId });
    if (got === undefined) return void log.add('checkpointCrash', at, `${when}: a reader finds no checkpoint`);
    if (got.view.size === stale.size) log.add('checkpointCrash', at, `${when}: a reader finds the stale writer's checkpoint (${stale.size} leaves) current`);
    if (got.view.size > live.size) log.add('checkpointCrash', at, `${when}: a reader finds ${got.view.size} leaves, the live writer has ${live.size}`);
    if (got.seq !== live.checkpointSeq) log.add('checkpointCrash', at, `${when}: a reader finds the checkpoint of seq ${got.seq}, the live writer's is ${live.checkpointSeq}`);
  } catch (err) {
    log.add('checkpointCrash', at, `${when}: a reader's open threw ${describeError(err)}`);
  } finally {
    await reader.close().catch(() => undefined);
  }
}
