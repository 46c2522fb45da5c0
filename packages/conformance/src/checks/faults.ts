/**
 * The groups that need the fault-injecting file system or two openers: poison after a failed
 * fsync (6), one writer per directory (7), and damaged files (5).
 * @module
 */
import { isRotorTreeError } from '@rotortree/core';
import type { RotorTree } from '@rotortree/core';
import { createPrng } from '@rotortree/core/fs';
import { resolveCapabilities } from '../capabilities.js';
import { closeQuietly, openEngine } from '../engine.js';
import { simulatedMachine } from '../machine.js';
import { recordStats } from '../stats.js';
import type { BackendUnderTest, CheckOptions, Machine, Violation } from '../types.js';
import { checkRecovered } from '../verify.js';
import { describeError, ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { leafAt, leavesAt, ReferenceRoots } from '../workload.js';
import { outcomeOf, paramsOf } from './support.js';
import { applyDamage, buildDamageState, listFiles } from './damage.js';
import type { Damage, DamageState } from './damage.js';

export { listFiles } from './damage.js';

/**
 * A failed fdatasync (EIO, ENOSPC; the 1st-3rd after a good flush) poisons the tree: the flush
 * rejects, pending and later tokens reject `POISONED`, inserts and flushes throw `POISONED`,
 * `durableSeq` never moves again; after a power loss every insert acknowledged before is there.
 */
export async function checkPoison(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('poison');
  const caps = await resolveCapabilities(backend);
  if (!caps.fsyncFailure) return log.list;
  const params = paramsOf(options);
  const reference = new ReferenceRoots(backend.referenceHasher ?? backend.hasher, params.n);
  const base = options.seed ?? 1;
  let i = 0;
  for (const code of ['EIO', 'ENOSPC'] as const) {
    for (const nth of [1, 2, 3]) {
      const seed = base + i++;
      const at: CaseInfo = { backend: backend.name, seed, op: nth, mode: code };
      await log.guard('poison', at, 'the poison check', () => poisonCase(backend, params, reference, seed, code, nth, log, at));
      recordStats({ crashStates: 1 });
    }
  }
  return log.list;
}

async function poisonCase(
  backend: BackendUnderTest,
  params: { n: number; maxDepth: number },
  reference: ReferenceRoots,
  seed: number,
  code: 'EIO' | 'ENOSPC',
  nth: number,
  log: ViolationLog,
  at: CaseInfo,
): Promise<void> {
  const machine = simulatedMachine(seed);
  const tree = await openEngine(backend, machine, { ...params, withoutCheckpoints: true });
  const ends = [0];
  let inserted = 0;
  const add = (k: number) => {
    const r = k === 1 ? tree.insert(leafAt(inserted)) : tree.insertMany(leavesAt(inserted, k));
    inserted += k;
    ends.push(inserted);
    return r.token;
  };
  add(3);
  add(1);
  await tree.flush();
  machine.fs.failAt({ op: 'datasync', nth, code });
  let failed = false;
  let lastToken = add(1);
  for (let f = 0; f < 6 && !failed; f++) {
    lastToken = add(f % 2 === 0 ? 1 : 2);
    try {
      await tree.flush();
    } catch {
      failed = true;
    }
  }
  const ackedAtFailure = Math.max(ends[Math.min(tree.durableSeq, ends.length - 1)]!, 0);
  if (!failed) {
    log.add('poison', at, `an injected ${code} on fdatasync #${nth} was never reported: flushes kept resolving`);
  } else {
    const durable = tree.durableSeq;
    const tokenOutcome = await outcomeOf(() => lastToken.wait());
    if (lastToken.seq > durable && tokenOutcome !== 'POISONED') log.add('poison', at, `a pending token gives ${tokenOutcome}, expected POISONED`);
    const insertOutcome = await outcomeOf(() => tree.insert(leafAt(inserted)));
    if (insertOutcome !== 'POISONED') log.add('poison', at, `an insert after the failure gives ${insertOutcome}, expected POISONED`);
    const flushOutcome = await outcomeOf(() => tree.flush());
    if (flushOutcome !== 'POISONED') log.add('poison', at, `a flush after the failure gives ${flushOutcome}, expected POISONED`);
    if (tree.durableSeq !== durable) log.add('poison', at, `durableSeq moved from ${durable} to ${tree.durableSeq} after the failure`);
  }
  machine.powerOff();
  await closeQuietly(tree);
  machine.reboot('dropAll');
  const again = await openEngine(backend, machine, { ...params, withoutCheckpoints: true });
  try {
    const problems = checkRecovered(again.snapshot(), {
      minSize: ackedAtFailure,
      maxSize: inserted,
      isBoundary: (s) => ends.includes(s),
      reference,
      hasher: backend.hasher,
      proofs: 1,
      prng: createPrng(seed),
    });
    for (const p of problems) log.add(p.invariant, at, `after the fsync failure and a power loss: ${p.message}`);
  } finally {
    await closeQuietly(again);
  }
}

/**
 * One writer: while a tree is open, a second engine (and a second WAL, a second checkpoint store)
 * on the same machine gets `FILE_LOCKED` and changes nothing; the first keeps working; after it
 * closes, the second opens and sees all its data.
 */
export async function checkLocking(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('locking');
  const caps = await resolveCapabilities(backend);
  if (caps.locking === false) return log.list;
  const params = paramsOf(options);
  const seed = options.seed ?? 1;
  const at: CaseInfo = { backend: backend.name, seed };
  await log.guard('locking', at, 'the locking check', async () => {
    await secondWriterScenario(backend, simulatedMachine(seed), params, log, at);
  });
  return log.list;
}

/**
 * The one-writer scenario: a tree open (and written to) on `machine`; then `meddle` (what a cleanup
 * job might do under a live writer; it says what it did); then a second engine, a second WAL and a
 * second checkpoint store must get `FILE_LOCKED`, and the first writer keeps every insert.
 */
export async function secondWriterScenario(
  backend: BackendUnderTest,
  machine: Machine,
  params: { n: number; maxDepth: number },
  log: ViolationLog,
  at: CaseInfo,
  meddle: () => Promise<string> = async () => '',
): Promise<void> {
  const first = await openEngine(backend, machine, params);
  first.insertMany(leavesAt(0, 4));
  await first.flush();
  const done = await meddle();
  const when = done === '' ? '' : ` (${done})`;
  const second = await outcomeOf(async () => closeQuietly(await openEngine(backend, machine, params)));
  if (second !== 'FILE_LOCKED') log.add('locking', at, `a second engine on the same directory gives ${second}, expected FILE_LOCKED${when}`);
  const config = { n: params.n, maxDepth: params.maxDepth, hasherId: backend.hasher.id, treeId: first.treeId };
  const wal = await backend.wal(machine);
  const walOutcome = await outcomeOf(() => wal.open(config));
  await wal.close();
  if (walOutcome !== 'FILE_LOCKED') log.add('locking', at, `a second WAL on the same directory gives ${walOutcome}, expected FILE_LOCKED${when}`);
  if (backend.checkpoints !== undefined) {
    const store = await backend.checkpoints(machine);
    const storeOutcome = await outcomeOf(() => store.open(config));
    await store.close();
    if (storeOutcome !== 'FILE_LOCKED') log.add('locking', at, `a second checkpoint store gives ${storeOutcome}, expected FILE_LOCKED${when}`);
  }
  first.insert(leafAt(4));
  await first.close();
  const later = await openEngine(backend, machine, params);
  if (later.size !== 5) log.add('locking', at, `after the first closed, the next opener sees ${later.size} leaves, expected 5`);
  await later.close();
}

/**
 * Damaged files are reported, never silently dropped: for every file the backends wrote (lock
 * files aside), bit flips and cuts at seeded offsets and the file's removal; recovery must either
 * fail with `CORRUPTION`/`CONFIG_MISMATCH` naming a file, or recover a prefix of the inserted
 * leaves, reporting a torn tail if any leaf is missing. Two limits of any log: removing the only
 * file of a machine is not tried (that machine is indistinguishable from a fresh one), and a cut
 * that lands exactly between two records leaves a log indistinguishable from one that ended there.
 * So a cut that loses leaves without a report passes only if the same cut one byte later (inside
 * a record, then) is reported.
 */
export async function checkCorruption(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('corruption');
  const caps = await resolveCapabilities(backend);
  if (!caps.corruptionDetection) return log.list;
  const params = paramsOf(options);
  const reference = new ReferenceRoots(backend.referenceHasher ?? backend.hasher, params.n);
  const seed = options.seed ?? 1;
  const probe = await buildDamageState(backend, params, seed, caps.checkpoints);
  const files = (await listFiles(probe.machine.fs, probe.machine.dir)).filter((f) => !f.endsWith('.lock'));
  const rnd = createPrng(seed);
  const perFile = Math.max(2, Math.min(8, Math.floor((options.crashStates ?? 24) / Math.max(1, files.length))));
  for (const file of files) {
    const size = probe.machine.fs.peek(file)?.length ?? 0;
    // Removing the only file of a store leaves a machine no backend can tell from a fresh one.
    const damages: Damage[] = files.length > 1 ? [{ kind: 'delete' }] : [];
    for (let d = 0; d < perFile && size > 0; d++) damages.push({ kind: d % 3 === 2 ? 'cut' : 'flip', at: rnd.below(size) });
    for (const damage of damages) {
      const at: CaseInfo = { backend: backend.name, seed, mode: `${damage.kind}${'at' in damage ? `@${damage.at}` : ''} ${file}` };
      await log.guard('corruptionReported', at, 'the corruption case', async () => {
        const state = await buildDamageState(backend, params, seed, caps.checkpoints);
        await applyDamage(state.machine, file, damage);
        const verdict = await judgeDamaged(backend, params, reference, state, log, at);
        if (verdict !== 'silentLoss') return;
        if (damage.kind === 'cut' && damage.at + 1 < size) {
          const later = await buildDamageState(backend, params, seed, caps.checkpoints);
          await applyDamage(later.machine, file, { kind: 'cut', at: damage.at + 1 });
          const inside = await judgeDamaged(backend, params, reference, later, log, { ...at, mode: `cut@${damage.at + 1} ${file}` });
          if (inside !== 'silentLoss') return; // the first cut fell between two records
        }
        log.add('corruptionReported', at, `recovered fewer leaves than inserted and reported nothing (dropped silently)`);
      });
      recordStats({ crashStates: 1 });
    }
  }
  return log.list;
}

async function judgeDamaged(
  backend: BackendUnderTest,
  params: { n: number; maxDepth: number },
  reference: ReferenceRoots,
  state: DamageState,
  log: ViolationLog,
  at: CaseInfo,
): Promise<'reported' | 'whole' | 'silentLoss'> {
  let tree: RotorTree;
  try {
    tree = await openEngine(backend, state.machine, params);
  } catch (err) {
    if (isRotorTreeError(err, 'CORRUPTION') || isRotorTreeError(err, 'CONFIG_MISMATCH')) {
      if (err.file === undefined) log.add('corruptionReported', at, `${err.code} without a file: ${err.message}`);
      return 'reported';
    }
    log.add('corruptionReported', at, `recovery failed with ${describeError(err)}, expected CORRUPTION with a location`);
    return 'reported';
  }
  try {
    const problems = checkRecovered(tree.snapshot(), {
      minSize: 0,
      maxSize: state.inserted,
      isBoundary: (s) => state.ends.includes(s),
      reference,
      hasher: backend.hasher,
      proofs: 1,
      prng: createPrng(state.inserted),
    });
    for (const p of problems) log.add('corruptionReported', at, `damage went unnoticed: ${p.message}`);
    if (problems.length === 0 && tree.size < state.inserted && tree.recovery.tornTail === undefined) return 'silentLoss';
    return tree.recovery.tornTail === undefined ? 'whole' : 'reported';
  } finally {
    await closeQuietly(tree);
  }
}
