/**
 * What is stored on the server, checked from the outside: a damaged record is `CORRUPTION` naming
 * it (the backend's hook damages it, the suite opens), never replayed or dropped; another tree's
 * records under this tree's name are `CORRUPTION`; other parameters are `CONFIG_MISMATCH` and
 * change nothing; another tree identity is `CORRUPTION`; `create: false` on a log that does not
 * exist is `CORRUPTION`.
 * @module
 */
import { isRotorTreeError } from '@rotortree/core';
import { newTreeId } from '@rotortree/core/backend';
import { resolveCapabilities } from '../capabilities.js';
import { closeQuietly } from '../engine.js';
import type { EngineParams } from '../engine.js';
import { simulatedMachine } from '../machine.js';
import type { BackendUnderTest, CheckOptions, Machine, Violation } from '../types.js';
import { describeError, ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { leafAt, leavesAt } from '../workload.js';
import { freshLog, withRig } from './network-rig.js';
import type { NetworkRig } from './network-rig.js';
import { outcomeOf, paramsOf } from './support.js';

/** Records 1-3 singles (one flush), 4 a batch of 5, 5-6 singles: 10 leaves. */
const RECORDS = 6;
const LEAVES = 10;

async function writeLog(rig: NetworkRig, machine: Machine, name: string, params: EngineParams): Promise<void> {
  const tree = await rig.open(machine, name, params);
  try {
    for (let i = 0; i < 3; i++) tree.insert(leafAt(i));
    await tree.flush();
    tree.insertMany(leavesAt(3, 5));
    await tree.flush();
    tree.insert(leafAt(8));
    tree.insert(leafAt(9));
  } finally {
    await tree.close();
  }
}

/** Opens `name`; a violation unless it fails `CORRUPTION` whose file or message names `what`. */
async function expectCorruption(rig: NetworkRig, machine: Machine, name: string, params: EngineParams, what: string | undefined, log: ViolationLog, at: CaseInfo, because: string): Promise<void> {
  try {
    const tree = await rig.open(machine, name, params);
    log.add('corruptionReported', at, `${because}: the tree opened (${tree.size} leaves) instead of failing CORRUPTION`);
    await closeQuietly(tree);
  } catch (err) {
    if (!isRotorTreeError(err) || err.code !== 'CORRUPTION') {
      log.add('corruptionReported', at, `${because}: the open failed ${describeError(err)}, not CORRUPTION`);
    } else if (what !== undefined && !`${err.file ?? ''} ${err.message}`.includes(what)) {
      log.add('corruptionReported', at, `${because}: CORRUPTION does not name "${what}" (file ${err.file ?? 'none'}: ${err.message})`);
    }
  }
}

/** A damaged record (the first, a batch, the last) is CORRUPTION naming it, at every open. */
export async function checkDamagedRecords(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('damagedRecords');
  const damage = backend.network?.damageRecord;
  if (damage === undefined) return log.list;
  const params = { ...paramsOf(options), withoutCheckpoints: true };
  const seed = options.seed ?? 1;
  await withRig(backend, async (rig) => {
    for (const seq of [1, 4, RECORDS]) {
      const at: CaseInfo = { backend: backend.name, seed, op: seq, mode: 'damaged record' };
      await log.guard('corruptionReported', at, 'the damage case', async () => {
        const machine = simulatedMachine(seed);
        const name = freshLog('damage');
        await writeLog(rig, machine, name, params);
        const what = await damage.call(backend.network, name, seq);
        for (const attempt of ['the first open', 'a second open']) await expectCorruption(rig, machine, name, params, what, log, at, `record ${seq} damaged, ${attempt}`);
      });
    }
  });
  return log.list;
}

/** Tree identity and configuration, checked against what the server holds. */
export async function checkNetworkIdentity(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('networkIdentity');
  const caps = await resolveCapabilities(backend);
  if (!caps.network.proxy) return log.list;
  const net = backend.network!;
  const params = { ...paramsOf(options), withoutCheckpoints: true };
  const seed = options.seed ?? 1;
  const at: CaseInfo = { backend: backend.name, seed };
  await withRig(backend, async (rig) => {
    const machine = simulatedMachine(seed);
    const name = freshLog('identity');
    await log.guard('lifecycle', at, 'writing the log', () => writeLog(rig, machine, name, params));
    // Other parameters: CONFIG_MISMATCH, and the tree is unchanged.
    const other = { ...params, n: params.n === 2 ? 4 : 2 };
    const mismatch = await outcomeOf(async () => closeQuietly(await rig.open(machine, name, other)));
    if (mismatch !== 'CONFIG_MISMATCH') log.add('lifecycle', at, `opening with n=${other.n} (stored n=${params.n}) ended ${mismatch}, not CONFIG_MISMATCH`);
    // Another tree identity (a descriptor of another tree): CORRUPTION.
    await expectCorruption(rig, machine, name, { ...params, treeId: newTreeId() }, undefined, log, at, 'opened with another tree identity');
    await log.guard('lifecycle', at, 'reopening after the refused opens', async () => {
      const tree = await rig.open(machine, name, params);
      if (tree.size !== LEAVES) log.add('lifecycle', at, `after refused opens the tree holds ${tree.size} leaves, not ${LEAVES}`);
      await tree.close();
    });
    // A log that does not exist, opened as existing: CORRUPTION (a missing log).
    await expectCorruption(rig, machine, freshLog('absent'), { ...params, create: false }, undefined, log, at, 'create: false on a log that does not exist');
    // Another tree's records (same parameters, same leaves) under this name: CORRUPTION, never replayed.
    if (net.copyRecords !== undefined) {
      const twin = freshLog('twin');
      await log.guard('corruptionReported', at, 'the foreign-records case', async () => {
        await writeLog(rig, machine, twin, params);
        await net.copyRecords!.call(net, name, twin);
        await expectCorruption(rig, machine, twin, params, undefined, log, at, "another tree's records (same parameters and leaves) under this tree's name");
      });
    }
  });
  return log.list;
}
