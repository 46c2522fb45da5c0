/** What one benchmark run collects: the tables (printed as they come) and named numbers for the targets and the chart. */
import type { Table } from './harness.js';
import { renderTable } from './harness.js';

/** Everything a benchmark needs from the run. */
export interface BenchContext {
  /** Small sizes: a smoke run of under a minute. */
  readonly quick: boolean;
  /** Also run the large-tree section (100M leaves, RSS of 50M). */
  readonly large: boolean;
  readonly results: Results;
}

/** The tables and metrics of one run, in the order they were measured. */
export class Results {
  readonly tables: Table[] = [];
  readonly #metrics = new Map<string, number>();

  /** Keeps `t` for the report and prints it at once. */
  table(t: Table): void {
    this.tables.push(t);
    console.log(`\n${renderTable(t)}`);
  }

  /** Records a number under a stable id (see targets.ts and chart.ts for the ids they read). */
  metric(id: string, value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`metric ${id} is ${value}`);
    this.#metrics.set(id, value);
  }

  /** The number recorded under `id`, if that benchmark ran. */
  get(id: string): number | undefined {
    return this.#metrics.get(id);
  }

  /** Every number recorded, by id. */
  all(): Record<string, number> {
    return Object.fromEntries(this.#metrics);
  }
}
