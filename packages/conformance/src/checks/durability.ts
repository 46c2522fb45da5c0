/**
 * Crash-state exploration (DESIGN "What must hold" 1-4): run a scripted workload, lose the power at
 * a chosen point (a file operation index, or an engine step plus a few microtask turns for memory
 * backends), reboot under a crash mode (dropAll / prefix / torn / reorder), sometimes lose the power
 * again during recovery, then recover and check the invariants; finally append more, close, reopen
 * and check again.
 *
 * Only distinct states are explored and counted: two crash points that leave the same disk image
 * (every file's bytes, the memory disk's durable records and checkpoint) with the same
 * acknowledged and inserted leaves would recover and check exactly alike, so the second is skipped
 * (not recovered, not counted) and another seed is drawn, up to {@link MAX_DRAWS} draws per state.
 * @module
 */
import { createHash } from 'node:crypto';
import type { RotorTree } from '@rotortree/core';
import { CRASH_MODES, createPrng } from '@rotortree/core/fs';
import type { CrashMode } from '@rotortree/core/fs';
import { resolveCapabilities } from '../capabilities.js';
import { closeQuietly, openEngine } from '../engine.js';
import type { EngineParams } from '../engine.js';
import { simulatedMachine } from '../machine.js';
import type { SimulatedMachine } from '../machine.js';
import { recordStats } from '../stats.js';
import type { BackendUnderTest, CheckOptions, Machine, Violation } from '../types.js';
import { checkRecovered } from '../verify.js';
import { describeError, ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { leafAt, leavesAt, ReferenceRoots } from '../workload.js';
import { listFiles } from './damage.js';
import { makeScript, microturns, RunRecord, runScript } from './script.js';
import type { ScriptShape, Step } from './script.js';

/** Options of {@link checkCrashConsistency}. */
export interface CrashCheckOptions extends CheckOptions {
  /** Script shape (default `mixed`; the checkpoints group uses `checkpointHeavy`). */
  readonly shape?: ScriptShape;
  /** Steps per script (default 40). */
  readonly scriptLength?: number;
  /** Crash states per script before a new script is drawn (default 64). */
  readonly statesPerScript?: number;
  /** Name of the check in violations (default `durability`). */
  readonly checkName?: string;
}

const DEFAULT_STATES = 48;
/** Seeds drawn per requested state at most (the rest are duplicates of states already checked). */
const MAX_DRAWS = 4;

/**
 * Explores `crashStates` crash states (default 48) and returns every broken invariant. Each
 * violation names the seed of its state: `checkCrashConsistency(backend, { seed, crashStates: 1 })`
 * replays exactly that state (with the same `n`, `shape` and `scriptLength`).
 */
export async function checkCrashConsistency(backend: BackendUnderTest, options: CrashCheckOptions = {}): Promise<Violation[]> {
  const caps = await resolveCapabilities(backend);
  const log = new ViolationLog(options.checkName ?? 'durability');
  if (caps.crashSimulation === false) return log.list;
  const params: EngineParams = { n: options.n ?? 4, maxDepth: options.maxDepth ?? 16 };
  const reference = new ReferenceRoots(backend.referenceHasher ?? backend.hasher, params.n);
  const states = options.crashStates ?? DEFAULT_STATES;
  const perScript = options.statesPerScript ?? 64;
  const base = options.seed ?? 1;
  const shape = options.shape ?? 'mixed';
  let scriptSeed = Number.NaN;
  let steps: Step[] = [];
  let totalOps = 0;
  const seen = new Set<string>();
  let explored = 0;
  for (let i = 0; explored < states || (options.deadline !== undefined && Date.now() < options.deadline); i++) {
    if (i >= states * MAX_DRAWS && options.deadline === undefined) break; // fewer distinct states than asked
    // Everything about a state follows from its seed alone, so `{ seed, crashStates: 1 }` replays it:
    // the script is shared by the seeds of one aligned block of `perScript`.
    const seed = base + i;
    const block = Math.floor(seed / perScript) * perScript;
    if (block !== scriptSeed) {
      scriptSeed = block;
      steps = makeScript(block, options.scriptLength ?? 40, shape, caps.checkpoints);
      totalOps = caps.crashSimulation === 'fs' ? await countOps(backend, params, steps, block) : 0;
    }
    // The tree of every state of one script gets the same identity, so equal images compare equal.
    const treeId = createHash('sha1').update(`crash-states ${block}`).digest('hex').slice(0, 32);
    if (!(await exploreState(backend, { ...params, treeId }, caps.crashSimulation, steps, totalOps, seed, seed, reference, log, seen))) continue;
    explored++;
    recordStats({ crashStates: 1 });
    if (log.list.length >= 20) break; // enough to go on
  }
  return log.list;
}

/** File operations of a whole run of `steps` (open and close included), to place crash points. */
async function countOps(backend: BackendUnderTest, params: EngineParams, steps: readonly Step[], seed: number): Promise<number> {
  const machine = simulatedMachine(seed);
  const tree = await openEngine(backend, machine, params);
  const record = new RunRecord();
  await runScript(tree, steps, record);
  await record.settle();
  await closeQuietly(tree);
  return machine.fs.opCount;
}

async function exploreState(
  backend: BackendUnderTest,
  params: EngineParams,
  simulation: 'fs' | 'memoryDisk',
  steps: readonly Step[],
  totalOps: number,
  seed: number,
  index: number,
  reference: ReferenceRoots,
  log: ViolationLog,
  seen: Set<string>,
): Promise<boolean> {
  const rnd = createPrng(seed);
  const machine = simulatedMachine(seed);
  const mode: CrashMode = CRASH_MODES[index % CRASH_MODES.length]!;
  // Spread the crash points over the whole run, every op index once per `totalOps` states.
  const crashAt = simulation === 'fs' ? 1 + ((index * 7 + rnd.below(3)) % Math.max(1, totalOps)) : index % (steps.length + 1);
  const turns = rnd.below(8);
  const at: CaseInfo = { backend: backend.name, seed, op: crashAt, mode: simulation === 'fs' ? mode : `memoryDisk+${turns}turns` };

  // 1. Run until the power goes (the tree created with the identity of `params`; every later open
  // takes the identity from what is stored, as a caller without a descriptor does).
  const { treeId: _created, ...later } = params;
  if (simulation === 'fs') machine.powerOffAfterOp(crashAt);
  const record = new RunRecord();
  let tree: RotorTree | undefined;
  try {
    tree = await openEngine(backend, machine, params);
  } catch (err) {
    if (!machine.isOff) log.add('recovery', at, `opening a fresh machine failed: ${describeError(err)}`);
  }
  if (tree !== undefined) {
    await runScript(tree, steps, record, async (j) => {
      if (machine.isOff) return false;
      if (simulation === 'memoryDisk' && j === crashAt) {
        await microturns(turns);
        machine.powerOff();
        return false;
      }
      return true;
    });
    if (!machine.isOff && record.errors.length > 0) {
      log.add('lifecycle', at, `a step failed on a running machine: ${describeError(record.errors[0])}`);
    }
  }
  const acked = record.acknowledged(tree);
  machine.powerOff();
  await closeQuietly(tree);
  await record.settle();
  machine.reboot(mode);

  // 2. Sometimes the power goes again during recovery.
  if (rnd.below(3) === 0) await crashDuringRecovery(backend, machine, later, simulation, rnd.below(40), CRASH_MODES[rnd.below(4)]!);

  // 3. Recover and check, unless an earlier state left the same image and expectations.
  const key = `${await imageKey(machine)} ${acked} ${record.inserted} ${record.ends.join(',')}`;
  if (seen.has(key)) return false;
  seen.add(key);
  const expectation = {
    minSize: acked,
    maxSize: record.inserted,
    isBoundary: (s: number) => record.isBoundary(s),
    reference,
    hasher: backend.hasher,
    proofs: 2,
    prng: rnd,
  };
  let recovered: RotorTree;
  try {
    recovered = await openEngine(backend, machine, later);
  } catch (err) {
    log.add('recovery', at, `recovery failed: ${describeError(err)} (acknowledged ${acked} of ${record.inserted} leaves)`);
    return true;
  }
  let ok = true;
  for (const p of checkRecovered(recovered.snapshot(), expectation)) {
    log.add(p.invariant, at, p.message);
    ok = false;
  }
  // 4. Append more, close, reopen: still right.
  if (ok) await appendAndReopen(backend, machine, later, recovered, reference, log, at);
  else await closeQuietly(recovered);
  return true;
}

/** A digest of what survived on `machine`: every file's path and bytes, the memory disk's durable state. */
async function imageKey(machine: SimulatedMachine): Promise<string> {
  const h = createHash('sha1');
  for (const file of await listFiles(machine.fs, machine.dir)) {
    const bytes = machine.fs.peek(file) ?? new Uint8Array(0);
    h.update(`${file}\0${bytes.length}\0`).update(bytes);
  }
  const disk = machine.disk;
  h.update(JSON.stringify(disk.walHeader ?? null, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  for (const r of disk.walDurable) h.update(`r${r.seq}:${r.leaves.length}`).update(r.leaves);
  const m = disk.checkpointManifest;
  if (m !== undefined) {
    h.update(`m${m.seq}:${m.size}:${m.segmentCounts.join(',')}:${JSON.stringify(m.tree)}`).update(m.tail);
    m.segmentCounts.forEach((count, level) => {
      for (let k = 0; k < count; k++) h.update(disk.checkpointSegments[level]?.[k] ?? new Uint8Array(0));
    });
  }
  return h.digest('hex');
}

async function crashDuringRecovery(
  backend: BackendUnderTest,
  machine: SimulatedMachine,
  params: EngineParams,
  simulation: 'fs' | 'memoryDisk',
  after: number,
  mode: CrashMode,
): Promise<void> {
  let tree: RotorTree | undefined;
  if (simulation === 'fs') {
    machine.powerOffAfterOp(machine.fs.opCount + 1 + after);
    tree = await openEngine(backend, machine, params).catch(() => undefined);
  } else {
    const opening = openEngine(backend, machine, params);
    await microturns(after % 6);
    machine.powerOff();
    tree = await opening.catch(() => undefined);
  }
  machine.powerOff();
  await closeQuietly(tree);
  machine.reboot(mode);
}

/** Appends three records to a recovered tree, closes, reopens and checks size, leaves and root. */
export async function appendAndReopen(
  backend: BackendUnderTest,
  machine: Machine,
  params: EngineParams,
  tree: RotorTree,
  reference: ReferenceRoots,
  log: ViolationLog,
  at: CaseInfo,
): Promise<void> {
  const start = tree.size;
  const ends = [start];
  try {
    tree.insert(leafAt(start));
    tree.insertMany(leavesAt(start + 1, 3));
    tree.insert(leafAt(start + 4));
    ends.push(start + 1, start + 4, start + 5);
    await tree.close();
  } catch (err) {
    log.add('lifecycle', at, `appending after recovery failed: ${describeError(err)}`);
    await closeQuietly(tree);
    return;
  }
  let again: RotorTree | undefined;
  try {
    again = await openEngine(backend, machine, params);
    const problems = checkRecovered(again.snapshot(), {
      minSize: start + 5,
      maxSize: start + 5,
      isBoundary: (s) => ends.includes(s),
      reference,
      hasher: backend.hasher,
      proofs: 1,
      prng: createPrng(start),
    });
    for (const p of problems) log.add(p.invariant, at, `after appending to the recovered tree and reopening: ${p.message}`);
  } catch (err) {
    log.add('recovery', at, `reopening after appending to the recovered tree failed: ${describeError(err)}`);
  } finally {
    await closeQuietly(again);
  }
}
