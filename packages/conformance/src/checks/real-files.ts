/**
 * The groups that need real files: lock files removed under a live writer, and files grown by
 * gigabytes of zeros (a preallocated WAL after a crash). They run on a temporary directory of the
 * real file system, for combinations whose backends lock across processes (`locking: 'process'`)
 * or detect damage on files (`corruptionDetection`).
 * @module
 */
import { truncateSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { isRotorTreeError } from '@rotortree/core';
import type { RotorTree } from '@rotortree/core';
import { resolveCapabilities } from '../capabilities.js';
import { closeQuietly, openEngine } from '../engine.js';
import { realMachine } from '../machine.js';
import type { RealMachine } from '../machine.js';
import { recordStats } from '../stats.js';
import type { BackendUnderTest, CheckOptions, Violation } from '../types.js';
import { describeError, ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { leavesAt } from '../workload.js';
import { listFiles } from './damage.js';
import { secondWriterScenario } from './faults.js';
import { paramsOf } from './support.js';

/**
 * Deleting the lock files does not let a second writer in: with a tree open (and written to) on
 * real files, every file whose name ends in `.lock` is removed; a second engine, a second WAL and a
 * second checkpoint store on the same directory still get `FILE_LOCKED`, and the first writer keeps
 * every insert.
 */
export async function checkLockRemoval(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('lockRemoval');
  const caps = await resolveCapabilities(backend);
  if (caps.locking !== 'process') return log.list;
  const params = paramsOf(options);
  const at: CaseInfo = { backend: backend.name, seed: options.seed ?? 1, mode: 'lock files removed' };
  const machine = realMachine();
  try {
    await log.guard('locking', at, 'the lock-removal case', () =>
      secondWriterScenario(backend, machine, params, log, at, async () => {
        const locks = (await listFiles(machine.fs, machine.dir)).filter((f) => f.endsWith('.lock'));
        for (const lock of locks) await rm(lock, { force: true });
        return `${locks.length} lock files removed`;
      }),
    );
    recordStats({ crashStates: 1 });
  } finally {
    machine.remove();
  }
  return log.list;
}

/** Zero bytes added to a file: more than 4 GiB, past every 32-bit length and 2 GiB buffer limit. */
export const HUGE_TAIL_BYTES = 4.5 * 2 ** 30;
/** What reading past such a tail may add to the process's resident memory. */
const TAIL_RSS_BUDGET = 512 * 2 ** 20;

/**
 * A huge zero tail is free space or reported damage, in bounded memory: a cleanly closed tree on real
 * files; each file, grown by {@link HUGE_TAIL_BYTES} of zeros (sparse: no disk used), then the tree
 * reopened. The open either fails with `CORRUPTION` naming that file, or recovers every leaf; it
 * never aborts, throws another error, or grows the resident memory by more than 512 MiB.
 */
export async function checkHugeTails(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('hugeTails');
  const caps = await resolveCapabilities(backend);
  if (!caps.corruptionDetection || caps.crashSimulation !== 'fs') return log.list;
  const params = paramsOf(options);
  const machine = realMachine();
  try {
    const inserted = await writeWorkload(backend, machine, params, caps.checkpoints);
    for (const file of (await listFiles(machine.fs, machine.dir)).filter((f) => !f.endsWith('.lock'))) {
      const at: CaseInfo = { backend: backend.name, seed: options.seed ?? 1, mode: `+${HUGE_TAIL_BYTES} zeros ${file}` };
      const size = (await machine.fs.stat(file))!.size;
      await log.guard('corruptionReported', at, 'the huge-tail case', async () => {
        truncateSync(file, size + HUGE_TAIL_BYTES);
        const rssBefore = process.memoryUsage.rss();
        let tree: RotorTree | undefined;
        try {
          tree = await openEngine(backend, machine, params);
        } catch (err) {
          if (!isRotorTreeError(err, 'CORRUPTION')) log.add('corruptionReported', at, `the open failed with ${describeError(err)}, expected the tree or CORRUPTION`);
          else if (err.file !== file) log.add('corruptionReported', at, `CORRUPTION names ${String(err.file)}, expected ${file}`);
        }
        const grown = process.memoryUsage.rss() - rssBefore;
        if (grown > TAIL_RSS_BUDGET) log.add('recovery', at, `the open grew the resident memory by ${Math.round(grown / 2 ** 20)} MiB`);
        if (tree !== undefined && tree.size !== inserted) log.add('ackedSurvives', at, `recovered ${tree.size} of ${inserted} acknowledged leaves`);
        await closeQuietly(tree);
      });
      // Back to the state before (a recovery may have cut the zeros already: then nothing changes).
      truncateSync(file, Math.min(size, (await machine.fs.stat(file))?.size ?? size));
      recordStats({ crashStates: 1 });
    }
  } finally {
    machine.remove();
  }
  return log.list;
}

/** A closed tree of ~30 records (a checkpoint in the middle) on `machine`; the leaves inserted. */
async function writeWorkload(backend: BackendUnderTest, machine: RealMachine, params: { n: number; maxDepth: number }, checkpoints: boolean): Promise<number> {
  const tree = await openEngine(backend, machine, params);
  let inserted = 0;
  for (let r = 0; r < 30; r++) {
    const k = r % 5 === 3 ? 3 : 1;
    tree.insertMany(leavesAt(inserted, k));
    inserted += k;
    if (r % 4 === 3) await tree.flush();
    if (checkpoints && r === 14) await tree.checkpoint();
  }
  await tree.close();
  return inserted;
}
