/** Budgets of the S3 part of the matrix (every request is a round trip to a real server). */
import { formatViolations, recordStats } from '../../src/index.js';
import type { GroupName, Violation } from '../../src/index.js';

/**
 * Branching factors: 2 (the deepest trees: the most levels, segments and manifest tails per leaf)
 * and 16 (the widest nodes); 4, the default, is what every S3 group below runs with.
 */
export const S3_NS = [2, 16] as const;

/** Crash states per crash group and combination. */
export const S3_CRASH_STATES = 24;

/**
 * The suite's groups that apply to a WAL on files with checkpoints in S3: every group but those
 * that damage stored checkpoint files (the objects are damaged by checkpoint-s3's own tests:
 * CORRUPTION naming the key), the ones on real files only, and `locking`: it expects a second
 * checkpoint store beside a live writer to be refused, and on S3 a second store's claim fences the
 * first instead (the WAL is the lock); the staleWriter group checks what holds.
 */
export const S3_GROUPS: GroupName[] = ['treeRules', 'proofs', 'lifecycle', 'badInput', 'durability', 'checkpoints', 'poison', 'lostFiles', 'foreignFiles', 'followers'];

/** Counts a group's violations in the suite's summary line, and fails the test with them. */
export function expectNoViolations(violations: readonly Violation[]): void {
  recordStats({ violations: violations.length });
  if (violations.length > 0) throw new Error(formatViolations(violations));
}
