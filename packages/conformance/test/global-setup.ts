// Collects the counters every test file wrote and prints the suite's one summary line at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSummary, readStatsDir, STATS_DIR_ENV } from '../src/index.js';

export default function setup(): () => void {
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
