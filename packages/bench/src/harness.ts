/** Timing helpers (medians of several runs after warm-up) and the markdown tables the benchmarks produce. */

/** A result table: printed as the run goes, and written into the report. */
export interface Table {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** One paragraph under the table: how it was measured, what to keep in mind. */
  readonly note?: string;
}

/** Collects the previous run's garbage outside the timed region (a no-op without `--expose-gc`). */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The median of `xs` (the upper one for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Median wall time in ms of `runs` calls of `fn` (after `warmup` untimed calls); `setup` runs untimed
 * before each call. No garbage collection is forced between calls: they run as a user's loop runs.
 */
export function medianMs<T>(fn: (state: T) => void, setup: () => T, runs: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn(setup());
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const state = setup();
    const t0 = performance.now();
    fn(state);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * Median of `runs` results of the async measurement `measure` (which times itself and returns a
 * number), after `warmup` untimed calls: for benchmarks with I/O, where setup and teardown are async.
 */
export async function medianOf(measure: () => Promise<number>, runs: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await measure();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    collectGarbage();
    // Let the collector's concurrent sweeping (and the last run's closes) end before the clock starts.
    await new Promise((resolve) => setTimeout(resolve, 20));
    xs.push(await measure());
  }
  return median(xs);
}

/** Mean time per operation in µs of `ops` calls of `op(i)`, median over `runs` rounds. */
export function perOpUs(op: (i: number) => void, ops: number, runs = 5): number {
  const ms = medianMs(() => {
    for (let i = 0; i < ops; i++) op(i);
  }, () => undefined, runs);
  return (ms * 1000) / ops;
}

/** Millions per second given a count and a time in ms. */
export function millionsPerSecond(count: number, ms: number): number {
  return count / ms / 1000;
}

/** `count` in `ms` formatted as millions per second. */
export function mps(count: number, ms: number): string {
  return `${millionsPerSecond(count, ms).toFixed(2)} M/s`;
}

/** A table as markdown. */
export function renderTable(t: Table): string {
  const lines = [`### ${t.title}`, '', `| ${t.header.join(' | ')} |`, `| ${t.header.map(() => '---').join(' | ')} |`];
  for (const r of t.rows) lines.push(`| ${r.join(' | ')} |`);
  if (t.note !== undefined) lines.push('', t.note);
  return lines.join('\n');
}
