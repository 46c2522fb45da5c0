/**
 * Runs every benchmark and prints markdown tables (competitors measured in the same run).
 * - `--report`: also writes REPORT.md and report-chart.svg into this package and appends the run's
 *   numbers to runs.jsonl (the README's table is made from the last runs: readme-table.ts); the
 *   large-tree section runs unless `BENCH_LARGE=0`.
 * - `BENCH_QUICK=1`: small sizes (a smoke run of under a minute; no large-tree section).
 * - `BENCH_LARGE=1`: the large-tree section (100M leaves; ~7.5 GB of disk) without `--report` too.
 * - `BENCH_ONLY=user,tree,durability`: run only these sections (hash, user, tree, durability, checkpoint, s3, postgres, follower, large).
 * - `ROTORTREE_S3_ENDPOINT` (+ `_ACCESS_KEY`, `_SECRET_KEY`, `_REGION`): the S3 section's server (skipped without it).
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { blake3 } from '@rotortree/hasher-blake3';
import { checkpointBench } from './checkpoint-bench.js';
import { s3CheckpointBench } from './s3-checkpoint-bench.js';
import { durabilityBench } from './durability-bench.js';
import { followerBench } from './follower-bench.js';
import { hashBench } from './hash-bench.js';
import { largeBench } from './large-bench.js';
import { postgresBench } from './postgres-bench.js';
import { followerLagBench } from './follower-lag-bench.js';
import type { RunInfo } from './report.js';
import { appendRun } from './readme-table.js';
import { machineLine, writeReport } from './report.js';
import type { BenchContext } from './results.js';
import { Results } from './results.js';
import { treeBench } from './tree-bench.js';
import { userBench } from './user-bench.js';

const report = process.argv.includes('--report');
const quick = process.env['BENCH_QUICK'] === '1';
const largeEnv = process.env['BENCH_LARGE'];
const large = !quick && (largeEnv === '1' || (report && largeEnv !== '0'));
const only = process.env['BENCH_ONLY']?.split(',').map((s) => s.trim());
const runs = (section: string): boolean => only === undefined || only.includes(section);

const started = new Date();
const loadBefore = os.loadavg();
const t0 = performance.now();
const ctx: BenchContext = { quick, large, results: new Results() };
const info = (): RunInfo => ({ quick, large, started, seconds: (performance.now() - t0) / 1000, loadBefore, loadAfter: os.loadavg(), backend: blake3().backend ?? 'unknown' });

console.log(`# rotortree-ts benchmarks${quick ? ' (quick)' : ''}\n`);
console.log(`${machineLine(info())}; load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
if (runs('hash')) await hashBench(ctx);
if (runs('user')) userBench(ctx);
if (runs('tree')) treeBench(ctx);
if (runs('durability')) await durabilityBench(ctx);
if (runs('checkpoint')) await checkpointBench(ctx);
if (runs('s3')) await s3CheckpointBench(ctx);
if (runs('postgres')) await postgresBench(ctx);
if (runs('follower')) {
  await followerBench(ctx); // files
  await followerLagBench(ctx); // PostgreSQL (skipped without a server)
}
if (runs('large') && large) {
  try {
    await largeBench(ctx);
  } catch (err) {
    // The report keeps everything measured so far; the failure is shown instead of the section.
    console.error(err);
    ctx.results.table({ title: 'Large trees', header: ['failed'], rows: [[String(err instanceof Error ? err.message : err).split('\n')[0] ?? '']] });
  }
}
if (report) {
  const dir = fileURLToPath(new URL('..', import.meta.url));
  const run = info();
  writeReport(dir, ctx.results, run, quick ? '65536' : '1M');
  appendRun(`${dir}runs.jsonl`, { started: run.started.toISOString().slice(0, 16).replace('T', ' '), loadBefore: run.loadBefore, loadAfter: run.loadAfter, quick, metrics: ctx.results.all() });
  console.log(`\nwrote ${dir}REPORT.md and ${dir}report-chart.svg, appended the run to ${dir}runs.jsonl`);
}
