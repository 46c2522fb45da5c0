/**
 * Partitions between a writer (or a reader) and its S3 server, through the suite's fault proxy with
 * HTTP framing, at every request of a checkpoint write and of a reopen: before request k (it never
 * reaches the server) and before reply k (the server did it, the client never hears of it).
 *
 * - `healed`: a blackhole that heals after {@link HEAL_MS} (the connections that lost bytes are
 *   reset then): the store's retries must make the write or the open succeed, which needs every
 *   retried request to be idempotent (a create that finds its own bytes, a publish read back).
 * - `held`: every connection reset until the operation gave up: it fails `IO` (or succeeds when the
 *   point came after its last request), never anything else; and a blackhole held at the publish:
 *   the write rejects within its deadline (no hang).
 *
 * After each case the network heals: the writer's next checkpoint succeeds, a reader finds that
 * checkpoint published, and a reopen recovers every flushed leaf with the reference root.
 * @module
 */
import { closeQuietly } from '../engine.js';
import { simulatedMachine } from '../machine.js';
import type { SimulatedMachine } from '../machine.js';
import type { FaultProxy } from '../network/fault-proxy.js';
import type { FaultAction } from '../network/fault-proxy.js';
import { formatNetworkPoint } from '../network/network-points.js';
import type { NetworkPoint } from '../network/network-points.js';
import { recordStats } from '../stats.js';
import type { CheckOptions, Violation } from '../types.js';
import { ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { ReferenceRoots } from '../workload.js';
import type { S3Fixture, S3StoreOptions } from './s3-fixture.js';
import type { S3Params } from './s3-support.js';
import { checkpointThenGrow, expectGoesOn, giveUpBoundMs, openS3Writer, proxiedStores } from './s3-support.js';
import { outcomeOf, paramsOf } from './support.js';

/** How long a healed partition lasts. */
export const HEAL_MS = 300;
/** The request timeout of the stores under partition (a held blackhole costs (retries + 1) times it). */
const TIMEOUT_MS = 1500;
const RETRIES = 2;

type Fault = 'healed' | 'held' | 'blackholeHeld';

/** The partition group: every request of a checkpoint write and of a reopen, cut in the ways above. */
export async function checkS3Partitions(fx: S3Fixture, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('s3Partitions');
  const params = paramsOf(options);
  const reference = new ReferenceRoots(fx.backend.referenceHasher ?? fx.backend.hasher, params.n);
  const { proxy, through } = await proxiedStores(fx, params, TIMEOUT_MS, RETRIES);

  const seed = options.seed ?? 1;
  try {
    const cases: Array<{ phase: 'write' | 'reopen'; point: NetworkPoint; fault: Fault }> = [];
    for (const phase of ['write', 'reopen'] as const) {
      const requests = await countRequests(fx, params, proxy, through, phase, seed);
      for (let k = 1; k <= requests; k++) {
        for (const when of ['before-request', 'before-reply'] as const) {
          const point: NetworkPoint = when === 'before-request' ? { when: 'before', direction: 'request', nth: k } : { when: 'before', direction: 'reply', nth: k };
          cases.push({ phase, point, fault: 'healed' }, { phase, point, fault: 'held' });
        }
      }
      // The last request of a write is its publish: a blackhole held there must end in IO within the deadline.
      if (phase === 'write') cases.push({ phase, point: { when: 'before', direction: 'reply', nth: requests }, fault: 'blackholeHeld' });
    }
    for (const c of cases) {
      const at: CaseInfo = { backend: fx.backend.name, seed, mode: `${c.phase} ${c.fault} ${formatNetworkPoint(c.point)}` };
      await log.guard('checkpointCrash', at, 'the partition case', () => partitionCase(fx, params, reference, proxy, through, c, seed, log, at));
      recordStats({ crashStates: 1 });
    }
  } finally {
    await proxy.close();
  }
  return log.list;
}

/** Requests through the proxy of one fault-free run of `phase` (the checkpoint write of {@link runPhase}, or the reopen). */
export async function countRequests(fx: S3Fixture, params: S3Params, proxy: FaultProxy, through: S3StoreOptions, phase: 'write' | 'reopen', seed: number): Promise<number> {
  let requests = 0;
  const ran = await runPhase(fx, params, simulatedMachine(seed), through, phase, async (run) => {
    const stop = proxy.onMessage((event, when) => {
      if (when === 'after' && event.direction === 'request') requests++;
    });
    try {
      await run();
    } finally {
      stop();
    }
  });
  await closeQuietly(ran.writer?.tree);
  return requests;
}

/**
 * Builds a tree whose checkpoint has segments on a fresh machine, then runs `phase` inside
 * `around`: a checkpoint of a grown tree (`write`), or the writer's reopen (`reopen`). Returns the
 * writer (open) and how many leaves were flushed.
 */
async function runPhase(
  fx: S3Fixture,
  params: S3Params,
  machine: SimulatedMachine,
  through: S3StoreOptions,
  phase: 'write' | 'reopen',
  around: (run: () => Promise<unknown>) => Promise<void>,
): Promise<{ flushed: number; outcome: string; elapsedMs: number; writer: Awaited<ReturnType<typeof openS3Writer>> | undefined }> {
  let writer: Awaited<ReturnType<typeof openS3Writer>> | undefined = await openS3Writer(fx, machine, params, through);
  const flushed = await checkpointThenGrow(writer.tree);
  let outcome = 'ok';
  const started = Date.now();
  if (phase === 'write') {
    const w = writer;
    await around(async () => (outcome = await outcomeOf(() => w.tree.checkpoint())));
  } else {
    await closeQuietly(writer.tree);
    writer = undefined;
    await around(async () => {
      outcome = await outcomeOf(async () => (writer = await openS3Writer(fx, machine, params, through)));
    });
  }
  return { flushed, outcome, elapsedMs: Date.now() - started, writer };
}

async function partitionCase(
  fx: S3Fixture,
  params: S3Params,
  reference: ReferenceRoots,
  proxy: FaultProxy,
  through: S3StoreOptions,
  c: { phase: 'write' | 'reopen'; point: NetworkPoint; fault: Fault },
  seed: number,
  log: ViolationLog,
  at: CaseInfo,
): Promise<void> {
  const machine = simulatedMachine(seed);
  const action: FaultAction =
    c.fault === 'held'
      ? 'reset'
      : c.fault === 'blackholeHeld'
        ? 'blackhole'
        : () => {
            proxy.setMode('blackhole');
            setTimeout(() => proxy.setMode('pass'), HEAL_MS);
          };
  const ran = await runPhase(fx, params, machine, through, c.phase, async (run) => {
    void proxy.at(c.point, action);
    try {
      await run();
    } finally {
      proxy.disarm();
      proxy.setMode('pass');
    }
  });
  let writer = ran.writer;
  try {
    const allowed = c.fault === 'healed' ? ['ok'] : c.fault === 'held' ? ['ok', 'IO'] : ['IO'];
    if (!allowed.includes(ran.outcome)) log.add('checkpointCrash', at, `the ${c.phase} gives ${ran.outcome}, expected ${allowed.join(' or ')}`);
    const bound = giveUpBoundMs(TIMEOUT_MS, RETRIES);
    if (c.fault === 'blackholeHeld' && ran.elapsedMs > bound) log.add('checkpointCrash', at, `the write under a partition took ${ran.elapsedMs} ms to give up, more than ${bound} ms`);

    // Healed: the writer goes on (a failed reopen is retried), a reader and a reopen agree.
    if (writer === undefined) writer = await openS3Writer(fx, machine, params, through);
    const w = writer;
    writer = undefined;
    await expectGoesOn(fx, machine, params, reference, w, ran.flushed, `the ${c.phase}`, log, at);
  } finally {
    await closeQuietly(writer?.tree);
  }
}
