/**
 * Real processes, real files: a child runs the engine over the backend and is SIGKILLed, at a
 * random moment or at a named kill point; the next child recovers in a fresh process and checks
 * the invariants (acknowledged leaves kept, a prefix of whole records, root = reference, sampled
 * proofs), then appends more; a last child only verifies. While a child holds the directory, the
 * parent's own open must get `FILE_LOCKED` (when the backend claims `locking: 'process'`).
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryDisk } from '@rotortree/core';
import { createPrng, nodeFileSystem } from '@rotortree/core/fs';
import { closeQuietly, openEngine } from '../engine.js';
import { recordStats } from '../stats.js';
import type { BackendUnderTest, Invariant, Violation } from '../types.js';
import { ViolationLog } from '../violations.js';
import { outcomeOf } from '../checks/support.js';
import { CHILD_ENV } from './kill-protocol.js';
import type { ChildConfig } from './kill-protocol.js';

/** Options of {@link runKillCycles}. */
export interface KillRunOptions {
  /** URL (or absolute path) of a module exporting `createBackend(params)` (loaded by every child and by the parent). */
  readonly module: string;
  /** Passed to `createBackend`. */
  readonly params?: unknown;
  /** Branching factor (default 4). */
  readonly n?: number;
  readonly maxDepth?: number;
  /** Kill cycles (default 4), then one verifying child. */
  readonly cycles?: number;
  /** Seed of the kill times and points (default 1). */
  readonly seed?: number;
  /**
   * `ROTORTREE_KILL_AT` values to use: odd cycles take the next one, even cycles kill at a random
   * moment. Default: a mix of fsync, rename and write points.
   */
  readonly points?: readonly string[];
  /** Background checkpoint every this many records (default 40; ignored without a store). */
  readonly checkpointEvery?: number;
  /** Data directory (default: a new temporary one, removed afterwards). */
  readonly dir?: string;
  /** Stop at this `Date.now()` (soak runs keep going until then, ignoring `cycles`). */
  readonly deadline?: number;
}

/** What {@link runKillCycles} did. */
export interface KillRunResult {
  readonly violations: Violation[];
  readonly cycles: number;
  /** Named kill points that were reached (the child killed itself there). */
  readonly reached: string[];
  /** Largest number of leaves acknowledged durable. */
  readonly acked: number;
}

/** A default mix of named kill points. */
export const DEFAULT_KILL_POINTS: readonly string[] = [
  'before-datasync:3',
  'after-rename:1',
  'after-write:4',
  'before-rename:2',
  'after-datasync:5',
  'after-fsyncDir:2',
  'before-sync:2',
  'after-create:2',
];

function childScript(): string {
  const here = fileURLToPath(import.meta.url);
  // From dist: the sibling. From src (tests run on the TypeScript sources): the built copy.
  const sibling = join(here, '..', 'kill-child.js');
  return existsSync(sibling) ? sibling : join(here, '..', '..', '..', 'dist', 'crash', 'kill-child.js');
}

interface ChildOutcome {
  recovered: number | undefined;
  acked: number;
  problems: { invariant: Invariant; message: string }[];
  killedAt: string | undefined;
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
  /** What the parent's own open gave while the child held the directory. */
  lock: string | undefined;
}

/** Runs the kill cycles and returns every violation found. Needs the package built (`dist/crash/kill-child.js`). */
export async function runKillCycles(options: KillRunOptions): Promise<KillRunResult> {
  const module = options.module.startsWith('file:') ? options.module : new URL(`file://${options.module}`).href;
  const backend = await ((await import(module)) as { createBackend(p: unknown): BackendUnderTest | Promise<BackendUnderTest> }).createBackend(options.params);
  const log = new ViolationLog('kill');
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'rotortree-kill-')));
  const n = options.n ?? 4;
  const maxDepth = options.maxDepth ?? 32;
  const seed = options.seed ?? 1;
  const rnd = createPrng(seed);
  const points = options.points ?? DEFAULT_KILL_POINTS;
  const cycles = options.cycles ?? 4;
  const base = { module, params: options.params ?? null, dir, n, maxDepth, checkpointEvery: options.checkpointEvery ?? 40 };
  let acked = 0;
  let done = 0;
  const reached: string[] = [];
  try {
    for (let c = 0; c < cycles || (options.deadline !== undefined && Date.now() < options.deadline); c++) {
      const killAt = c % 2 === 1 && points.length > 0 ? points[((c - 1) / 2) % points.length] : undefined;
      const at = { backend: backend.name, seed, op: c, mode: killAt ?? 'random' };
      const lockCheck = c === 0 && backend.supports?.locking === 'process';
      const outcome = await runChild({ ...base, acked, mode: 'run', seed: seed + c }, killAt, 40 + rnd.below(300), lockCheck ? backend : undefined);
      done++;
      recordStats({ killCycles: 1 });
      if (outcome.killedAt !== undefined) reached.push(outcome.killedAt);
      for (const p of outcome.problems) log.add(p.invariant, at, p.message);
      if (outcome.signal !== 'SIGKILL') {
        log.add('recovery', at, `the child exited with ${outcome.code ?? outcome.signal} instead of being killed: ${outcome.stderr.slice(0, 400)}`);
        break;
      }
      if (outcome.problems.length > 0) break;
      acked = Math.max(acked, outcome.acked);
      if (lockCheck && outcome.lock !== 'FILE_LOCKED') {
        log.add('locking', at, `opening the directory while a child process holds it gives ${outcome.lock ?? 'nothing'}, expected FILE_LOCKED`);
      }
    }
    const last = await runChild({ ...base, acked, mode: 'verify', seed: seed + cycles }, undefined, undefined, undefined);
    for (const p of last.problems) log.add(p.invariant, { backend: backend.name, seed, mode: 'final verify' }, p.message);
    if (last.code !== 0) log.add('recovery', { backend: backend.name, seed, mode: 'final verify' }, `the verifying child exited with ${last.code ?? last.signal}: ${last.stderr.slice(0, 400)}`);
    if (acked === 0 && done >= 3) log.add('ackedSurvives', { backend: backend.name, seed }, 'no insert was ever acknowledged: the kill runs tested nothing');
  } finally {
    if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
  }
  return { violations: log.list, cycles: done, reached, acked };
}

function runChild(config: ChildConfig, killAt: string | undefined, killAfterMs: number | undefined, lockBackend: BackendUnderTest | undefined): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: JSON.stringify(config) };
    if (killAt === undefined) delete env.ROTORTREE_KILL_AT;
    else env.ROTORTREE_KILL_AT = killAt;
    const child = spawn(process.execPath, [childScript()], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const out: ChildOutcome = { recovered: undefined, acked: 0, problems: [], killedAt: undefined, signal: null, code: null, stderr: '', lock: undefined };
    let buffered = '';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const kill = () => child.kill('SIGKILL');
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const space = line.indexOf(' ');
        const tag = line.slice(0, space);
        const rest = line.slice(space + 1);
        if (tag === 'D') out.acked = Math.max(out.acked, Number(rest));
        else if (tag === 'K') out.killedAt = rest;
        else if (tag === 'R') {
          out.recovered = Number(rest);
          if (config.mode === 'run') {
            // Random kill after a while; a named point not reached by then is killed the same way.
            // The lock check runs first, while the child surely holds the directory.
            const arm = () => (timer = setTimeout(kill, killAt === undefined ? killAfterMs : 800));
            if (lockBackend === undefined) arm();
            else
              void tryLock(lockBackend, config).then((got) => {
                out.lock = got;
                arm();
              });
          }
        } else if (tag === 'V' && rest !== 'ok') {
          const sp = rest.indexOf(' ');
          out.problems.push({ invariant: rest.slice(0, sp) as Invariant, message: `in a fresh process after a kill: ${rest.slice(sp + 1)}` });
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      out.code = code;
      out.signal = signal;
      resolve(out);
    });
  });
}

async function tryLock(backend: BackendUnderTest, config: ChildConfig): Promise<string> {
  const machine = { fs: nodeFileSystem(), dir: config.dir, disk: memoryDisk(), real: true };
  return outcomeOf(async () => closeQuietly(await openEngine(backend, machine, { n: config.n, maxDepth: config.maxDepth })));
}
