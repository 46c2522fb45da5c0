/**
 * The functional groups: tree rules, proofs and lifecycle through the engine over the backend,
 * repeated in three lifecycle states (fresh, reopened after close, recovered after a crash), and
 * bad input (DESIGN "What must hold" 3 and 8).
 * @module
 */
import * as fc from 'fast-check';
import {
  bytesEqual,
  decodeInclusionProof,
  encodeInclusionProof,
  generateConsistencyProof,
  generateProof,
  inclusionProofFromJSON,
  inclusionProofToJSON,
  verifyConsistencyProof,
  verifyProof,
} from '@rotortree/core';
import type { RotorTree } from '@rotortree/core';
import { openWal } from '@rotortree/core/backend';
import { createPrng } from '@rotortree/core/fs';
import { resolveCapabilities } from '../capabilities.js';
import { closeQuietly, openEngine } from '../engine.js';
import { simulatedMachine } from '../machine.js';
import type { SimulatedMachine } from '../machine.js';
import type { BackendUnderTest, CheckOptions, Violation } from '../types.js';
import { checkRecovered } from '../verify.js';
import { describeError, ViolationLog } from '../violations.js';
import type { CaseInfo } from '../violations.js';
import { leafAt, leavesAt, ReferenceRoots, shortHex } from '../workload.js';
import { outcomeOf, paramsOf } from './support.js';

/** The lifecycle states every functional assertion runs in. */
export type LifecycleState = 'fresh' | 'reopened' | 'recovered';

/**
 * A machine holding `prefix` leaves in the given lifecycle state, and the engine open on it:
 * `fresh` (nothing stored: prefix 0), `reopened` (closed cleanly, opened again), `recovered`
 * (powered off after a flush, rebooted with torn unsynced writes, opened again).
 */
async function treeIn(
  backend: BackendUnderTest,
  state: LifecycleState,
  params: { n: number; maxDepth: number },
  seed: number,
): Promise<{ machine: SimulatedMachine; tree: RotorTree; prefix: number }> {
  const machine = simulatedMachine(seed);
  let tree = await openEngine(backend, machine, params);
  if (state === 'fresh') return { machine, tree, prefix: 0 };
  tree.insertMany(leavesAt(0, 5));
  tree.insert(leafAt(5));
  await tree.flush();
  if (state === 'reopened') {
    await tree.close();
  } else {
    tree.insert(leafAt(6)); // unsynced: may or may not survive
    machine.powerOff();
    await closeQuietly(tree);
    machine.reboot('torn');
  }
  tree = await openEngine(backend, machine, params);
  // A record unsynced at the crash may have survived: the workload goes on from what is there.
  return { machine, tree, prefix: tree.size };
}

/**
 * Tree rules through the engine (a fast-check property): after every insert / insertMany the
 * root equals the reference recomputation, `size`, `depth` and level lengths follow the shape
 * rules, and a clean reopen gives the same leaves and root. Runs in every lifecycle state the
 * backend supports.
 */
export async function checkTreeRules(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('treeRules');
  const caps = await resolveCapabilities(backend);
  const params = paramsOf(options);
  const reference = new ReferenceRoots(backend.referenceHasher ?? backend.hasher, params.n);
  const states: LifecycleState[] = caps.crashSimulation === false ? ['fresh', 'reopened'] : ['fresh', 'reopened', 'recovered'];
  const seed = options.seed ?? 1;
  for (const state of states) {
    const at: CaseInfo = { backend: backend.name, seed, mode: state };
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 12 }), async (records) => {
          const { machine, tree, prefix } = await treeIn(backend, state, params, seed);
          try {
            let size = prefix;
            for (const k of records) {
              const root = k === 1 ? tree.insert(leafAt(size)).root : tree.insertMany(leavesAt(size, k)).root;
              size += k;
              const expected = reference.root(size)!;
              if (!bytesEqual(root, expected)) throw new Error(`root after ${size} leaves is ${shortHex(root)}, reference ${shortHex(expected)}`);
              if (tree.size !== size) throw new Error(`size ${tree.size}, expected ${size}`);
              const depth = size <= 1 ? 0 : Math.ceil(Math.log(size) / Math.log(params.n) - 1e-9);
              if (tree.depth !== depth) throw new Error(`depth ${tree.depth} for ${size} leaves, expected ${depth}`);
            }
            await tree.close();
            const again = await openEngine(backend, machine, params);
            try {
              const problems = checkRecovered(again.snapshot(), {
                minSize: size,
                maxSize: size,
                isBoundary: () => true,
                reference,
                hasher: backend.hasher,
                proofs: 1,
                prng: createPrng(size),
              });
              if (problems.length > 0) throw new Error(`after a clean reopen: ${problems[0]!.message}`);
            } finally {
              await closeQuietly(again);
            }
          } finally {
            await closeQuietly(tree);
          }
        }),
        { seed, numRuns: options.crashStates === undefined ? 12 : Math.max(4, Math.min(50, options.crashStates >> 2)) },
      );
    } catch (err) {
      log.add('treeRules', at, `in state ${state}: ${describeError(err).split('\n').slice(0, 6).join(' | ')}`);
    }
  }
  return log.list;
}

/**
 * Proofs from the engine over the backend: every sampled inclusion proof verifies against the
 * trusted root and size, tampered ones do not, the binary and JSON forms round-trip, consistency
 * proofs from an old size verify; and the proofs of a reopened tree are byte-identical.
 */
export async function checkProofs(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('proofs');
  const params = paramsOf(options);
  const seed = options.seed ?? 1;
  const at: CaseInfo = { backend: backend.name, seed };
  await log.guard('proofs', at, 'the proofs check', async () => {
    const { machine, tree } = await treeIn(backend, 'fresh', params, seed);
    const hasher = backend.hasher;
    let size = 0;
    for (const k of [1, 3, 1, params.n + 1, 2, 1, 17, 1]) {
      if (k === 1) tree.insert(leafAt(size));
      else tree.insertMany(leavesAt(size, k));
      size += k;
    }
    const view = tree.snapshot();
    const root = tree.root!;
    const encoded: Uint8Array[] = [];
    for (let i = 0; i < size; i++) {
      const proof = generateProof(view, i);
      encoded.push(encodeInclusionProof(proof));
      if (!verifyProof(hasher, proof, { root, size, n: params.n })) log.add('proofs', at, `proof of leaf ${i} of ${size} does not verify`);
      if (!verifyProof(hasher, decodeInclusionProof(encodeInclusionProof(proof)), { root, size, n: params.n })) log.add('proofs', at, `binary round trip of proof ${i} fails`);
      if (!verifyProof(hasher, inclusionProofFromJSON(JSON.parse(JSON.stringify(inclusionProofToJSON(proof)))), { root, size, n: params.n })) {
        log.add('proofs', at, `JSON round trip of proof ${i} fails`);
      }
      const forged = { ...proof.toObject(), leaf: leafAt(i + 1) };
      if (verifyProof(hasher, forged, { root, size, n: params.n })) log.add('proofs', at, `a proof with another leaf verifies (leaf ${i})`);
      if (verifyProof(hasher, proof, { root, size: size + 1, n: params.n })) log.add('proofs', at, `proof ${i} verifies against a wrong size`);
    }
    for (const old of [1, 2, size - 1]) {
      const cp = generateConsistencyProof(view, old, hasher);
      if (!verifyConsistencyProof(hasher, cp, { newRoot: root, newSize: size, oldSize: old, n: params.n })) log.add('proofs', at, `consistency proof ${old} -> ${size} does not verify`);
    }
    const malformed = await outcomeOf(() => verifyProof(hasher, { ...generateProof(view, 0).toObject(), leaf: new Uint8Array(3) }, { root, size, n: params.n }));
    if (malformed !== 'INVALID_PROOF') log.add('badInput', at, `a malformed proof gives ${malformed}, expected INVALID_PROOF`);
    await tree.close();
    const again = await openEngine(backend, machine, params);
    try {
      const view2 = again.snapshot();
      for (let i = 0; i < size; i++) {
        if (!bytesEqual(encodeInclusionProof(generateProof(view2, i)), encoded[i]!)) log.add('proofs', at, `proof ${i} differs after reopening`);
      }
    } finally {
      await closeQuietly(again);
    }
  });
  return log.list;
}

/**
 * Lifecycle: an empty tree reopens empty; after close every call fails with `CLOSED` and close is
 * idempotent; a reopen with another n or another hasher id is `CONFIG_MISMATCH`; the same data then
 * still opens with the right configuration.
 */
export async function checkLifecycle(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('lifecycle');
  const params = paramsOf(options);
  const seed = options.seed ?? 1;
  const at: CaseInfo = { backend: backend.name, seed };
  await log.guard('lifecycle', at, 'the lifecycle check', async () => {
    const machine = simulatedMachine(seed);
    const empty = await openEngine(backend, machine, params);
    await empty.close();
    const reopened = await openEngine(backend, machine, params);
    if (reopened.size !== 0 || reopened.root !== undefined) log.add('lifecycle', at, `an empty tree reopened with ${reopened.size} leaves`);
    reopened.insertMany(leavesAt(0, 3));
    await reopened.close();
    await reopened.close();
    const afterClose = await outcomeOf(() => reopened.insert(leafAt(3)));
    if (afterClose !== 'CLOSED') log.add('lifecycle', at, `insert after close gives ${afterClose}, expected CLOSED`);
    const flushAfter = await outcomeOf(() => reopened.flush());
    if (flushAfter !== 'CLOSED') log.add('lifecycle', at, `flush after close gives ${flushAfter}, expected CLOSED`);
    const otherN = params.n === 2 ? 3 : 2;
    const wrongN = await outcomeOf(async () => closeQuietly(await openEngine(backend, machine, { ...params, n: otherN })));
    if (wrongN !== 'CONFIG_MISMATCH') log.add('lifecycle', at, `reopening with n=${otherN} gives ${wrongN}, expected CONFIG_MISMATCH`);
    const otherHasher = { ...backend, hasher: { ...backend.hasher, id: `${backend.hasher.id}-other` } };
    const wrongHasher = await outcomeOf(async () => closeQuietly(await openEngine(otherHasher, machine, params)));
    if (wrongHasher !== 'CONFIG_MISMATCH') log.add('lifecycle', at, `reopening with another hasher id gives ${wrongHasher}, expected CONFIG_MISMATCH`);
    const right = await openEngine(backend, machine, params);
    if (right.size !== 3) log.add('lifecycle', at, `after refused reopens the tree holds ${right.size} leaves, expected 3`);
    await right.close();
  });
  return log.list;
}

/**
 * Bad input changes nothing: a leaf of 31 bytes (`INVALID_NODE`), an empty batch (`EMPTY_BATCH`),
 * a batch with one bad leaf, an insert past capacity (`MAX_DEPTH_EXCEEDED`), N < 2 / maxDepth < 1
 * (`RangeError`); the tree, the WAL and a reopen are as before. The WAL refuses a bad record itself.
 */
export async function checkBadInput(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  const log = new ViolationLog('badInput');
  const seed = options.seed ?? 1;
  const at: CaseInfo = { backend: backend.name, seed };
  const n = options.n ?? 4;
  const params = { n, maxDepth: 2 }; // capacity n^2
  const reference = new ReferenceRoots(backend.referenceHasher ?? backend.hasher, n);
  await log.guard('badInput', at, 'the bad-input check', async () => {
    const machine = simulatedMachine(seed);
    const tree = await openEngine(backend, machine, params);
    const capacity = n * n;
    tree.insertMany(leavesAt(0, capacity - 1));
    const expect = async (what: string, code: string, fn: () => unknown) => {
      const got = await outcomeOf(fn);
      if (got !== code) log.add('badInput', at, `${what}: got ${got}, expected ${code}`);
      if (tree.size !== capacity - 1) log.add('badInput', at, `${what} changed the size to ${tree.size}`);
    };
    await expect('a 31-byte leaf', 'INVALID_NODE', () => tree.insert(new Uint8Array(31)));
    await expect('a string leaf', 'INVALID_NODE', () => tree.insert('x'.repeat(32) as unknown as Uint8Array));
    await expect('an empty batch', 'EMPTY_BATCH', () => tree.insertMany([]));
    await expect('a batch with a bad leaf', 'INVALID_NODE', () => tree.insertMany([leafAt(capacity - 1), new Uint8Array(33)]));
    await expect('a batch past capacity', 'MAX_DEPTH_EXCEEDED', () => tree.insertMany(leavesAt(capacity - 1, 2)));
    tree.insert(leafAt(capacity - 1));
    const full = await outcomeOf(() => tree.insert(leafAt(capacity)));
    if (full !== 'MAX_DEPTH_EXCEEDED') log.add('badInput', at, `an insert into a full tree gives ${full}`);
    const badRange = await outcomeOf(() => generateProof(tree.snapshot(), capacity));
    if (badRange !== 'INDEX_OUT_OF_RANGE') log.add('badInput', at, `a proof of a leaf past the end gives ${badRange}`);
    await tree.close();
    const again = await openEngine(backend, machine, params);
    const problems = checkRecovered(again.snapshot(), {
      minSize: capacity,
      maxSize: capacity,
      isBoundary: () => true,
      reference,
      hasher: backend.hasher,
      proofs: 1,
      prng: createPrng(seed),
    });
    for (const p of problems) log.add('badInput', at, `after bad input and a reopen: ${p.message}`);
    await again.close();
    for (const [what, bad] of [
      ['n = 1', { n: 1, maxDepth: 4 }],
      ['maxDepth = 0', { n, maxDepth: 0 }],
    ] as const) {
      const got = await outcomeOf(async () => closeQuietly(await openEngine(backend, simulatedMachine(seed), bad)));
      if (got !== 'RangeError' && got !== 'TypeError') log.add('badInput', at, `opening with ${what} gives ${got}, expected RangeError`);
    }
    // The WAL itself refuses a record that is not k*32 bytes, and stays usable.
    const wal = await backend.wal(simulatedMachine(seed + 1));
    await openWal(wal, { n, maxDepth: 8, hasherId: backend.hasher.id });
    const badRecord = await outcomeOf(() => wal.append(1, new Uint8Array(33)));
    if (badRecord !== 'INVALID_NODE') log.add('badInput', at, `a WAL record of 33 bytes gives ${badRecord}, expected INVALID_NODE`);
    wal.append(1, leafAt(0));
    if ((await wal.flush()) !== 1) log.add('badInput', at, 'the WAL did not flush record 1 after refusing a bad one');
    await wal.close();
  });
  return log.list;
}
