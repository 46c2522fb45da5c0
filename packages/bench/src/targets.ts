/** The project's performance targets, with the Rust crate's numbers measured on this machine, and how each is judged. */
import type { Results } from './results.js';

/** One target row of the report. */
export interface Target {
  /** The metric id the benchmarks record. */
  readonly metric: string;
  readonly label: string;
  readonly unit: string;
  readonly goal: number;
  /** `higher`: met when ours >= goal; `lower`: met when ours <= goal. */
  readonly better: 'higher' | 'lower';
  /** rotortree (Rust) 0.19 measured on this machine, where there is a comparable number. */
  readonly rust?: number;
}

/** rotortree (Rust) insertMany of 1M leaves on this machine, M leaves/s by N (for the chart). */
export const RUST_INSERT_MANY: Readonly<Record<number, number>> = { 2: 34, 4: 59, 8: 60, 16: 78 };

/** A figure of the Rust crate: a range over runs (low = high for one number); `here`: measured on this machine. */
export interface RustFigure {
  readonly low: number;
  readonly high: number;
  readonly here: boolean;
}

const here = (low: number, high = low): RustFigure => ({ low, high, here: true });
const m4 = (v: number): RustFigure => ({ low: v, high: v, here: false });

/**
 * The Rust crate rotortree 0.19 by N: on this machine for N=4 (issue 13's side-by-side runs) and for
 * insertMany (research/rotortree.md); the crate's own criterion report (M4 Pro) otherwise.
 * generate and verify in µs, insertMany and insert in M/s.
 */
export const RUST_BY_N = {
  generate: { 2: m4(0.215), 4: here(0.47, 0.68), 8: m4(0.396), 16: m4(0.769) },
  verify: { 2: m4(2.5), 4: here(1.7, 1.9), 8: m4(1.8), 16: m4(2.4) },
  insertMany: { 2: here(34), 4: here(39, 67), 8: here(60), 16: here(78) },
  insert: { 2: m4(0.859), 4: here(1.12, 1.2), 8: m4(1.03), 16: m4(0.885) },
} as const satisfies Record<string, Record<number, RustFigure>>;

export const TARGETS: readonly Target[] = [
  { metric: 'user.generateKept.N4', label: 'generateProof, proofs kept (1M leaves, N=4)', unit: 'µs', goal: 0.6, better: 'lower', rust: 0.68 },
  { metric: 'user.generateKeptLiveHeap.N4', label: '  same, live heap of a million small objects (1.5x the goal)', unit: 'µs', goal: 0.9, better: 'lower' },
  { metric: 'user.verify.N4', label: 'verifyProof (1M leaves, N=4)', unit: 'µs', goal: 1.5, better: 'lower', rust: 1.9 },
  { metric: 'user.verifyBatch.N4', label: 'verifyProofs, batch of 10k, per proof', unit: 'µs', goal: 1, better: 'lower' },
  { metric: 'user.insertManyArray.N4', label: 'insertMany of an array of 1M Uint8Array(32), N=4', unit: 'M leaves/s', goal: 50, better: 'higher', rust: 67 },
  { metric: 'user.insertManyFlat.N4', label: 'insertMany of a flat 1M buffer, fresh process, N=4', unit: 'M leaves/s', goal: 60, better: 'higher', rust: 67 },
  { metric: 'user.insertOneByOne.N4', label: 'one-by-one insert, N=4', unit: 'M/s', goal: 1.3, better: 'higher', rust: 1.2 },
  ...([2, 8, 16] as const).flatMap((n): Target[] => [
    { metric: `user.generateKept.N${n}`, label: `generateProof, proofs kept, N=${n}`, unit: 'µs', goal: RUST_BY_N.generate[n].high, better: 'lower', rust: RUST_BY_N.generate[n].high },
    { metric: `user.verify.N${n}`, label: `verifyProof, N=${n}`, unit: 'µs', goal: RUST_BY_N.verify[n].high, better: 'lower', rust: RUST_BY_N.verify[n].high },
    { metric: `user.insertManyFlat.N${n}`, label: `insertMany of a flat 1M buffer, N=${n}`, unit: 'M leaves/s', goal: RUST_BY_N.insertMany[n].high, better: 'higher', rust: RUST_BY_N.insertMany[n].high },
    { metric: `user.insertOneByOne.N${n}`, label: `one-by-one insert, N=${n}`, unit: 'M/s', goal: RUST_BY_N.insert[n].high, better: 'higher', rust: RUST_BY_N.insert[n].high },
  ]),
  { metric: 'durable.singles', label: 'durable single inserts, tokens awaited at the end', unit: 'M/s', goal: 1, better: 'higher', rust: 0.064 },
  { metric: 'durable.singlesRoots', label: '  same, each insert\'s root read right after it', unit: 'M/s', goal: 1, better: 'higher' },
  { metric: 'durable.ratio', label: 'insertDurable latency / raw write+fdatasync', unit: 'x', goal: 1.5, better: 'lower' },
  { metric: 'durable.bulk', label: 'insertMany of 1M + flush', unit: 'M leaves/s', goal: 30, better: 'higher', rust: 20 },
  { metric: 'durable.bulkTransfer', label: '  same, buffer transferred (`{ transfer: true }`)', unit: 'M leaves/s', goal: 30, better: 'higher' },
  { metric: 'replay.100k', label: 'open + WAL replay of 100k single inserts', unit: 'ms', goal: 10, better: 'lower', rust: 5.4 },
  { metric: 'checkpoint.1M', label: 'checkpoint of 1M leaves', unit: 'ms', goal: 80, better: 'lower', rust: 79 },
  { metric: 'open.1M', label: 'open after a checkpoint of 1M (no verify, tiered), opens in a loop', unit: 'ms', goal: 1, better: 'lower', rust: 0.28 },
  { metric: 'open.1M.afterGc', label: '  same, each open after a forced GC', unit: 'ms', goal: 1, better: 'lower' },
  { metric: 'open.100M', label: 'open of 100M leaves after a checkpoint (no verify, tiered)', unit: 'ms', goal: 50, better: 'lower' },
  // "Well under the leaves' size": read here as at most a quarter of the 1,526 MiB of leaves.
  { metric: 'rss.50M.tiered', label: 'RSS, 50M leaves opened tiered, after 10k proofs', unit: 'MiB', goal: 381, better: 'lower' },
  // The same process's anonymous memory only: the mapped file pages in RSS are page cache the kernel can drop.
  { metric: 'rss.50M.tiered.bounded', label: '  same, checkpoint store with maxResidentBytes 256 MiB', unit: 'MiB', goal: 381, better: 'lower' },
  { metric: 'rss.50M.tiered.anon', label: '  of which anonymous (RssAnon, not page cache)', unit: 'MiB', goal: 381, better: 'lower' },
];

/** Whether `value` meets `target`. */
export function meets(target: Target, value: number): boolean {
  return target.better === 'higher' ? value >= target.goal : value <= target.goal;
}

/** How far `value` is toward the goal: 1 = exactly met, above 1 = better than the goal. */
export function scoreOf(target: Target, value: number): number {
  return target.better === 'higher' ? value / target.goal : target.goal / value;
}

/** Formats a value with as many decimals as its size needs. */
export function formatValue(value: number): string {
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : abs >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/** The rows of the targets table: what was measured in this run, the goal, the Rust crate, met or not. */
export function targetRows(results: Results): string[][] {
  return TARGETS.map((t) => {
    const ours = results.get(t.metric);
    const goal = `${t.better === 'higher' ? '>=' : '<='} ${formatValue(t.goal)} ${t.unit}`;
    const rust = t.rust === undefined ? '-' : `${formatValue(t.rust)} ${t.unit}`;
    if (ours === undefined) return [t.label, 'not run', goal, rust, '-'];
    return [t.label, `${formatValue(ours)} ${t.unit}`, goal, rust, meets(t, ours) ? 'met' : `**missed** (${(scoreOf(t, ours) * 100).toFixed(0)}% of the goal)`];
  });
}
