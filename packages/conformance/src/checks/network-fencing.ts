/**
 * Fencing cycles: writer after writer takes the log over. In each cycle the old writer has
 * acknowledged records and one more record it either never flushed or flushes while the takeover
 * runs (at a seeded moment). The new writer holds every acknowledged record and that racing one
 * exactly when its flush resolved; the old writer's next flush is `FENCED`, it is poisoned, and
 * nothing it writes after lands. At the end the log holds exactly the acknowledged records: none
 * lost, none twice. Every record's leaves are unique, so a stray or doubled one shows.
 * Without checkpoints: each writer stands for another machine, whose checkpoint store is not shared.
 * @module
 */
import { bytesEqual } from '@rotortree/core';
import type { RotorTree } from '@rotortree/core';
import { createPrng } from '@rotortree/core/fs';
import { resolveCapabilities } from '../capabilities.js';
import { closeQuietly } from '../engine.js';
import { simulatedMachine } from '../machine.js';
import { recordStats } from '../stats.js';
import type { BackendUnderTest, CheckOptions, Violation } from '../types.js';
import { describeError, ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { leafAt, naiveRoot, shortHex } from '../workload.js';
import { freshLog, withRig } from './network-rig.js';
import type { NetworkRig } from './network-rig.js';
import { outcomeOf, paramsOf } from './support.js';

/** The code deepest in `err`'s cause chain (the engine wraps the WAL's error in `POISONED`). */
function rootCode(err: unknown): string {
  let code = err instanceof Error ? err.name : String(err);
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') code = c;
  }
  return code;
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return rootCode(err);
  }
}

/** Writer takeovers (default 4 per run): see the module comment. */
export async function checkFencing(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('fencing');
  const caps = await resolveCapabilities(backend);
  if (!caps.network.proxy) return log.list;
  const seed = options.seed ?? 1;
  const at: CaseInfo = { backend: backend.name, seed };
  await withRig(backend, (rig) => log.guard('fencing', at, 'the fencing run', () => fencingRun(rig, options, seed, log, at)));
  return log.list;
}

async function fencingRun(rig: NetworkRig, options: CheckOptions, seed: number, log: ViolationLog, at: CaseInfo): Promise<void> {
  const params = { ...paramsOf(options), withoutCheckpoints: true };
  const rnd = createPrng(seed);
  const name = freshLog('fencing');
  const machine = simulatedMachine(seed);
  const stored: Uint8Array[] = [];
  let unique = 0;
  const nextLeaves = (k: number) => Array.from({ length: k }, () => leafAt(10_000_000 + seed * 10_000 + ++unique));
  const add = (tree: RotorTree, leaves: Uint8Array[]) => {
    if (leaves.length === 1) return tree.insert(leaves[0]!).token;
    const flat = new Uint8Array(leaves.length * 32);
    leaves.forEach((l, i) => flat.set(l, i * 32));
    return tree.insertMany(flat).token;
  };
  const expectHolds = (tree: RotorTree, when: string): boolean => {
    const problem = compare(tree, stored, rig.backend, params.n);
    if (problem !== undefined) log.add('fencing', at, `${when}: ${problem}`);
    return problem === undefined;
  };

  let writer = await rig.open(machine, name, params);
  const cycles = options.fencingCycles ?? 4;
  for (let c = 0; c < cycles || (options.deadline !== undefined && Date.now() < options.deadline); c++) {
    const cycle: CaseInfo = { ...at, op: c };
    // The old writer's acknowledged records.
    for (let r = 0; r < 1 + rnd.below(3); r++) {
      const leaves = nextLeaves(1 + (rnd.below(3) === 0 ? rnd.below(5) : 0));
      add(writer, leaves);
      await writer.flush();
      stored.push(...leaves);
    }
    // One more: never flushed (it must not land), or flushed while the takeover runs.
    const racing = rnd.below(2) === 0;
    const extra = nextLeaves(1 + rnd.below(3));
    const token = add(writer, extra);
    const old = writer;
    const delay = rnd.below(40);
    const oldFlush = racing ? new Promise((r) => setTimeout(r, delay)).then(() => outcome(old.flush())) : undefined;
    let next: RotorTree;
    try {
      next = await rig.open(machine, name, params, { takeover: true });
    } catch (err) {
      log.add('fencing', cycle, `the takeover failed: ${describeError(err)}`);
      await closeQuietly(old);
      return;
    }
    recordStats({ fencingCycles: 1 });
    const raced = oldFlush === undefined ? 'unflushed' : await oldFlush;
    if (raced === 'resolved') stored.push(...extra);
    else if (raced !== 'unflushed' && raced !== 'FENCED') log.add('fencing', cycle, `the old writer's flush racing the takeover ended ${raced}, not resolved or FENCED`);
    if (!expectHolds(next, `cycle ${c}, the new writer after the takeover (old flush: ${raced})`)) {
      await Promise.all([closeQuietly(old), closeQuietly(next)]);
      return;
    }
    // The old writer now: its next flush is FENCED, it is poisoned.
    if (raced !== 'FENCED') {
      add(old, nextLeaves(1));
      const fenced = await outcome(old.flush());
      if (fenced !== 'FENCED') log.add('fencing', cycle, `the old writer's flush after a takeover ended ${fenced}, not FENCED`);
    }
    if (raced === 'unflushed' && (await outcome(token.wait())) === 'resolved') log.add('fencing', cycle, "the old writer's unflushed record was acknowledged after the takeover");
    const poisoned = await outcomeOf(() => old.insert(leafAt(0)));
    if (poisoned !== 'POISONED') log.add('poison', cycle, `insert on a fenced writer ended ${poisoned}, not POISONED`);
    await closeQuietly(old);
    writer = next;
  }
  // The last writer's records, then a plain reopen: exactly what was acknowledged.
  const last = nextLeaves(2);
  add(writer, last);
  await writer.close();
  stored.push(...last);
  const again = await rig.open(machine, name, params);
  try {
    expectHolds(again, 'reopened after the last cycle');
  } finally {
    await closeQuietly(again);
  }
}

/** Why `tree` does not hold exactly `leaves` (with the reference root), or `undefined`. */
function compare(tree: RotorTree, leaves: readonly Uint8Array[], backend: BackendUnderTest, n: number): string | undefined {
  const view = tree.snapshot();
  if (view.size !== leaves.length) return `holds ${view.size} leaves, ${leaves.length} were acknowledged (lost or doubled records)`;
  const leaf = new Uint8Array(32);
  for (let i = 0; i < view.size; i++) {
    view.readNode(0, i, leaf, 0);
    if (!bytesEqual(leaf, leaves[i]!)) return `leaf ${i} is ${shortHex(leaf)}, the acknowledged one is ${shortHex(leaves[i])}`;
  }
  const expected = naiveRoot(backend.referenceHasher ?? backend.hasher, leaves, n);
  const root = view.root;
  const same = root === undefined || expected === undefined ? root === expected : bytesEqual(root, expected);
  return same ? undefined : `root ${shortHex(root)}, the reference gives ${shortHex(expected)}`;
}
