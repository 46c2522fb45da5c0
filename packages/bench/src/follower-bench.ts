/**
 * How far a read follower trails its writer (issue 15's target: median lag behind the writer's
 * acknowledged flushes <= 20 ms under 100k inserts/s). Two processes on one tree directory: a writer
 * (`rotortree`'s `open(dir)`, its default flush policy, single inserts at the rate) and a follower
 * (`follow(dir)`, polling in the background); for each flush the writer saw acknowledged, the time
 * until the follower served that seq or a later one. See follower-child.ts.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from './harness.js';
import type { BenchContext } from './results.js';
import { withTempDir } from './temp-dir.js';
import type { Stamp } from './follower-child.js';

const TITLE = 'Read followers: lag behind the writer (file backend, rotortree open(dir) + follow(dir) in two processes)';
const RATE = 100_000;

export async function followerBench(ctx: BenchContext): Promise<void> {
  const seconds = ctx.quick ? 2 : 6;
  const rows: string[][] = [];
  for (const pollMs of [20, 1000]) {
    const r = await withTempDir((dir) => lagRun(dir, pollMs, seconds));
    const lags = r.lags;
    const q = (p: number): number => [...lags].sort((a, b) => a - b)[Math.min(lags.length - 1, Math.floor(p * lags.length))]!;
    if (pollMs === 20) ctx.results.metric('follower.lag.median', median(lags));
    rows.push([
      pollMs === 20 ? '20 (default) + file watch' : `${pollMs} + file watch (the watch alone, nearly)`,
      `${(r.inserted / r.seconds / 1000).toFixed(0)}k/s`,
      `${lags.length}`,
      `${median(lags).toFixed(1)} ms`,
      `${q(0.9).toFixed(1)} ms`,
      `${q(0.99).toFixed(1)} ms`,
    ]);
  }
  ctx.results.table({
    title: TITLE,
    header: ['follower wake-ups', 'writer inserts', 'flushes acknowledged', 'lag, median (target <= 20 ms)', 'p90', 'p99'],
    rows,
    note:
      `A writer process inserting single leaves at ${RATE / 1000}k/s for ${seconds} s with open(dir)'s default flush policy (every 10 ms) and a follower process (follow(dir)), which reads the log when fsWalReader's watch of the WAL directory reports a change of wal.log and every pollMs anyway; ` +
      `lag: for each flush the writer saw acknowledged (an insert's token resolved), the time from then until the follower first served that seq or a later one ` +
      `(sampled every ms in the follower's process; a negative lag, the follower served it before the writer's promise resolved, counts as such). ` +
      `Clock: performance.timeOrigin + performance.now() in both processes.`,
  });
}

interface LagRun {
  readonly lags: number[];
  readonly inserted: number;
  readonly seconds: number;
}

async function lagRun(dir: string, pollMs: number, seconds: number): Promise<LagRun> {
  const script = fileURLToPath(new URL('./follower-child.js', import.meta.url));
  const writer = fork(script, ['writer', dir, String(RATE), String(seconds)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const follower: ChildProcess[] = [];
  try {
    await message(writer);
    follower.push(fork(script, ['follower', dir, String(pollMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    await message(follower[0]!);
    writer.send({ go: true });
    const done = (await message(writer)) as { acks: Stamp[]; inserted: number; seconds: number; lastSeq: number };
    follower[0]!.send({ lastSeq: done.lastSeq });
    const { seen } = (await message(follower[0]!)) as { seen: Stamp[] };
    const lags: number[] = [];
    let j = 0;
    for (const [seq, at] of done.acks) {
      while (j < seen.length && seen[j]![0] < seq) j++;
      if (j < seen.length) lags.push(seen[j]![1] - at);
    }
    return { lags, inserted: done.inserted, seconds: done.seconds };
  } finally {
    await Promise.all([writer, ...follower].map(exited));
  }
}

function message(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`a follower-bench child exited (${String(code)}) before replying`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m);
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
