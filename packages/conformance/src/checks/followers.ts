/**
 * Followers checked against their writer (issue: read replicas serving proofs): a writer and a
 * follower on the same machine, a seeded interleaving of inserts, flushes, checkpoints and the
 * follower's reads, then a power loss. At every read the follower shows a state the writer made
 * durable (never ahead of it), at a record boundary, whose root is the reference root of that size;
 * after a flush and a read it has caught up; after the power loss the writer recovers at least what
 * the follower showed.
 * @module
 */
import { RotorTree } from '@rotortree/core';
import type { RotorFollower } from '@rotortree/core';
import { createPrng } from '@rotortree/core/fs';
import { resolveCapabilities } from '../capabilities.js';
import { closeQuietly, openEngine } from '../engine.js';
import { simulatedMachine } from '../machine.js';
import type { SimulatedMachine } from '../machine.js';
import { recordStats } from '../stats.js';
import type { BackendUnderTest, CheckOptions, Violation } from '../types.js';
import { checkRecovered } from '../verify.js';
import { describeError, ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { leafAt, leavesAt, ReferenceRoots, shortHex } from '../workload.js';
import { microturns } from './script.js';
import { paramsOf } from './support.js';

/** Opens a follower of the tree on `machine` through the backend's readers. */
async function openFollower(backend: BackendUnderTest, machine: SimulatedMachine, params: { n: number; maxDepth: number }, treeId: string): Promise<RotorFollower> {
  const wal = await backend.walReader!(machine);
  const checkpoints = backend.checkpointReader === undefined ? undefined : await backend.checkpointReader(machine);
  return RotorTree.follow({
    hasher: backend.hasher,
    n: params.n,
    maxDepth: params.maxDepth,
    wal,
    ...(checkpoints === undefined ? {} : { checkpoints }),
    treeId,
    pollMs: 0,
  });
}

/** The follower group: `crashStates` seeded runs (default 8). */
export async function checkFollowers(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('followers');
  const caps = await resolveCapabilities(backend);
  if (backend.walReader === undefined || caps.crashSimulation === false) return log.list;
  const params = paramsOf(options);
  const reference = new ReferenceRoots(backend.referenceHasher ?? backend.hasher, params.n);
  const runs = Math.max(1, Math.min(16, Math.floor((options.crashStates ?? 48) / 6)));
  for (let r = 0; r < runs; r++) {
    const seed = (options.seed ?? 1) + r;
    const at: CaseInfo = { backend: backend.name, seed };
    await log.guard('followers', at, 'the follower run', () => followerRun(backend, params, caps.checkpoints, reference, seed, log, at));
    recordStats({ crashStates: 1 });
  }
  return log.list;
}

async function followerRun(
  backend: BackendUnderTest,
  params: { n: number; maxDepth: number },
  checkpoints: boolean,
  reference: ReferenceRoots,
  seed: number,
  log: ViolationLog,
  at: CaseInfo,
): Promise<void> {
  const rnd = createPrng(seed);
  const machine = simulatedMachine(seed);
  const writer = await openEngine(backend, machine, params);
  /** sizes[seq]: the tree's size after record seq. */
  const sizes = [0];
  let inserted = 0;
  const append = (): void => {
    const k = rnd.below(4) === 0 ? 2 + rnd.below(5) : 1;
    if (k === 1) writer.insert(leafAt(inserted));
    else writer.insertMany(leavesAt(inserted, k));
    inserted += k;
    sizes.push(inserted);
  };
  append();
  await writer.flush();
  let follower: RotorFollower;
  try {
    follower = await openFollower(backend, machine, params, writer.treeId);
  } catch (err) {
    log.add('followers', at, `a follower of a live writer could not open: ${describeError(err)}`);
    await closeQuietly(writer);
    return;
  }
  let shown = 0;
  try {
    for (let step = 0; step < 40; step++) {
      const op = rnd.below(10);
      if (op < 5) append();
      else if (op < 7) await writer.flush();
      else if (op === 7 && checkpoints) await writer.checkpoint();
      else {
        // Half the reads land while a flush is half done: its records written, not yet synced.
        const inFlight = op === 9 ? writer.flush() : undefined;
        if (inFlight !== undefined) await microturns(1 + rnd.below(6));
        await follower.catchUp();
        await inFlight;
        const size = follower.size;
        const durable = sizes[writer.durableSeq] ?? -1;
        if (size > durable) log.add('followers', at, `the follower shows ${size} leaves, the writer made only ${durable} durable`);
        if (!sizes.includes(size)) log.add('followers', at, `the follower shows ${size} leaves: not a record boundary`);
        const want = reference.root(size);
        const got = follower.root;
        if (shortHex(got) !== shortHex(want) || (got !== undefined && want !== undefined && got.some((b, i) => b !== want[i]))) {
          log.add('followers', at, `the follower's root at ${size} leaves is ${shortHex(got)}, the reference gives ${shortHex(want)}`);
        }
        shown = Math.max(shown, size);
      }
    }
    await writer.flush();
    await follower.catchUp();
    const durable = sizes[writer.durableSeq]!;
    if (follower.size !== durable) log.add('followers', at, `after a flush and a read the follower shows ${follower.size} leaves, the writer has ${durable} durable`);
    shown = Math.max(shown, follower.size);
  } finally {
    await follower.close();
  }
  // The power goes: the writer must recover at least what the follower showed.
  append();
  machine.powerOff();
  await closeQuietly(writer);
  machine.reboot('reorder');
  const recovered = await openEngine(backend, machine, params);
  try {
    const problems = checkRecovered(recovered.snapshot(), {
      minSize: shown,
      maxSize: inserted,
      isBoundary: (s) => sizes.includes(s),
      reference,
      hasher: backend.hasher,
      proofs: 1,
      prng: rnd,
    });
    for (const p of problems) log.add('followers', at, `after a power loss (the follower had shown ${shown} leaves): ${p.message}`);
  } finally {
    await closeQuietly(recovered);
  }
}
