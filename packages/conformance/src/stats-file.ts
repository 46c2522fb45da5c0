/**
 * The counters of every test worker, gathered for one summary line: each worker appends its
 * counters to a file in `$CONFORMANCE_STATS_DIR`; {@link readStatsDir} sums them.
 * @module
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConformanceStats } from './stats.js';

/** Environment variable naming the directory the counters go to. */
export const STATS_DIR_ENV = 'CONFORMANCE_STATS_DIR';

/** Appends `stats` to this process's file in `$CONFORMANCE_STATS_DIR` (no-op without it). */
export function writeStatsFile(stats: ConformanceStats): void {
  const dir = process.env[STATS_DIR_ENV];
  if (dir === undefined || dir === '') return;
  appendFileSync(join(dir, `stats-${process.pid}-${Math.random().toString(36).slice(2)}.json`), `${JSON.stringify(stats)}\n`);
}

/** The sum of every counter file in `dir`. */
export function readStatsDir(dir: string): ConformanceStats {
  const total: ConformanceStats = { combinations: 0, crashStates: 0, killCycles: 0, violations: 0 };
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('stats-')) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const s = JSON.parse(line) as ConformanceStats;
      total.combinations += s.combinations;
      total.crashStates += s.crashStates;
      total.killCycles += s.killCycles;
      total.violations += s.violations;
    }
  }
  return total;
}
