/**
 * Runs every benchmark and prints markdown tables (competitors measured in the same run).
 * `BENCH_QUICK=1` uses small sizes (a smoke run).
 */
import os from 'node:os';
import { durabilityBench } from './durability-bench.js';
import { hashBench } from './hash-bench.js';
import { treeBench } from './tree-bench.js';

const quick = process.env['BENCH_QUICK'] === '1';
console.log(`# rotortree-ts benchmarks${quick ? ' (quick)' : ''}\n`);
console.log(`${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
await hashBench(quick);
treeBench(quick);
await durabilityBench(quick);
