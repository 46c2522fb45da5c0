/**
 * The child process of the kill harness (run as `node dist/crash/kill-child.js`): opens the engine
 * over the backend in a fresh process (recovery), verifies the invariants against what earlier
 * children acknowledged, then inserts the deterministic workload until it is killed (by the parent
 * at a random moment, or by itself at the kill point in `ROTORTREE_KILL_AT`).
 * @module
 */
import { memoryDisk } from '@rotortree/core';
import type { RotorTree } from '@rotortree/core';
import { createPrng, nodeFileSystem } from '@rotortree/core/fs';
import { openEngine } from '../engine.js';
import type { BackendUnderTest, Machine } from '../types.js';
import { checkRecovered } from '../verify.js';
import { describeError } from '../violations.js';
import { isRecordBoundary, leafAt, leavesAt, recordLength, ReferenceRoots } from '../workload.js';
import { killPointFileSystem, parseKillAt } from './kill-points.js';
import { CHILD_ENV } from './kill-protocol.js';
import type { ChildConfig } from './kill-protocol.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<void> {
  const config = JSON.parse(process.env[CHILD_ENV] ?? '') as ChildConfig;
  const mod = (await import(config.module)) as { createBackend(params: unknown): BackendUnderTest | Promise<BackendUnderTest> };
  const backend = await mod.createBackend(config.params);
  const spec = process.env.ROTORTREE_KILL_AT;
  const machine: Machine = {
    fs: killPointFileSystem(nodeFileSystem(), spec === undefined || spec === '' ? undefined : parseKillAt(spec)),
    dir: config.dir,
    disk: memoryDisk(),
    real: true,
  };
  let tree: RotorTree;
  try {
    // Checkpoints come from the engine's own background policy, so kills land inside automatic
    // checkpoints while inserts go on.
    const automatic = backend.checkpoints !== undefined && config.checkpointEvery > 0;
    tree = await openEngine(backend, machine, {
      n: config.n,
      maxDepth: config.maxDepth,
      flushPolicy: { kind: 'interval', ms: 2 },
      ...(automatic ? { checkpointPolicy: { kind: 'everyNEntries', n: config.checkpointEvery } } : {}),
    });
  } catch (err) {
    say(`V recovery recovery failed: ${describeError(err).replace(/\n/g, ' ')}`);
    process.exit(3);
  }
  say(`R ${tree.size}`);
  const problems = checkRecovered(tree.snapshot(), {
    minSize: config.acked,
    maxSize: Number.MAX_SAFE_INTEGER,
    isBoundary: isRecordBoundary,
    reference: new ReferenceRoots(backend.referenceHasher ?? backend.hasher, config.n),
    hasher: backend.hasher,
    proofs: 3,
    prng: createPrng(config.seed),
  });
  for (const p of problems) say(`V ${p.invariant} ${p.message}`);
  if (problems.length === 0) say('V ok');
  if (problems.length > 0) {
    await tree.close();
    process.exit(0);
  }
  if (config.mode === 'verify') {
    await appendCloseReopen(backend, machine, config, tree);
    process.exit(0);
  }
  let acked = tree.size;
  let i = tree.size;
  for (;;) {
    for (let r = 0; r < 20; r++) {
      const k = recordLength(i);
      const result = k === 1 ? tree.insert(leafAt(i)) : tree.insertMany(leavesAt(i, k));
      i += k;
      const end = i;
      result.token.wait().then(
        () => {
          if (end > acked) {
            acked = end;
            say(`D ${end}`); // a pipe write completes before a later SIGKILL can lose it
          }
        },
        () => {},
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** The last check: append three records, close (all durable), reopen in this process: exactly all there. */
async function appendCloseReopen(backend: BackendUnderTest, machine: Machine, config: ChildConfig, tree: RotorTree): Promise<void> {
  let size = tree.size;
  for (let r = 0; r < 3; r++) {
    const k = recordLength(size);
    if (k === 1) tree.insert(leafAt(size));
    else tree.insertMany(leavesAt(size, k));
    size += k;
  }
  await tree.close();
  const again = await openEngine(backend, machine, { n: config.n, maxDepth: config.maxDepth });
  const problems = checkRecovered(again.snapshot(), {
    minSize: size,
    maxSize: size,
    isBoundary: isRecordBoundary,
    reference: new ReferenceRoots(backend.referenceHasher ?? backend.hasher, config.n),
    hasher: backend.hasher,
    proofs: 2,
    prng: createPrng(config.seed),
  });
  for (const p of problems) say(`V ${p.invariant} after appending and a clean reopen: ${p.message}`);
  await again.close();
}

await main();
