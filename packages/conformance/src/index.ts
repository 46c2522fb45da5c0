/**
 * `@rotortree/conformance`: the suite every rotortree backend combination must pass.
 *
 * - {@link runConformance}: the whole suite as vitest tests, for one backend combination.
 * - The groups as plain functions returning violations (`@rotortree/conformance/checks`).
 * - The crash-testing toolkit (`@rotortree/conformance/crash`): fault-injecting file system,
 *   simulated machines, named kill points, the SIGKILL harness.
 * - An example file WAL ({@link simpleFileWal}) that passes, and its deliberately broken variants.
 * @module
 */
export type * from './types.js';
export { runConformance, registerStatsFlush, withSoak } from './suite.js';
export type { ConformanceOptions } from './suite.js';
export { resolveCapabilities, groupsFor } from './capabilities.js';
export * from './checks/index.js';
export * from './crash/index.js';
export { openEngine, closeQuietly } from './engine.js';
export type { EngineParams } from './engine.js';
export { checkRecovered } from './verify.js';
export type { Problem, RecoveryExpectation } from './verify.js';
export { isRecordBoundary, leafAt, leavesAt, naiveRoot, recordLength, ReferenceRoots } from './workload.js';
export { formatViolations } from './violations.js';
export { currentStats, emptyStats, formatSummary, recordStats } from './stats.js';
export type { ConformanceStats } from './stats.js';
export { collectSummary, readStatsDir, STATS_DIR_ENV, writeStatsFile } from './stats-file.js';
export { simpleFileWal } from './examples/simple-file-wal.js';
export type { SimpleFileWalOptions, WalFlaw } from './examples/simple-file-wal.js';
export { simpleBackend, WAL_FLAWS } from './examples/backends.js';
