/**
 * The rows "as users call them" (issue 13): each row runs in a fresh child process (user-child.ts),
 * a few rounds back to back with no forced GC, proofs kept as a server batching replies keeps them,
 * arrays of leaves as well as flat buffers; every row reports its minor page faults per round.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { blake3 } from '@rotortree/hasher-blake3';
import { formatValue } from './targets.js';
import { RUST_BY_N } from './targets.js';
import type { RustFigure } from './targets.js';
import { median } from './harness.js';
import type { BenchContext } from './results.js';
import type { UserChildReport, UserChildRequest, UserRowId } from './user-child.js';

/** The branching factors of the by-N table. */
export const USER_NS = [2, 4, 8, 16] as const;

interface RowSpec {
  readonly id: UserRowId;
  readonly label: string;
  /** `us`: µs per operation (lower is better); `mps`: millions of leaves per second (higher is better). */
  readonly unit: 'us' | 'mps';
  /** The key of the Rust crate's figures (targets.ts), where there is a comparable one. */
  readonly rust?: keyof typeof RUST_BY_N;
  /** How the row is measured, in one sentence. */
  readonly how: string;
}

const ROWS: readonly RowSpec[] = [
  { id: 'generateKept', label: '`generateProof`, proofs kept', unit: 'us', rust: 'generate', how: 'rounds of 10k proofs of random leaves pushed to an array (a server batching replies), the wire bytes included' },
  { id: 'generateKeptLiveHeap', label: '  same, with a live heap of a million small objects', unit: 'us', how: 'as above, with 1M small objects alive in the process (a server\'s heap)' },
  { id: 'generateDropped', label: '  same, proofs dropped at once', unit: 'us', how: 'rounds of 10k proofs, each dropped at once (the old benchmark\'s row)' },
  { id: 'generateBatch', label: '`generateProofs` of 10k indices (one buffer)', unit: 'us', how: 'one call per round for 10k random leaves, per proof' },
  { id: 'verify', label: '`verifyProof` (root, size and n bound)', unit: 'us', rust: 'verify', how: 'rounds of 10k proofs of random leaves, each verified on its own' },
  { id: 'verifyBatch', label: '`verifyProofs` of a batch of 10k', unit: 'us', how: 'one call per round on a generateProofs batch, per proof' },
  { id: 'insertManyArray', label: '`insertMany` of an array of `Uint8Array(32)` leaves', unit: 'mps', rust: 'insertMany', how: 'a fresh tree per round; each leaf its own 32-byte array (the shape @zk-kit/lean-imt users have), made before the clock starts' },
  { id: 'insertManyViews', label: '  same, the leaves views of one buffer', unit: 'mps', how: 'as above, each leaf a subarray of one flat buffer' },
  { id: 'insertManyFlat', label: '`insertMany` of one flat buffer', unit: 'mps', rust: 'insertMany', how: 'a fresh tree per round, the buffer copied into it' },
  { id: 'insertManyTransfer', label: '  same, buffer transferred (`{ transfer: true }`)', unit: 'mps', how: 'a fresh copy of the buffer per round (made before the clock), handed to the tree' },
  { id: 'insertOneByOne', label: 'one-by-one `insert`', unit: 'mps', rust: 'insert', how: 'a fresh tree per round, `insert` of each leaf, every root returned' },
];

/** The rows run for every N (the others at N=4 only). */
const BY_N: readonly UserRowId[] = ['generateKept', 'verify', 'insertManyArray', 'insertManyFlat', 'insertOneByOne'];

/** Runs one row in a fresh node process and returns each round's figure and page faults. */
function runChild(request: UserChildRequest): UserChildReport {
  const script = fileURLToPath(new URL('./user-child.js', import.meta.url));
  const out = spawnSync(process.execPath, [script, JSON.stringify(request)], { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`the ${request.row} child failed (${String(out.status ?? out.signal)}): ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop() ?? '') as UserChildReport;
}

/** A row's figure: the median of its rounds (the first, cold one included), with the rounds' range and faults. */
interface RowResult {
  readonly value: number;
  readonly first: number;
  readonly min: number;
  readonly max: number;
  readonly faults: number;
}

function summarize(report: UserChildReport): RowResult {
  return {
    value: median(report.values),
    first: report.values[0]!,
    min: Math.min(...report.values),
    max: Math.max(...report.values),
    faults: median(report.faults),
  };
}

const unitText = (unit: RowSpec['unit']): string => (unit === 'us' ? 'µs' : 'M/s');

function rustText(spec: RowSpec, n: number): string {
  if (spec.rust === undefined) return '-';
  const fig = (RUST_BY_N[spec.rust] as Readonly<Record<number, RustFigure>>)[n];
  if (fig === undefined) return '-';
  const text = fig.low === fig.high ? formatValue(fig.low) : `${formatValue(fig.low)}-${formatValue(fig.high)}`;
  return `${text} ${unitText(spec.unit)}${fig.here ? '' : ' (M4 Pro)'}`;
}

export function userBench(ctx: BenchContext): void {
  const { quick, results } = ctx;
  const size = quick ? 1 << 16 : 1 << 20;
  const proofOps = quick ? 2_000 : 10_000;
  const singles = quick ? 20_000 : 100_000;
  const measured = new Map<string, RowResult>();
  const run = (spec: RowSpec, n: number): RowResult => {
    const proofRow = spec.unit === 'us';
    const report = runChild({ row: spec.id, n, size, rounds: proofRow ? 9 : 7, ops: spec.id === 'insertOneByOne' ? singles : proofOps });
    const result = summarize(report);
    measured.set(`${spec.id}.N${n}`, result);
    results.metric(`user.${spec.id}.N${n}`, result.value);
    results.metric(`user.${spec.id}.N${n}.faults`, result.faults);
    return result;
  };
  const rows: string[][] = [];
  for (const spec of ROWS) {
    const r = run(spec, 4);
    rows.push([
      spec.label,
      `${formatValue(r.value)} ${unitText(spec.unit)}`,
      `${formatValue(r.min)}-${formatValue(r.max)}`,
      `${formatValue(r.first)}`,
      `${r.faults.toFixed(0)}`,
      rustText(spec, 4),
      spec.how,
    ]);
  }
  const generate = measured.get('generateKept.N4');
  const live = measured.get('generateKeptLiveHeap.N4');
  if (generate !== undefined && live !== undefined) results.metric('user.generateKeptLiveHeap.ratio', live.value / generate.value);
  results.table({
    title: `As users call it: N=4, trees and batches of ${size} leaves, ${singles} one-by-one inserts, BLAKE3 ${blake3().backend ?? 'unknown'}, a fresh process per row`,
    header: ['what', 'ours (median of rounds)', 'rounds min-max', 'first round', 'page faults per round', 'Rust crate here', 'how'],
    rows,
    note:
      'Each row runs in its own fresh node process: 9 rounds (proof rows) or 7 (insert rows) back to back with no forced GC, the ' +
      'first (cold) round included in the median. Page faults are minor faults per round (median); a fault costs ~1.5 µs on this VM.',
  });

  const byN: string[][] = [];
  for (const id of BY_N) {
    const spec = ROWS.find((s) => s.id === id)!;
    const row = [spec.label.trim()];
    for (const n of USER_NS) {
      const r = n === 4 ? measured.get(`${id}.N4`)! : run(spec, n);
      row.push(`${formatValue(r.value)} ${unitText(spec.unit)} (Rust ${rustText(spec, n)})`);
    }
    byN.push(row);
  }
  results.table({
    title: `By branching factor, as users call it (${size} leaves, fresh process per row)`,
    header: ['what', ...USER_NS.map((n) => `N=${n}`)],
    rows: byN,
    note: 'Measured as the table above. Rust figures: rotortree 0.19 on this machine for N=4 and for insertMany; the M4 Pro report of the crate (its criterion run) otherwise.',
  });
}
