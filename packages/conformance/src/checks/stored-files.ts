/**
 * The groups about what a tree's stored files may be after the fact (DESIGN "What must hold" 5 and
 * the tree identity): a file lost, a file of another tree put in its place, and damaged checkpoint
 * bytes read through every read path. The caller of these cases knows the tree exists and its
 * identity (as `open(dir)` does from its descriptor): `RotorTree.open({ treeId, create: false })`.
 * @module
 */
import { chunkNodesFor, generateProof, isRotorTreeError, NODE_SIZE, verifyProof } from '@rotortree/core';
import type { RotorTree, TreeView } from '@rotortree/core';
import { createPrng } from '@rotortree/core/fs';
import { resolveCapabilities } from '../capabilities.js';
import { closeQuietly, openEngine } from '../engine.js';
import type { EngineParams } from '../engine.js';
import { recordStats } from '../stats.js';
import type { BackendUnderTest, CheckOptions, Violation } from '../types.js';
import { describeError, ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { leafAt } from '../workload.js';
import { applyDamage, buildDamageState, damageableFiles, replaceFile } from './damage.js';
import type { DamageState } from './damage.js';
import { paramsOf } from './support.js';

/** One stored part of a tree: a file, or a part of a memory disk; what an error about it must name. */
interface StoredPart {
  readonly name: string;
  /** The `file` a `CORRUPTION` about this part names. */
  readonly location: string;
  /** Loses it (durably). */
  remove(state: DamageState): Promise<void>;
  /** Puts the same part of `other` (another tree) in its place. Resolves false when `other` has no such part. */
  replaceFrom(state: DamageState, other: DamageState): Promise<boolean>;
}

/** The stored parts of `state`: each file the backends wrote, and the WAL and checkpoint of a memory disk. */
async function storedParts(state: DamageState): Promise<StoredPart[]> {
  const parts: StoredPart[] = [];
  for (const file of await damageableFiles(state.machine)) {
    parts.push({
      name: file,
      location: file,
      remove: (s) => applyDamage(s.machine, file, { kind: 'delete' }),
      async replaceFrom(s, other) {
        const bytes = other.machine.fs.peek(file);
        if (bytes === undefined) return false;
        await replaceFile(s.machine, file, bytes);
        return true;
      },
    });
  }
  const disk = state.machine.disk;
  if (disk.walHeader !== undefined) {
    parts.push({
      name: 'memory WAL',
      location: 'memory-wal',
      async remove(s) {
        s.machine.disk.walHeader = undefined;
        s.machine.disk.walDurable = [];
      },
      async replaceFrom(s, other) {
        s.machine.disk.walHeader = other.machine.disk.walHeader;
        s.machine.disk.walDurable = other.machine.disk.walDurable.slice();
        return true;
      },
    });
  }
  if (disk.checkpointManifest !== undefined) {
    parts.push({
      name: 'memory checkpoint',
      location: 'memory-checkpoint',
      async remove(s) {
        s.machine.disk.checkpointManifest = undefined;
        s.machine.disk.checkpointSegments = [];
      },
      async replaceFrom(s, other) {
        s.machine.disk.checkpointManifest = other.machine.disk.checkpointManifest;
        s.machine.disk.checkpointSegments = other.machine.disk.checkpointSegments.map((level) => level.slice());
        return true;
      },
    });
  }
  return parts;
}

/** Reopens the tree of `state` as a caller that knows it exists; expects `CORRUPTION` naming `location`. */
async function expectCorruptionNaming(backend: BackendUnderTest, params: EngineParams, state: DamageState, location: string, log: ViolationLog, at: CaseInfo, what: string): Promise<void> {
  let tree: RotorTree | undefined;
  try {
    tree = await openEngine(backend, state.machine, { ...params, treeId: state.treeId, create: false });
  } catch (err) {
    if (!isRotorTreeError(err, 'CORRUPTION')) log.add('corruptionReported', at, `${what}: recovery failed with ${describeError(err)}, expected CORRUPTION naming ${location}`);
    else if (err.file !== location) log.add('corruptionReported', at, `${what}: CORRUPTION names ${String(err.file)}, expected ${location} (${err.message})`);
    return;
  }
  log.add('corruptionReported', at, `${what}: the tree opened (${tree.size} of ${state.inserted} leaves), expected CORRUPTION naming ${location}`);
  await closeQuietly(tree);
}

/**
 * A lost file is reported: for each stored part of a closed tree (each file the backends wrote, lock
 * files aside; the WAL and the checkpoint of a memory disk), its removal makes the next open of the
 * tree (by a caller that knows the tree exists) fail with `CORRUPTION` naming that part, never open
 * an empty or shorter tree.
 */
export async function checkLostFiles(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('lostFiles');
  const caps = await resolveCapabilities(backend);
  if (caps.crashSimulation === false) return log.list;
  const params = paramsOf(options);
  const seed = options.seed ?? 1;
  const probe = await buildDamageState(backend, params, seed, caps.checkpoints);
  for (const part of await storedParts(probe)) {
    const at: CaseInfo = { backend: backend.name, seed, mode: `lost ${part.name}` };
    await log.guard('corruptionReported', at, 'the lost-file case', async () => {
      const state = await buildDamageState(backend, params, seed, caps.checkpoints);
      await part.remove(state);
      await expectCorruptionNaming(backend, params, state, part.location, log, at, `${part.name} removed`);
    });
    recordStats({ crashStates: 1 });
  }
  return log.list;
}

/**
 * A file of another tree is refused: two trees with the same parameters and the same leaves (so
 * only their identities differ); each stored part of one, replaced by the same part of the other,
 * makes the next open fail with `CORRUPTION` naming that part, never replay or serve it.
 */
export async function checkForeignFiles(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('foreignFiles');
  const caps = await resolveCapabilities(backend);
  if (caps.crashSimulation === false) return log.list;
  const params = paramsOf(options);
  const seed = options.seed ?? 1;
  const other = await buildDamageState(backend, params, seed + 7919, caps.checkpoints);
  const probe = await buildDamageState(backend, params, seed, caps.checkpoints);
  if (probe.treeId === other.treeId) log.add('treeRules', { backend: backend.name, seed }, 'two new trees got the same identity');
  for (const part of await storedParts(probe)) {
    const at: CaseInfo = { backend: backend.name, seed, mode: `foreign ${part.name}` };
    await log.guard('corruptionReported', at, 'the foreign-file case', async () => {
      const state = await buildDamageState(backend, params, seed, caps.checkpoints);
      if (!(await part.replaceFrom(state, other))) return;
      await expectCorruptionNaming(backend, params, state, part.location, log, at, `${part.name} of another tree put in place`);
    });
    recordStats({ crashStates: 1 });
  }
  return log.list;
}

/** Every node of every level of `view`, level by level. */
function allNodes(view: TreeView): Uint8Array[] {
  const levels: Uint8Array[] = [];
  for (let k = 0; k <= view.depth; k++) {
    const len = view.levelLength(k);
    const bytes = new Uint8Array(len * NODE_SIZE);
    for (let i = 0; i < len; i++) view.readNode(k, i, bytes, i * NODE_SIZE);
    levels.push(bytes);
  }
  return levels;
}

function sameNode(a: Uint8Array, aOff: number, b: Uint8Array): boolean {
  for (let i = 0; i < NODE_SIZE; i++) if (a[aOff + i] !== b[i]) return false;
  return true;
}

/**
 * No read ever returns damaged checkpoint bytes: a tree whose checkpoint holds whole chunks of its
 * levels, a flipped byte at seeded offsets of each file the checkpoint wrote, then the tree reopened
 * without full verification (levels below 1, or below 3, read from the store): the open, every node
 * of every level (`readNode`), sampled proofs, and the root after one more insert (the replay of the
 * WAL on top ran at open) each either return the undamaged tree's bytes or throw `CORRUPTION`.
 */
export async function checkCheckpointReads(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('checkpointReads');
  const caps = await resolveCapabilities(backend);
  if (!caps.checkpoints || !caps.corruptionDetection) return log.list;
  const params = { ...paramsOf(options), verifyCheckpoint: false };
  const seed = options.seed ?? 1;
  // Two whole chunks of level 1, so that levels 0 and 1 are in segments.
  const bulk = 2 * chunkNodesFor(params.n) * params.n;
  const probe = await buildDamageState(backend, params, seed, true, bulk);
  const good = await openEngine(backend, probe.machine, { ...params, treeId: probe.treeId, create: false });
  const expected = allNodes(good.snapshot());
  good.insert(leafAt(probe.inserted));
  const expectedRoot = good.root!;
  await closeQuietly(good);
  const rnd = createPrng(seed);
  const perFile = Math.max(2, Math.min(12, Math.floor((options.crashStates ?? 24) / Math.max(1, probe.checkpointFiles.length))));
  for (const file of probe.checkpointFiles) {
    const size = probe.machine.fs.peek(file)?.length ?? 0;
    for (let d = 0; d < perFile && size > 0; d++) {
      const offset = rnd.below(size);
      const pin = d % 2 === 0 ? 1 : 3;
      const at: CaseInfo = { backend: backend.name, seed, mode: `flip@${offset} ${file} pin ${pin}` };
      await log.guard('corruptionReported', at, 'the damaged-checkpoint read case', async () => {
        const state = await buildDamageState(backend, params, seed, true, bulk);
        await applyDamage(state.machine, file, { kind: 'flip', at: offset });
        await readEverything(backend, { ...params, pinAboveLevel: pin, treeId: state.treeId, create: false }, state, expected, expectedRoot, log, at);
      });
      recordStats({ crashStates: 1 });
    }
  }
  return log.list;
}

async function readEverything(
  backend: BackendUnderTest,
  params: EngineParams,
  state: DamageState,
  expected: readonly Uint8Array[],
  expectedRoot: Uint8Array,
  log: ViolationLog,
  at: CaseInfo,
): Promise<void> {
  /** Runs a read: a wrong value is a violation, `CORRUPTION` is the right refusal, anything else a violation. */
  const read = (what: string, fn: () => boolean): void => {
    try {
      if (!fn()) log.add('corruptionReported', at, `${what} returned damaged bytes`);
    } catch (err) {
      if (!isRotorTreeError(err, 'CORRUPTION')) log.add('corruptionReported', at, `${what} failed with ${describeError(err)}, expected the bytes or CORRUPTION`);
      else if (err.file === undefined) log.add('corruptionReported', at, `${what}: CORRUPTION without a file`);
    }
  };
  let tree: RotorTree;
  try {
    tree = await openEngine(backend, state.machine, params);
  } catch (err) {
    if (!isRotorTreeError(err, 'CORRUPTION')) log.add('corruptionReported', at, `the open failed with ${describeError(err)}, expected CORRUPTION`);
    return;
  }
  try {
    let taken: TreeView | undefined;
    read('a snapshot', () => {
      taken = tree.snapshot();
      return true;
    });
    if (taken === undefined) return;
    const view = taken;
    const node = new Uint8Array(NODE_SIZE);
    for (let k = 0; k < expected.length; k++) {
      const want = expected[k]!;
      for (let i = 0; i < want.length / NODE_SIZE; i++) {
        read(`node ${i} of level ${k}`, () => {
          view.readNode(k, i, node, 0);
          return sameNode(want, i * NODE_SIZE, node);
        });
      }
    }
    const root = view.root!;
    const prng = createPrng(state.inserted);
    for (let p = 0; p < 8; p++) {
      const index = prng.below(view.size);
      read(`the proof of leaf ${index}`, () => verifyProof(backend.hasher, generateProof(view, index), { root, size: view.size, n: view.n }) && sameNode(expected[expected.length - 1]!, 0, root));
    }
    read('the root after one more insert', () => {
      tree.insert(leafAt(state.inserted));
      const after = tree.root!;
      return sameNode(expectedRoot, 0, after);
    });
  } finally {
    await closeQuietly(tree);
  }
}
