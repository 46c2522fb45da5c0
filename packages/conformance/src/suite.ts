/**
 * `runConformance`: the whole suite for vitest users, one `describe` per backend combination and
 * one `it` per group; groups a combination does not claim are skipped (with the reason).
 * @module
 */
import { afterAll, describe, it } from 'vitest';
import { resolveCapabilities } from './capabilities.js';
import { GROUPS, NETWORK_GROUPS } from './checks/index.js';
import type { GroupName } from './checks/index.js';
import { currentStats, recordStats } from './stats.js';
import { writeStatsFile } from './stats-file.js';
import type { BackendUnderTest, Budget, CheckOptions } from './types.js';
import { formatViolations } from './violations.js';

/** Options of {@link runConformance}. */
export interface ConformanceOptions extends CheckOptions {
  /** Run only these groups (default: all). */
  readonly groups?: readonly GroupName[];
  /** Per-test timeout in ms (default 120 s). */
  readonly timeout?: number;
  /** Budgets of single groups, in place of the common one (e.g. more crash states for `durability`). */
  readonly groupBudgets?: Partial<Record<GroupName, Budget>>;
  /**
   * Count this call as a combination in the summary line (default true). `false` when another call
   * runs other groups of the same combination (e.g. the server-killing groups on a private server).
   */
  readonly countCombination?: boolean;
}

/**
 * Registers the conformance suite of `backend` with vitest (call it at the top level of a test
 * file). Each group is one test that fails with every violation it found, each naming the seed
 * that replays it. Budget: `crashStates` per crash group (default 48); `CONFORMANCE_SOAK=<minutes>`
 * in the environment raises it and keeps drawing new seeds until the time is used.
 */
export function runConformance(backend: BackendUnderTest, options: ConformanceOptions = {}): void {
  const all = Object.keys(GROUPS) as GroupName[];
  const names = options.groups ?? (backend.network === undefined ? all.filter((g) => !NETWORK_GROUPS.includes(g)) : all);
  describe(`rotortree conformance: ${backend.name}`, () => {
    it('claims a capability manifest', async () => {
      await resolveCapabilities(backend);
      if (options.countCombination !== false) recordStats({ combinations: 1 });
    });
    for (const name of names) {
      const group = GROUPS[name];
      it(`${name}: ${group.title}`, { timeout: options.timeout ?? 120_000 }, async (ctx) => {
        const caps = await resolveCapabilities(backend);
        const reason = group.skip(caps);
        if (reason !== undefined) {
          ctx.skip(reason);
          return;
        }
        const violations = await group.check(backend, withSoak({ ...options, ...options.groupBudgets?.[name] }, names.length));
        recordStats({ violations: violations.length });
        if (violations.length > 0) throw new Error(formatViolations(violations));
      });
    }
  });
  registerStatsFlush();
}

let flushRegistered = false;

/** Writes this worker's counters for the summary line once its tests are done (if a summary is collected). */
export function registerStatsFlush(): void {
  if (flushRegistered) return;
  flushRegistered = true;
  afterAll(() => writeStatsFile(currentStats()));
}

/** With `CONFORMANCE_SOAK=<minutes>`: a deadline per group and more states. */
export function withSoak<T extends CheckOptions>(options: T, groups: number): T {
  const minutes = Number(process.env.CONFORMANCE_SOAK ?? 0);
  if (!(minutes > 0)) return options;
  const share = (minutes * 60_000) / Math.max(1, groups) / Math.max(1, Number(process.env.CONFORMANCE_SOAK_COMBINATIONS ?? 1));
  return { ...options, crashStates: (options.crashStates ?? 48) * 4, killCycles: (options.killCycles ?? 4) * 4, deadline: Date.now() + share, seed: options.seed ?? Date.now() % 1_000_000 };
}
