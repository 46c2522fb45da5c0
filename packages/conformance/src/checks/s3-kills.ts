/**
 * Server kills under a checkpoint write: SIGKILL of the HTTP gateway (radosgw) or of the storage
 * daemon (the OSD) at a request of the write, through the fault proxy (the request waits while the
 * kill runs). With the gateway dead the write fails `IO` at once (refused connections); with the
 * storage dead the gateway accepts and never answers, so the write must give up within its
 * deadline (`IO`), never hang. A kill before the reply of the publish (the proxy holds that reply,
 * which may or may not reach the client) leaves an outcome the store must resolve by reading the
 * pointer back before its next write. After the restart: the next checkpoint succeeds,
 * a reader finds it, a reopen recovers every flushed leaf with the reference root.
 * @module
 */
import { simulatedMachine } from '../machine.js';
import type { FaultProxy } from '../network/fault-proxy.js';
import { formatNetworkPoint } from '../network/network-points.js';
import type { NetworkPoint } from '../network/network-points.js';
import { recordStats } from '../stats.js';
import type { CheckOptions, Violation } from '../types.js';
import { ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { ReferenceRoots } from '../workload.js';
import type { KillableS3Fixture, S3StoreOptions } from './s3-fixture.js';
import type { S3Params } from './s3-support.js';
import { countRequests } from './s3-partitions.js';
import { checkpointThenGrow, closeAll, expectGoesOn, giveUpBoundMs, openS3Writer, proxiedStores } from './s3-support.js';
import { outcomeOf, paramsOf } from './support.js';

const TIMEOUT_MS = 1500;
const RETRIES = 1;
/** How long a restarted server may take until a checkpoint succeeds again. */
const RESTART_MS = 90_000;

interface KillCase {
  readonly process: 'rgw' | 'osd';
  readonly point: NetworkPoint;
}

/** The kill group: radosgw at the first segment, the manifest and the publish (before its reply too); the OSD at the first segment and the publish. */
export async function checkS3Kills(fx: KillableS3Fixture, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('s3Kills');
  const params = paramsOf(options);
  const reference = new ReferenceRoots(fx.backend.referenceHasher ?? fx.backend.hasher, params.n);
  const { proxy, through } = await proxiedStores(fx, params, TIMEOUT_MS, RETRIES);

  try {
    const request = (nth: number): NetworkPoint => ({ when: 'before', direction: 'request', nth });
    // The same write as the partition group's: new segments, the manifest, the publish (the last request).
    const writeRequests = await countRequests(fx, params, proxy, through, 'write', options.seed ?? 1);
    const cases: KillCase[] = [
      { process: 'rgw', point: request(1) },
      { process: 'rgw', point: request(writeRequests - 1) },
      { process: 'rgw', point: request(writeRequests) },
      { process: 'rgw', point: { when: 'before', direction: 'reply', nth: writeRequests } },
      { process: 'osd', point: request(1) },
      { process: 'osd', point: request(writeRequests) },
    ];
    for (const [i, c] of cases.entries()) {
      const seed = (options.seed ?? 1) + i;
      const at: CaseInfo = { backend: fx.backend.name, seed, mode: `kill ${c.process} ${formatNetworkPoint(c.point)}` };
      await log.guard('checkpointCrash', at, 'the kill case', () => killCase(fx, params, reference, proxy, through, c, seed, log, at));
      recordStats({ crashStates: 1 });
      // Whatever happened, the next case starts with every process up.
      await fx.controller.start().catch(() => undefined);
    }
  } finally {
    await proxy.close();
  }
  return log.list;
}

async function killCase(
  fx: KillableS3Fixture,
  params: S3Params,
  reference: ReferenceRoots,
  proxy: FaultProxy,
  through: S3StoreOptions,
  c: KillCase,
  seed: number,
  log: ViolationLog,
  at: CaseInfo,
): Promise<void> {
  const machine = simulatedMachine(seed);
  const writer = await openS3Writer(fx, machine, params, through);
  try {
    const flushed = await checkpointThenGrow(writer.tree);

    let killed = false;
    void proxy.at(c.point, async () => {
      await fx.controller.kill(c.process);
      killed = true;
    });
    const started = Date.now();
    const outcome = await outcomeOf(() => writer.tree.checkpoint());
    const elapsed = Date.now() - started;
    proxy.disarm();
    if (!killed) log.add('checkpointCrash', at, `the write made fewer than ${c.point.nth} requests: the kill never ran (the case tests nothing)`);
    // Before a reply the proxy holds the reply already: it may still reach the client after the kill.
    const allowed = c.point.direction === 'reply' ? ['ok', 'IO'] : ['IO'];
    if (!allowed.includes(outcome)) log.add('checkpointCrash', at, `the write with ${c.process} killed gives ${outcome}, expected ${allowed.join(' or ')}`);
    const bound = giveUpBoundMs(TIMEOUT_MS, RETRIES);
    if (elapsed > bound) log.add('checkpointCrash', at, `the write with ${c.process} killed took ${elapsed} ms to give up, more than ${bound} ms`);

    const restarted = Date.now();
    await fx.controller.start(c.process);
    await expectGoesOn(fx, machine, params, reference, writer, flushed, `${c.process} was killed and restarted (${Date.now() - restarted} ms)`, log, at, RESTART_MS);
  } finally {
    await closeAll(writer.tree);
  }
}
