/**
 * `@rotortree/conformance/crash`: the crash-testing toolkit — core's fault-injecting file system
 * (re-exported), simulated machines, named kill points and the SIGKILL harness. No test runner needed.
 * @module
 */
export { CRASH_MODES, createPrng, faultyFileSystem, nodeFileSystem } from '@rotortree/core/fs';
export type { CrashMode, CrashReport, FaultRule, FaultyFileSystem, FaultyFileSystemOptions, FsOp, Prng } from '@rotortree/core/fs';
export { simulatedMachine, MACHINE_DIR } from '../machine.js';
export type { SimulatedMachine } from '../machine.js';
export { KILL_OPERATIONS, KILL_POINTS, killPointFileSystem, killSelf, parseKillAt } from './kill-points.js';
export type { KillAt, KillOperation } from './kill-points.js';
export { DEFAULT_KILL_POINTS, NAMED_POINT_WAIT_MS, runKillCycles } from './kill-harness.js';
export type { KillRunOptions, KillRunResult } from './kill-harness.js';
export { CHILD_ENV } from './kill-protocol.js';
export type { ChildConfig, ChildPrelude } from './kill-protocol.js';
export { listFiles } from '../checks/faults.js';
