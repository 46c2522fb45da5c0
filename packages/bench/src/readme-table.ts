/**
 * The README's performance table, made from the last report runs (runs.jsonl): each row gives the
 * latest run's figure and the range over the runs, and says in one sentence how it was measured.
 * `node dist/readme-table.js [--runs 4]` rewrites the table between the README's markers.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatValue } from './targets.js';
import { RUST_BY_N } from './targets.js';

/** One report run, as main.ts appends it to runs.jsonl. */
export interface RunRecord {
  readonly started: string;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly quick: boolean;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Appends `record` to the runs file (one JSON line). */
export function appendRun(file: string, record: RunRecord): void {
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}

/** The full (not quick) runs of the runs file, oldest first. */
export function readRuns(file: string): RunRecord[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RunRecord)
    .filter((r) => !r.quick);
}

interface Row {
  readonly what: string;
  /** The metrics shown, in order (one figure each, joined by " / "). */
  readonly metrics: readonly string[];
  readonly unit: string;
  readonly rust: string;
  readonly other: string;
  readonly how: string;
}

const us = (fig: { low: number; high: number }): string => (fig.low === fig.high ? `${formatValue(fig.low)}` : `${formatValue(fig.low)}-${formatValue(fig.high)}`);

const ROWS: readonly Row[] = [
  { what: '`generateProof`, proofs kept (N=4, 2^20 leaves)', metrics: ['user.generateKept.N4'], unit: 'µs', rust: `${us(RUST_BY_N.generate[4])} µs`, other: '@zk-kit/lean-imt: ~7 ms', how: 'rounds of 10k proofs of random leaves pushed to an array, wire bytes included, in a fresh process, no forced GC' },
  { what: '  same, with a live heap of a million small objects', metrics: ['user.generateKeptLiveHeap.N4'], unit: 'µs', rust: '', other: '', how: 'as above with 1M small objects alive in the process' },
  { what: '`verifyProof` (root, size and n bound)', metrics: ['user.verify.N4'], unit: 'µs', rust: `${us(RUST_BY_N.verify[4])} µs`, other: '', how: 'rounds of 10k proofs of random leaves, each verified alone: one call into the native climb kernel' },
  { what: '`verifyProofs`, a batch of 10k, per proof', metrics: ['user.verifyBatch.N4'], unit: 'µs', rust: '', other: '', how: 'one call per round on a `generateProofs` batch (16 paths side by side in AVX-512 lanes)' },
  { what: '`insertMany` of an array of 2^20 `Uint8Array(32)`', metrics: ['user.insertManyArray.N4'], unit: 'M leaves/s', rust: `${us(RUST_BY_N.insertMany[4])} M/s`, other: '@zk-kit/lean-imt (N=2): see the report', how: 'a fresh tree per round, each leaf an array of its own (the shape @zk-kit/lean-imt users have), fresh process' },
  { what: '  same, the leaves views of one buffer', metrics: ['user.insertManyViews.N4'], unit: 'M leaves/s', rust: '', other: '', how: 'each leaf a subarray of one flat buffer (copied as one run)' },
  { what: '`insertMany` of one flat 32 MiB buffer', metrics: ['user.insertManyFlat.N4'], unit: 'M leaves/s', rust: `${us(RUST_BY_N.insertMany[4])} M/s`, other: '', how: 'a fresh tree per round, the buffer copied, in a fresh process with no forced GC (page faults counted in the report)' },
  { what: '  same, buffer transferred (`{ transfer: true }`)', metrics: ['user.insertManyTransfer.N4'], unit: 'M leaves/s', rust: '', other: '', how: 'a fresh copy per round made before the clock, handed to the tree' },
  { what: 'one-by-one `LeanIMT.insert` (100k into an empty tree)', metrics: ['user.insertOneByOne.N4'], unit: 'M/s', rust: `${us(RUST_BY_N.insert[4])} M/s`, other: '', how: 'every root returned, a fresh tree per round, fresh process' },
  { what: 'N=2 / 8 / 16: `generateProof`, proofs kept', metrics: ['user.generateKept.N2', 'user.generateKept.N8', 'user.generateKept.N16'], unit: 'µs', rust: `${us(RUST_BY_N.generate[2])} / ${us(RUST_BY_N.generate[8])} / ${us(RUST_BY_N.generate[16])} µs (M4 Pro)`, other: '', how: 'as the N=4 row' },
  { what: 'N=2 / 8 / 16: `verifyProof`', metrics: ['user.verify.N2', 'user.verify.N8', 'user.verify.N16'], unit: 'µs', rust: `${us(RUST_BY_N.verify[2])} / ${us(RUST_BY_N.verify[8])} / ${us(RUST_BY_N.verify[16])} µs (M4 Pro)`, other: '', how: 'as the N=4 row' },
  { what: 'N=2 / 8 / 16: `insertMany` of a flat buffer', metrics: ['user.insertManyFlat.N2', 'user.insertManyFlat.N8', 'user.insertManyFlat.N16'], unit: 'M leaves/s', rust: `${us(RUST_BY_N.insertMany[2])} / ${us(RUST_BY_N.insertMany[8])} / ${us(RUST_BY_N.insertMany[16])} M/s`, other: '', how: 'as the N=4 row' },
  { what: 'N=2 / 8 / 16: one-by-one `insert`', metrics: ['user.insertOneByOne.N2', 'user.insertOneByOne.N8', 'user.insertOneByOne.N16'], unit: 'M/s', rust: `${us(RUST_BY_N.insert[2])} / ${us(RUST_BY_N.insert[8])} / ${us(RUST_BY_N.insert[16])} M/s (M4 Pro)`, other: '', how: 'as the N=4 row' },
  { what: 'BLAKE3 of 64-byte nodes: native / WASM SIMD, batched', metrics: ['hash.native.batch.64', 'hash.wasm.batch.64'], unit: 'M/s', rust: '', other: 'blake3-jit, one call each: see the report', how: '1024 nodes per call, median of 7 rounds' },
  { what: 'durable single inserts, group commit, tokens awaited (roots not read)', metrics: ['durable.singles'], unit: 'M/s', rust: '0.064 M/s', other: '(no durable JS Merkle tree)', how: '200k inserts over the file WAL (interval 10 ms), fresh directory per run' },
  { what: '  same, reading each insert\'s root right after it', metrics: ['durable.singlesRoots'], unit: 'M/s', rust: '', other: '', how: 'as above, each result\'s root read' },
  { what: '`insertDurable` latency / a raw 64-byte write + fdatasync', metrics: ['durable.ratio'], unit: 'x', rust: '', other: '', how: 'median of 1200, alternating blocks with the raw writes on the same disk' },
  { what: '`insertMany` of 2^20 + flush (fdatasync)', metrics: ['durable.bulk', 'durable.bulkTransfer'], unit: 'M leaves/s (copied / transferred)', rust: '20 M/s', other: '', how: 'fresh directory per run, forced GC before each run (I/O rows)' },
  { what: 'open + WAL replay of 100k single inserts', metrics: ['replay.100k'], unit: 'ms', rust: '5.4 ms', other: '', how: 'opens in a loop' },
  { what: 'checkpoint of 2^20 leaves', metrics: ['checkpoint.1M'], unit: 'ms', rust: '79 ms', other: '', how: 'the call after insertMany + flush, fresh directory per run' },
  { what: 'open after a checkpoint of 2^20 (tiered): in a loop / after a forced GC', metrics: ['open.1M', 'open.1M.afterGc'], unit: 'ms', rust: '0.28 ms', other: '', how: 'RotorTree.open of the checkpointed directory' },
  { what: 'open after a checkpoint of 100M leaves (tiered)', metrics: ['open.100M'], unit: 'ms', rust: '', other: '', how: 'second open in a fresh process' },
  { what: '50M leaves opened tiered, RSS after 10k random proofs: unbounded / `maxResidentBytes` 256 MiB', metrics: ['rss.50M.tiered', 'rss.50M.tiered.bounded'], unit: 'MiB', rust: '', other: '', how: 'fresh process; mapped page cache counted in the RSS' },
];

/** A figure of the latest run with the range over all `runs`: "1.23 (1.10-1.40)". */
function cell(runs: readonly RunRecord[], metric: string): string {
  const values = runs.map((r) => r.metrics[metric]).filter((v): v is number => v !== undefined);
  const latest = runs[runs.length - 1]?.metrics[metric];
  if (latest === undefined || values.length === 0) return 'not run';
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values.length === 1 || min === max ? formatValue(latest) : `${formatValue(latest)} (${formatValue(min)}-${formatValue(max)})`;
}

/** The README table (markdown) from `runs` (oldest first; the last is the latest). */
export function readmeTable(runs: readonly RunRecord[]): string {
  const loads = runs.map((r) => r.loadBefore[0]!).concat(runs.map((r) => r.loadAfter[0]!));
  const lines = [
    `Latest run ${runs[runs.length - 1]?.started ?? '-'} UTC, ranges over the last ${runs.length} full runs (${runs.map((r) => r.started.slice(11, 16)).join(', ')} UTC; load average ${formatValue(Math.min(...loads))}-${formatValue(Math.max(...loads))} on 2 cores).`,
    '',
    '| workload | rotortree-ts: latest (range) | Rust `rotortree` 0.19 | other JS | how it is measured |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const row of ROWS) {
    lines.push(`| ${row.what} | ${row.metrics.map((m) => cell(runs, m)).join(' / ')} ${row.unit} | ${row.rust} | ${row.other} | ${row.how} |`);
  }
  return lines.join('\n');
}

const BEGIN = '<!-- bench:table (bash scripts/pnpm.sh --filter @rotortree/bench readme) -->';
const END = '<!-- /bench:table -->';

/** `readme` with the text between the markers replaced by `table`. */
export function withTable(readme: string, table: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`the README has no ${BEGIN} ... ${END} markers`);
  return `${readme.slice(0, a + BEGIN.length)}\n${table}\n${readme.slice(b)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = Number(process.argv[process.argv.indexOf('--runs') + 1] ?? 4) || 4;
  const runsFile = fileURLToPath(new URL('../runs.jsonl', import.meta.url));
  const readmeFile = fileURLToPath(new URL('../../../README.md', import.meta.url));
  const runs = readRuns(runsFile).slice(-count);
  if (runs.length === 0) throw new Error(`no full runs in ${runsFile}: run the bench first`);
  writeFileSync(readmeFile, withTable(readFileSync(readmeFile, 'utf8'), readmeTable(runs)));
  console.log(`rewrote the table of ${readmeFile} from ${runs.length} runs`);
}
