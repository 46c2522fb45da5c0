/**
 * `@rotortree/conformance/checks`: every group as a plain async function returning the violations
 * it found (no test runner needed). `runConformance` wraps these in vitest tests.
 * @module
 */
import type { BackendUnderTest, Capabilities, CheckOptions, Violation } from '../types.js';
import { checkCrashConsistency } from './durability.js';
import { checkBadInput, checkLifecycle, checkProofs, checkTreeRules } from './functional.js';
import { checkCorruption, checkLocking, checkPoison } from './faults.js';
import { checkFollowers } from './followers.js';
import { checkHugeTails, checkLockRemoval } from './real-files.js';
import { checkCheckpointReads, checkForeignFiles, checkLostFiles } from './stored-files.js';
import { checkPartitions, checkServerKills, checkStandbyDown } from './network-crashes.js';
import { checkFencing } from './network-fencing.js';
import { checkDamagedRecords, checkNetworkIdentity } from './network-stored.js';

export { checkCrashConsistency } from './durability.js';
export type { CrashCheckOptions } from './durability.js';
export { checkBadInput, checkLifecycle, checkProofs, checkTreeRules } from './functional.js';
export type { LifecycleState } from './functional.js';
export { checkCorruption, checkLocking, checkPoison, listFiles } from './faults.js';
export { checkHugeTails, checkLockRemoval, HUGE_TAIL_BYTES } from './real-files.js';
export { checkFollowers } from './followers.js';
export { checkCheckpointReads, checkForeignFiles, checkLostFiles } from './stored-files.js';
export { checkPartitions, checkServerKills, checkStandbyDown } from './network-crashes.js';
export { checkFencing } from './network-fencing.js';
export { checkDamagedRecords, checkNetworkIdentity } from './network-stored.js';

/** Crash consistency around checkpoints (DESIGN 4): a script dense in checkpoints, crashed everywhere. */
export function checkCheckpointCrashes(backend: BackendUnderTest, options: CheckOptions = {}): Promise<Violation[]> {
  return checkCrashConsistency(backend, { ...options, shape: 'checkpointHeavy', checkName: 'checkpoints', seed: (options.seed ?? 1) + 1_000_000 });
}

/** A group of the suite: its check and when it applies. */
export interface Group {
  readonly title: string;
  readonly check: (backend: BackendUnderTest, options: CheckOptions) => Promise<Violation[]>;
  /** Why it is skipped for a combination, or `undefined` when it applies. */
  readonly skip: (caps: Capabilities) => string | undefined;
}

/** Every group, by name. */
export const GROUPS = {
  treeRules: { title: 'tree rules (root = reference, shape, clean reopen) in every lifecycle state', check: checkTreeRules, skip: () => undefined },
  proofs: { title: 'proofs verify, tampered ones fail, identical after reopen', check: checkProofs, skip: () => undefined },
  lifecycle: { title: 'lifecycle: empty reopen, CLOSED, CONFIG_MISMATCH', check: checkLifecycle, skip: () => undefined },
  badInput: { title: 'bad input gets a clear error and changes nothing', check: checkBadInput, skip: () => undefined },
  durability: {
    title: 'acknowledged inserts survive every crash state; leaves a prefix; root recomputed',
    check: checkCrashConsistency,
    skip: (c) => (c.crashSimulation === false ? 'no crashSimulation' : undefined),
  },
  checkpoints: {
    title: 'a crash at any point of a checkpoint leaves a recoverable state',
    check: checkCheckpointCrashes,
    skip: (c) => (c.crashSimulation === false ? 'no crashSimulation' : c.checkpoints ? undefined : 'no checkpoint store'),
  },
  poison: { title: 'a failed fsync poisons the tree', check: checkPoison, skip: (c) => (c.fsyncFailure ? undefined : 'no fsyncFailure (needs crashSimulation fs)') },
  locking: { title: 'one writer per directory (FILE_LOCKED)', check: checkLocking, skip: (c) => (c.locking === false ? 'no locking' : undefined) },
  corruption: {
    title: 'damaged, cut and missing files are reported, never dropped silently',
    check: checkCorruption,
    skip: (c) => (c.corruptionDetection ? undefined : 'no corruptionDetection'),
  },
  lostFiles: {
    title: 'a lost file of a tree that exists is CORRUPTION naming it, never an empty or shorter tree',
    check: checkLostFiles,
    skip: (c) => (c.crashSimulation === false ? 'no crashSimulation' : undefined),
  },
  foreignFiles: {
    title: "a file of another tree (the same parameters and leaves) is CORRUPTION naming it, never replayed or served",
    check: checkForeignFiles,
    skip: (c) => (c.crashSimulation === false ? 'no crashSimulation' : undefined),
  },
  checkpointReads: {
    title: 'damaged checkpoint bytes are never returned by any read (open, nodes, proofs, root after replay)',
    check: checkCheckpointReads,
    skip: (c) => (!c.checkpoints ? 'no checkpoint store' : c.corruptionDetection ? undefined : 'no corruptionDetection'),
  },
  lockRemoval: {
    title: 'deleting every *.lock file under a live writer lets no second writer in (real files)',
    check: checkLockRemoval,
    skip: (c) => (c.locking === 'process' ? undefined : 'no locking across processes'),
  },
  followers: {
    title: 'a follower shows only durable states of its writer, with the reference roots, and catches up',
    check: checkFollowers,
    skip: (c) => (c.followers ? (c.crashSimulation === false ? 'no crashSimulation' : undefined) : 'no walReader'),
  },
  hugeTails: {
    title: 'a file grown by 4.5 GiB of zeros is free space or CORRUPTION, in bounded memory (real files)',
    check: checkHugeTails,
    skip: (c) => (c.corruptionDetection && c.crashSimulation === 'fs' ? undefined : 'no corruptionDetection on files'),
  },
  serverKill: {
    title: 'acknowledged records survive kill -9 of the server at network crash points (restart, reopen: a prefix of whole records)',
    check: checkServerKills,
    skip: (c) => (c.network.serverKill ? undefined : 'no network controller'),
  },
  partition: {
    title: 'a partition mid-flush (blackhole, reset): the flush settles within its bound; after healing nothing acknowledged is lost',
    check: checkPartitions,
    skip: (c) => (c.network.proxy ? undefined : 'no network crash mode'),
  },
  fencing: {
    title: 'takeover cycles: the old writer is FENCED and poisoned, nothing acknowledged is lost or doubled',
    check: checkFencing,
    skip: (c) => (c.network.proxy ? undefined : 'no network crash mode'),
  },
  standbyDown: {
    title: 'the synchronous standby down: flushes reject within their bound, never a silent success',
    check: checkStandbyDown,
    skip: (c) => (c.network.standby ? undefined : 'no standby in the network controller'),
  },
  damagedRecords: {
    title: 'a damaged stored record is CORRUPTION naming it, at every open',
    check: checkDamagedRecords,
    skip: (c) => (c.network.damage ? undefined : 'no damageRecord hook'),
  },
  networkIdentity: {
    title: "tree identity and parameters on the server: another tree's records, another identity, other parameters, a missing log",
    check: checkNetworkIdentity,
    skip: (c) => (c.network.proxy ? undefined : 'no network crash mode'),
  },
} satisfies Record<string, Group>;

/** Names of the groups. */
export type GroupName = keyof typeof GROUPS;

/** The groups of the network crash mode (registered only for a backend that has one). */
export const NETWORK_GROUPS: readonly GroupName[] = ['serverKill', 'partition', 'fencing', 'standbyDown', 'damagedRecords', 'networkIdentity'];
