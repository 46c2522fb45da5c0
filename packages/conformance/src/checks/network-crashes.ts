/**
 * The network crash groups: a scripted workload through the suite's proxy, failed at a network
 * crash point ("before/after the k-th request or reply" after the open, the network twin of the
 * kill points) by a SIGKILL of the server (then a restart) or by a partition (blackhole or reset,
 * then healed); and a synchronous standby stopped under a writer. Every faulted flush must settle
 * within its bound (reject or resolve, never hang, never a success that was not durable); after
 * recovery every acknowledged record is there, the leaves are a prefix of whole records, the root
 * is the reference's; then more is appended, closed, reopened and checked again.
 * @module
 */
import type { RotorTree } from '@rotortree/core';
import { createPrng } from '@rotortree/core/fs';
import type { Prng } from '@rotortree/core/fs';
import { resolveCapabilities } from '../capabilities.js';
import { closeQuietly } from '../engine.js';
import type { EngineParams } from '../engine.js';
import { simulatedMachine } from '../machine.js';
import { formatNetworkPoint } from '../network/network-points.js';
import type { NetworkPoint } from '../network/network-points.js';
import type { ProxyMode } from '../network/fault-proxy.js';
import { recordStats } from '../stats.js';
import type { BackendUnderTest, CheckOptions, Machine, Violation } from '../types.js';
import { checkRecovered } from '../verify.js';
import { describeError, ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { leafAt, leavesAt, ReferenceRoots } from '../workload.js';
import { appendAndReopen } from './durability.js';
import { FAULT_TIMEOUT_MS, freshLog, SLACK_MS, within, withRig } from './network-rig.js';
import type { NetworkRig } from './network-rig.js';
import { makeScript, RunRecord, runScript } from './script.js';
import type { Step } from './script.js';
import { outcomeOf, paramsOf } from './support.js';

/** A fault the suite injects at a crash point, and how the service comes back. */
interface Fault {
  readonly label: string;
  /** Runs at the point (the proxied direction waits for it). */
  inject(rig: NetworkRig): Promise<void>;
  /** After the run: the service serves again. */
  heal(rig: NetworkRig): Promise<void>;
  /** Inject it at the end of the run when the point was never reached (a kill must always happen). */
  readonly always: boolean;
}

/** Acknowledged records survive a SIGKILL of the server at network crash points (then a restart). */
export async function checkServerKills(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const controller = backend.network?.controller;
  if (controller === undefined) return [];
  const kill: Fault = {
    label: 'kill -9',
    inject: async () => {
      await controller.kill();
      recordStats({ serverKills: 1 });
    },
    heal: () => controller.start(),
    always: true,
  };
  return crashPoints(backend, options, 'serverKill', options.serverKills ?? 2, () => kill);
}

/** A partition mid-flush (blackhole or reset at network crash points, then healed). */
export async function checkPartitions(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const partition = (mode: ProxyMode): Fault => ({
    label: mode,
    inject: async (rig) => rig.proxy.setMode(mode),
    heal: async (rig) => rig.proxy.setMode('pass'),
    always: false,
  });
  return crashPoints(backend, options, 'partition', options.networkPoints ?? 4, (i) => partition(i % 2 === 0 ? 'blackhole' : 'reset'));
}

async function crashPoints(
  backend: BackendUnderTest,
  options: CheckOptions,
  check: string,
  cases: number,
  faultOf: (i: number) => Fault,
): Promise<Violation[]> {
  const log = new ViolationLog(check);
  const caps = await resolveCapabilities(backend);
  if (!caps.network.proxy) return log.list;
  const params = paramsOf(options);
  const reference = new ReferenceRoots(backend.referenceHasher ?? backend.hasher, params.n);
  const base = options.seed ?? 1;
  const steps = makeScript(base, 24, 'mixed', caps.checkpoints);
  await withRig(backend, async (rig) => {
    const counts = await countMessages(rig, params, steps, base, check, log);
    if (counts === undefined) return;
    for (let i = 0; i < cases || (options.deadline !== undefined && Date.now() < options.deadline); i++) {
      const seed = base + i;
      const rnd = createPrng(seed);
      const point = pointFor(i, rnd, counts);
      const fault = faultOf(i);
      const at: CaseInfo = { backend: backend.name, seed, mode: `${fault.label}@${formatNetworkPoint(point)}` };
      await log.guard('recovery', at, `the ${check} case`, () => crashCase(rig, params, steps, point, fault, seed, reference, log, at));
      if (log.list.length >= 10) break;
    }
  });
  return log.list;
}

/** Messages each way of a fault-free run of `steps` after the open, to spread the crash points over. */
async function countMessages(
  rig: NetworkRig,
  params: EngineParams,
  steps: readonly Step[],
  seed: number,
  check: string,
  log: ViolationLog,
): Promise<{ request: number; reply: number } | undefined> {
  const at: CaseInfo = { backend: rig.backend.name, seed, mode: 'no fault' };
  const machine = simulatedMachine(seed);
  let tree: RotorTree | undefined;
  try {
    tree = await rig.open(machine, freshLog(check), params);
    const requests = rig.proxy.requests;
    const replies = rig.proxy.replies;
    const record = new RunRecord();
    await runScript(tree, steps, record);
    await record.settle();
    if (record.errors.length > 0) log.add('lifecycle', at, `a step failed with no fault: ${describeError(record.errors[0])}`);
    return { request: Math.max(1, rig.proxy.requests - requests), reply: Math.max(1, rig.proxy.replies - replies) };
  } catch (err) {
    log.add('lifecycle', at, `a run with no fault failed: ${describeError(err)}`);
    return undefined;
  } finally {
    await closeQuietly(tree);
  }
}

/** Case i's point: every when x direction in turn, the message index drawn over the whole run. */
function pointFor(i: number, rnd: Prng, counts: { request: number; reply: number }): NetworkPoint {
  const when = i % 2 === 0 ? 'before' : 'after';
  const direction = Math.floor(i / 2) % 2 === 0 ? 'request' : 'reply';
  return { when, direction, nth: 1 + ((rnd.below(counts[direction]) + i * 11) % counts[direction]) };
}

async function crashCase(
  rig: NetworkRig,
  params: EngineParams,
  steps: readonly Step[],
  point: NetworkPoint,
  fault: Fault,
  seed: number,
  reference: ReferenceRoots,
  log: ViolationLog,
  caseInfo: CaseInfo,
): Promise<void> {
  let at = caseInfo;
  const machine = simulatedMachine(seed);
  const name = freshLog(rig.backend.name.replace(/[^a-z0-9]+/gi, '').slice(0, 24));
  const tree = await rig.open(machine, name, params, { timeoutMs: FAULT_TIMEOUT_MS });
  let firedAt: number | undefined;
  void rig.proxy
    .at(point, async () => {
      firedAt = Date.now();
      await fault.inject(rig);
    })
    .catch((err: unknown) => log.add('recovery', at, `injecting the fault failed: ${describeError(err)}`));
  const record = new RunRecord();
  const run = await within(
    runScript(tree, steps, record).then(() => record.settle()),
    steps.length * FAULT_TIMEOUT_MS + SLACK_MS,
  );
  const endedAt = Date.now();
  rig.proxy.disarm();
  if (run === 'hung') log.add('bounded', at, `the workload has not ended ${steps.length * FAULT_TIMEOUT_MS + SLACK_MS} ms after it started: a flush hangs`);
  if (firedAt === undefined) {
    if (record.errors.length > 0) log.add('lifecycle', at, `a step failed before any fault: ${describeError(record.errors[0])}`);
    if (fault.always) await fault.inject(rig);
  } else {
    recordStats({ networkCrashPoints: 1 });
    if (endedAt - firedAt > FAULT_TIMEOUT_MS + SLACK_MS && run !== 'hung') {
      log.add('bounded', at, `the workload took ${endedAt - firedAt} ms after the fault to end (each flush is bounded by ${FAULT_TIMEOUT_MS} ms)`);
    }
  }
  const acked = record.acknowledged(tree);
  await fault.heal(rig);
  await closeQuietly(tree);
  // Sometimes the fault strikes again while the log is being recovered.
  const rnd = createPrng(seed ^ 0x2545f491);
  if (rnd.below(3) === 0) at = await faultDuringRecovery(rig, machine, name, params, fault, 1 + rnd.below(12), log, at);
  await verifyRecovery(rig, machine, name, params, reference, log, at, {
    minSize: acked,
    maxSize: record.inserted,
    isBoundary: (s) => record.isBoundary(s),
    seed,
  });
}

/**
 * An open (taking the log over, as a recovery does) failed by `fault` before its `nth` reply: it
 * must settle within its bound (open or fail; an opened tree is closed again). The case's info
 * gains the point.
 */
async function faultDuringRecovery(
  rig: NetworkRig,
  machine: Machine,
  name: string,
  params: EngineParams,
  fault: Fault,
  nth: number,
  log: ViolationLog,
  at: CaseInfo,
): Promise<CaseInfo> {
  const point: NetworkPoint = { when: 'before', direction: 'reply', nth };
  const where: CaseInfo = { ...at, mode: `${at.mode ?? ''}, then ${fault.label}@${formatNetworkPoint(point)} of the recovery` };
  let fired = false;
  void rig.proxy
    .at(point, async () => {
      fired = true;
      await fault.inject(rig);
    })
    .catch((err: unknown) => log.add('recovery', where, `injecting the fault failed: ${describeError(err)}`));
  const bound = 2 * FAULT_TIMEOUT_MS + SLACK_MS;
  const opened = await within(rig.open(machine, name, params, { takeover: true, timeoutMs: FAULT_TIMEOUT_MS }), bound);
  rig.proxy.disarm();
  if (opened === 'hung') log.add('bounded', where, `an open failed by the network has not settled after ${bound} ms`);
  else if ('value' in opened) await closeQuietly(opened.value);
  if (!fired) return at;
  recordStats({ networkCrashPoints: 1 });
  await fault.heal(rig);
  return where;
}

/** Reopens `name` after a fault and checks it, then appends, reopens and checks again. */
async function verifyRecovery(
  rig: NetworkRig,
  machine: Machine,
  name: string,
  params: EngineParams,
  reference: ReferenceRoots,
  log: ViolationLog,
  at: CaseInfo,
  e: { minSize: number; maxSize: number; isBoundary: (size: number) => boolean; seed: number },
): Promise<void> {
  let recovered: RotorTree;
  try {
    recovered = await rig.recover(machine, name, params);
  } catch (err) {
    log.add('recovery', at, `recovery failed: ${describeError(err)} (acknowledged ${e.minSize} of ${e.maxSize} leaves)`);
    return;
  }
  const problems = checkRecovered(recovered.snapshot(), { ...e, reference, hasher: rig.backend.hasher, proofs: 2, prng: createPrng(e.seed) });
  for (const p of problems) log.add(p.invariant, at, p.message);
  if (problems.length > 0) {
    await closeQuietly(recovered);
    return;
  }
  await appendAndReopen(rig.on(name), machine, params, recovered, reference, log, at);
}

/**
 * The synchronous standby stopped under a writer: its flushes reject within their bound (never a
 * silent success, since the commit is on one machine only), the tree is poisoned; once the standby
 * is back, every acknowledged record is there and the rest a prefix of whole records.
 */
export async function checkStandbyDown(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('standbyDown');
  const controller = backend.network?.controller;
  const standby = controller?.standby;
  if (controller === undefined || standby === undefined) return log.list;
  const params = paramsOf(options);
  const reference = new ReferenceRoots(backend.referenceHasher ?? backend.hasher, params.n);
  const seed = options.seed ?? 1;
  const at: CaseInfo = { backend: backend.name, seed, mode: `stop ${standby}` };
  await withRig(backend, (rig) => log.guard('recovery', at, 'the standby case', async () => {
    const machine = simulatedMachine(seed);
    const name = freshLog('standby');
    const tree = await rig.open(machine, name, params, { timeoutMs: FAULT_TIMEOUT_MS });
    const ends = [0, 3, 4];
    try {
      tree.insertMany(leavesAt(0, 3));
      await tree.flush();
      tree.insert(leafAt(3));
      await tree.flush();
      await controller.stop(standby);
      tree.insertMany(leavesAt(4, 2));
      ends.push(6);
      const started = Date.now();
      const flushed = await within(tree.flush(), FAULT_TIMEOUT_MS + SLACK_MS);
      const took = Date.now() - started;
      if (flushed === 'hung') log.add('bounded', at, `a flush with the standby down has not settled after ${took} ms (bound ${FAULT_TIMEOUT_MS} ms)`);
      else if ('value' in flushed) log.add('ackedSurvives', at, 'a flush resolved while the synchronous standby was down: a commit on one machine was acknowledged durable');
      else if ((await outcomeOf(() => tree.insert(leafAt(6)))) !== 'POISONED') log.add('poison', at, 'after a flush failed with the standby down, insert did not throw POISONED');
    } finally {
      await controller.start(standby);
    }
    await closeQuietly(tree);
    await verifyRecovery(rig, machine, name, params, reference, log, at, { minSize: 4, maxSize: 6, isBoundary: (s) => ends.includes(s), seed });
  }));
  return log.list;
}
