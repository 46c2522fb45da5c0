/**
 * The child process of the kill harness (run as `node dist/crash/kill-child.js`): loads the
 * backend module while it waits for its turn, then opens the engine over the backend in this fresh
 * process (recovery), verifies the invariants against what earlier children acknowledged, and
 * inserts the deterministic workload until it is killed (by the parent, or by itself at the kill
 * point of its config). Roots are printed for the parent's reference model to judge.
 * @module
 */
import { createInterface } from 'node:readline';
import { memoryDisk } from '@rotortree/core';
import type { RotorTree, TreeView } from '@rotortree/core';
import { createPrng, nodeFileSystem } from '@rotortree/core/fs';
import { openEngine } from '../engine.js';
import type { BackendUnderTest, Machine } from '../types.js';
import { checkRecovered } from '../verify.js';
import { describeError } from '../violations.js';
import { isRecordBoundary, leafAt, leavesAt, recordLength } from '../workload.js';
import { killPointFileSystem, parseKillAt } from './kill-points.js';
import { CHILD_ENV } from './kill-protocol.js';
import type { ChildConfig, ChildPrelude } from './kill-protocol.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const hex = (bytes: Uint8Array | undefined): string => (bytes === undefined ? 'none' : Buffer.from(bytes).toString('hex'));

/** The first line on stdin, or `undefined` when stdin ends without one. */
async function readConfig(): Promise<ChildConfig | undefined> {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return JSON.parse(line) as ChildConfig;
  }
  return undefined;
}

async function main(): Promise<void> {
  const prelude = JSON.parse(process.env[CHILD_ENV] ?? '') as ChildPrelude;
  const mod = (await import(prelude.module)) as { createBackend(params: unknown): BackendUnderTest | Promise<BackendUnderTest> };
  const backend = await mod.createBackend(prelude.params);
  say('W');
  const config = await readConfig();
  if (config === undefined) process.exit(0);
  const spec = config.killAt ?? process.env.ROTORTREE_KILL_AT;
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
  const view = tree.snapshot();
  say(`R ${view.size} ${hex(view.root)}`);
  const problems = verify(backend, view, config, config.acked, Number.MAX_SAFE_INTEGER, 3);
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
  say('I');
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

/** Size bounds, whole records, the leaves, and sampled proofs against the tree's root (the parent judges the root). */
function verify(backend: BackendUnderTest, view: TreeView, config: ChildConfig, minSize: number, maxSize: number, proofs: number) {
  return checkRecovered(view, { minSize, maxSize, isBoundary: isRecordBoundary, hasher: backend.hasher, proofs, prng: createPrng(config.seed) });
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
  const view = again.snapshot();
  say(`T ${view.size} ${hex(view.root)}`);
  for (const p of verify(backend, view, config, size, size, 2)) say(`V ${p.invariant} after appending and a clean reopen: ${p.message}`);
  await again.close();
}

await main();
