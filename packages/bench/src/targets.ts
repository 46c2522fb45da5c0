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

export const TARGETS: readonly Target[] = [
  { metric: 'tree.insertMany.N4', label: 'insertMany of 1M leaves, N=4', unit: 'M leaves/s', goal: 59, better: 'higher', rust: 59 },
  { metric: 'tree.insertMany.transfer.N4', label: '  same, buffer transferred (`{ transfer: true }`)', unit: 'M leaves/s', goal: 59, better: 'higher' },
  { metric: 'tree.insert.N4', label: 'one-by-one insert, N=4', unit: 'M/s', goal: 1.1, better: 'higher', rust: 1.14 },
  { metric: 'proof.generate', label: 'proof generation (1M leaves, N=4)', unit: 'µs', goal: 1, better: 'lower', rust: 0.67 },
  { metric: 'proof.verify', label: 'proof verification (1M leaves, N=4)', unit: 'µs', goal: 2, better: 'lower', rust: 1.8 },
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
