/** Timing helpers: the median of several runs, each after a warm-up. */

/** Median wall time in ms of `runs` calls of `fn` (after `warmup` untimed calls); `setup` runs untimed before each call. */
export function medianMs<T>(fn: (state: T) => void, setup: () => T, runs: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn(setup());
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const state = setup();
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    fn(state);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Mean time per operation in µs of `ops` calls of `op(i)`, median over `runs` rounds. */
export function perOpUs(op: (i: number) => void, ops: number, runs = 5): number {
  const ms = medianMs(() => {
    for (let i = 0; i < ops; i++) op(i);
  }, () => undefined, runs);
  return (ms * 1000) / ops;
}

/** `n` formatted as millions per second given a count and a time in ms. */
export function mps(count: number, ms: number): string {
  return `${(count / ms / 1000).toFixed(2)} M/s`;
}

/** Prints a markdown table. */
export function table(title: string, header: string[], rows: string[][]): void {
  console.log(`\n### ${title}\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}
