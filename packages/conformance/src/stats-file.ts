/**
 * The counters of every test worker, gathered for one summary line: each worker appends its
 * counters to a file in `$CONFORMANCE_STATS_DIR`; {@link readStatsDir} sums them.
 * @module
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addStats, emptyStats, formatSummary } from './stats.js';
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
  const total = emptyStats();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('stats-')) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      addStats(total, JSON.parse(line) as Partial<ConformanceStats>);
    }
  }
  return total;
}

/**
 * A vitest global setup that prints the suite's summary line for the whole run: use it as
 * `globalSetup` (`export default collectSummary`). It points `$CONFORMANCE_STATS_DIR` at a new
 * directory the workers append to, and at the end prints the sum (and the seconds it took).
 */
export function collectSummary(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'rotortree-conformance-stats-'));
  process.env[STATS_DIR_ENV] = dir;
  const started = Date.now();
  return () => {
    const stats = readStatsDir(dir);
    rmSync(dir, { recursive: true, force: true });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`${formatSummary(stats)} (${seconds} s)\n`);
  };
}
