// The conformance matrix, real processes: every durable combination SIGKILLed at random moments
// and at named kill points (the points rotate across combinations so the matrix covers them all).
// Two combinations run at a time: a cycle mostly waits for its child processes.
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import type { Budget } from '../src/index.js';
import { DEFAULT_KILL_POINTS, formatViolations, recordStats, registerStatsFlush, runKillCycles, withSoak } from '../src/index.js';
import { backendFor } from './matrix-backends.mjs';
import { combinations, KILL_CYCLES, KILL_PARALLEL, label } from './matrix.js';

const MODULE = fileURLToPath(new URL('./matrix-backends.mjs', import.meta.url));
registerStatsFlush();

/** At most `limit` of the functions passed run at once. */
function limiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

const slot = limiter(KILL_PARALLEL);

describe.concurrent('kill cycles (SIGKILL, fresh-process recovery)', () => {
  const durable = combinations.filter((c) => c.wal === 'fs' && c.store !== 'memory');
  durable.forEach((c, i) => {
    it(label(c), { timeout: 600_000 }, () =>
      slot(async () => {
        const rotated = DEFAULT_KILL_POINTS.map((_, j) => DEFAULT_KILL_POINTS[(i + j) % DEFAULT_KILL_POINTS.length]!);
        const budget: Budget = withSoak<Budget>({ killCycles: KILL_CYCLES }, 1);
        const result = await runKillCycles({
          module: MODULE,
          params: c,
          n: c.n,
          cycles: budget.killCycles ?? KILL_CYCLES,
          seed: 7 + i,
          points: rotated,
          ...(budget.deadline === undefined ? {} : { deadline: budget.deadline }),
        });
        recordStats({ violations: result.violations.length });
        if (result.violations.length > 0) throw new Error(`${formatViolations(result.violations)}\n(${backendFor(c).name})`);
      }),
    );
  });
});
