/**
 * Real processes, real files: a child runs the engine over the backend and is SIGKILLed, at a
 * random moment after its first acknowledged flush or at a named kill point; the next child
 * recovers in a fresh process and checks the invariants (acknowledged leaves kept, a prefix of
 * whole records, sampled proofs; the root it prints is judged here against the reference model kept
 * across the whole series), then appends more; a last child appends, closes, reopens and verifies.
 * While a child holds the directory, the parent's own open must get `FILE_LOCKED` (when the backend
 * claims `locking: 'process'`).
 *
 * Each child is started while the one before it still runs (node and the backend module loaded,
 * waiting for its configuration on stdin), so a cycle costs the kill and the recovery, not a cold
 * start; it touches the directory only once its turn has come.
 * @module
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
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
import { compareRoot } from '../verify.js';
import { ViolationLog } from '../violations.js';
import { ReferenceRoots } from '../workload.js';
import { outcomeOf } from '../checks/support.js';
import { CHILD_ENV } from './kill-protocol.js';
import type { ChildConfig, ChildPrelude } from './kill-protocol.js';

/** Options of {@link runKillCycles}. */
export interface KillRunOptions {
  /** URL (or absolute path) of a module exporting `createBackend(params)` (loaded by every child and by the parent). */
  readonly module: string;
  /** Passed to `createBackend`. */
  readonly params?: unknown;
  /** Branching factor (default 4). */
  readonly n?: number;
  readonly maxDepth?: number;
  /** Kill cycles (default 4); each series of them in one directory ends with a verifying child. */
  readonly cycles?: number;
  /** Seed of the kill times and points (default 1). */
  readonly seed?: number;
  /**
   * `ROTORTREE_KILL_AT` values to use: odd cycles take the next one, even cycles kill at a random
   * moment. A point not reached within {@link NAMED_POINT_WAIT_MS} of inserting is killed at that
   * moment instead (still a kill); a point missed twice in a run is dropped from it. Default: a
   * mix of fsync, rename and write points.
   */
  readonly points?: readonly string[];
  /** Random kills land this many ms (at most; uniformly) after the child's first acknowledged flush (default 40). */
  readonly killWithinMs?: number;
  /** Background checkpoint every this many records (default 40; ignored without a store). */
  readonly checkpointEvery?: number;
  /** Cycles per directory: then a verifying child, and the next cycles start a new tree (default 10; ignored with `dir`). */
  readonly cyclesPerDirectory?: number;
  /** Data directory of every cycle (default: a new temporary one per series of `cyclesPerDirectory`, removed afterwards). */
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

/** How long a child inserts waiting for its named kill point before it is killed anyway. */
export const NAMED_POINT_WAIT_MS = 150;
/** How long a child may insert without an acknowledged flush before it is killed anyway. */
const FIRST_ACK_WAIT_MS = 3000;
/** A child that neither dies nor finishes in this time hangs (a violation). */
const HANG_MS = 60_000;

function childScript(): string {
  const here = fileURLToPath(import.meta.url);
  // From dist: the sibling. From src (tests run on the TypeScript sources): the built copy.
  const sibling = join(here, '..', 'kill-child.js');
  return existsSync(sibling) ? sibling : join(here, '..', '..', '..', 'dist', 'crash', 'kill-child.js');
}

interface ChildOutcome {
  /** Trees the child reported (`R` after recovery, `T` after the final reopen): size and root hex. */
  trees: { tag: 'R' | 'T'; size: number; root: string }[];
  acked: number;
  problems: { invariant: Invariant; message: string }[];
  killedAt: string | undefined;
  /** The child had started inserting (or killed itself at its point) when it died. */
  wrote: boolean;
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
  /** What the parent's own open gave while the child held the directory. */
  lock: string | undefined;
  /** Killed after {@link HANG_MS} without dying or finishing on its own. */
  hung: boolean;
}

/** How the parent kills a running child. */
interface KillPlan {
  /** The child's named kill point, if any (then killed anyway {@link NAMED_POINT_WAIT_MS} after inserting began). */
  readonly killAt: string | undefined;
  /** Otherwise: killed this many ms after its first acknowledged flush. */
  readonly afterFirstAckMs: number;
  /** Check the lock from the parent first (the backend to open). */
  readonly lockBackend: BackendUnderTest | undefined;
}

/** Runs the kill cycles and returns every violation found. Needs the package built (`dist/crash/kill-child.js`). */
export async function runKillCycles(options: KillRunOptions): Promise<KillRunResult> {
  const module = options.module.startsWith('file:') ? options.module : new URL(`file://${options.module}`).href;
  const backend = await ((await import(module)) as { createBackend(p: unknown): BackendUnderTest | Promise<BackendUnderTest> }).createBackend(options.params);
  const log = new ViolationLog('kill');
  const n = options.n ?? 4;
  const maxDepth = options.maxDepth ?? 32;
  const seed = options.seed ?? 1;
  const rnd = createPrng(seed);
  const points = [...(options.points ?? DEFAULT_KILL_POINTS)];
  const missed = new Map<string, number>();
  const cycles = options.cycles ?? 4;
  const within = options.killWithinMs ?? 40;
  const perDirectory = options.dir !== undefined ? Number.POSITIVE_INFINITY : Math.max(1, options.cyclesPerDirectory ?? 10);
  const prelude: ChildPrelude = { module, params: options.params ?? null };
  const reference = new ReferenceRoots(backend.referenceHasher ?? backend.hasher, n);
  const judgeRoots = (outcome: ChildOutcome, at: { backend: string; seed: number; op?: number; mode: string }) => {
    for (const t of outcome.trees) {
      const expected = reference.root(t.size);
      const problem = compareRoot(t.size, t.root === 'none' ? undefined : Buffer.from(t.root, 'hex'), expected);
      const when = t.tag === 'R' ? 'in a fresh process after a kill' : 'after appending and a clean reopen';
      if (problem !== undefined) log.add(problem.invariant, at, `${when}: ${problem.message}`);
    }
  };
  let maxAcked = 0;
  let done = 0;
  let c = 0;
  const more = () => c < cycles || (options.deadline !== undefined && Date.now() < options.deadline);
  const reached: string[] = [];
  let next: WarmChild | undefined = new WarmChild(prelude);
  try {
    // One directory per series of `perDirectory` cycles (bounded trees keep a cycle's recovery
    // short), each series ended by a verifying child.
    for (let series = 0; next !== undefined && (series === 0 || more()); series++) {
      const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'rotortree-kill-')));
      const base = { ...prelude, dir, n, maxDepth, checkpointEvery: options.checkpointEvery ?? 40 };
      let acked = 0;
      let failed = false;
      try {
        for (let inSeries = 0; inSeries < perDirectory && more(); inSeries++, c++) {
          const killAt = c % 2 === 1 && points.length > 0 ? points[((c - 1) / 2) % points.length] : undefined;
          const at = { backend: backend.name, seed, op: c, mode: killAt ?? 'random' };
          const lockCheck = inSeries === 0 && backend.supports?.locking === 'process';
          const child: WarmChild = next;
          next = new WarmChild(prelude); // warms up while `child` runs
          const plan: KillPlan = { killAt, afterFirstAckMs: rnd.below(within + 1), lockBackend: lockCheck ? backend : undefined };
          const outcome = await child.run({ ...base, acked, mode: 'run', seed: seed + c, ...(killAt === undefined ? {} : { killAt }) }, plan);
          for (const p of outcome.problems) log.add(p.invariant, at, p.message);
          judgeRoots(outcome, at);
          if (outcome.hung) log.add('recovery', at, `the child hung (no progress in ${HANG_MS / 1000} s): ${outcome.stderr.slice(0, 400)}`);
          else if (outcome.signal !== 'SIGKILL') {
            log.add('recovery', at, `the child exited with ${outcome.code ?? outcome.signal} instead of being killed: ${outcome.stderr.slice(0, 400)}`);
          } else if (outcome.wrote) {
            // Counted only when the child died writing (not while still recovering or waiting).
            done++;
            recordStats({ killCycles: 1 });
          }
          if (outcome.killedAt !== undefined) reached.push(outcome.killedAt);
          else if (killAt !== undefined && (missed.set(killAt, (missed.get(killAt) ?? 0) + 1).get(killAt) ?? 0) >= 2) {
            points.splice(points.indexOf(killAt), 1); // this backend never gets there in time: try the others
          }
          if (lockCheck && outcome.lock !== 'FILE_LOCKED') {
            log.add('locking', at, `opening the directory while a child process holds it gives ${outcome.lock ?? 'nothing'}, expected FILE_LOCKED`);
          }
          if (log.list.length > 0) {
            failed = true;
            break;
          }
          acked = Math.max(acked, outcome.acked);
          maxAcked = Math.max(maxAcked, acked);
        }
        const final = { backend: backend.name, seed, mode: 'final verify' };
        const verifier: WarmChild = next;
        next = failed || !more() ? undefined : new WarmChild(prelude);
        const last = await verifier.run({ ...base, acked, mode: 'verify', seed: seed + c }, undefined);
        for (const p of last.problems) log.add(p.invariant, final, p.message);
        judgeRoots(last, final);
        if (last.hung) log.add('recovery', final, `the verifying child hung (no progress in ${HANG_MS / 1000} s)`);
        else if (last.code !== 0) log.add('recovery', final, `the verifying child exited with ${last.code ?? last.signal}: ${last.stderr.slice(0, 400)}`);
        if (log.list.length > 0) break;
      } finally {
        if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
      }
    }
    if (maxAcked === 0 && done >= 3) log.add('ackedSurvives', { backend: backend.name, seed }, 'no insert was ever acknowledged: the kill runs tested nothing');
  } finally {
    next?.dispose();
  }
  return { violations: log.list, cycles: done, reached, acked: maxAcked };
}

/** A child process started ahead of its turn: node and the backend loaded, waiting for its config. */
class WarmChild {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #onLine: (tag: string, rest: string) => void = () => {};
  #stderr = '';
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #started = false;

  constructor(prelude: ChildPrelude) {
    const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: JSON.stringify(prelude) };
    delete env.ROTORTREE_KILL_AT; // the point comes with the config
    this.#child = spawn(process.execPath, [childScript()], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.#child.stdin!.on('error', () => {}); // a child that died early: its exit tells
    let buffered = '';
    this.#child.stdout!.setEncoding('utf8');
    this.#child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const space = line.indexOf(' ');
        this.#onLine(space < 0 ? line : line.slice(0, space), space < 0 ? '' : line.slice(space + 1));
      }
    });
    this.#child.stderr!.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    this.#exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        this.#exit ??= { code, signal };
        resolve();
      };
      this.#child.on('exit', done);
      this.#child.on('error', (err) => {
        this.#stderr += String(err);
        done(null, null);
      });
    });
  }

  /** Gives the child its turn and waits until it is gone (killed, or exited in verify mode). */
  async run(config: ChildConfig, plan: KillPlan | undefined): Promise<ChildOutcome> {
    this.#started = true;
    const out: ChildOutcome = { trees: [], acked: 0, problems: [], killedAt: undefined, wrote: false, signal: null, code: null, stderr: '', lock: undefined, hung: false };
    const timers: ReturnType<typeof setTimeout>[] = [];
    const killIn = (ms: number) => timers.push(setTimeout(() => this.#child.kill('SIGKILL'), ms));
    let lockChecked = plan?.lockBackend === undefined;
    let inserting = false;
    let firstAck = false;
    // The random kill: after the first acknowledged flush of this child (so each cycle kills a
    // writer with durable data behind it and writes in flight). A named point: when reached, or
    // soon after inserting began. The lock check, when asked for, runs first (the child surely
    // holds the directory then).
    const arm = () => {
      if (plan === undefined || !lockChecked || !inserting) return;
      if (plan.killAt !== undefined) killIn(NAMED_POINT_WAIT_MS);
      else if (firstAck) killIn(plan.afterFirstAckMs);
      else {
        killIn(FIRST_ACK_WAIT_MS);
        return;
      }
      plan = undefined; // armed once
    };
    this.#onLine = (tag, rest) => {
      if (tag === 'D') {
        out.acked = Math.max(out.acked, Number(rest));
        if (!firstAck) {
          firstAck = true;
          if (plan?.killAt === undefined) arm();
        }
      } else if (tag === 'K') {
        out.killedAt = rest;
        out.wrote = true;
      } else if (tag === 'I') {
        inserting = true;
        out.wrote = true;
        arm();
      } else if (tag === 'R' || tag === 'T') {
        const [size, root] = rest.split(' ');
        out.trees.push({ tag, size: Number(size), root: root ?? 'none' });
        if (tag === 'R' && plan?.lockBackend !== undefined) {
          void tryLock(plan.lockBackend, config).then((got) => {
            out.lock = got;
            lockChecked = true;
            arm();
          });
        }
      } else if (tag === 'V' && rest !== 'ok') {
        const sp = rest.indexOf(' ');
        out.problems.push({ invariant: rest.slice(0, sp) as Invariant, message: `in a fresh process after a kill: ${rest.slice(sp + 1)}` });
      }
    };
    timers.push(
      setTimeout(() => {
        out.hung = true;
        this.#child.kill('SIGKILL');
      }, HANG_MS),
    );
    this.#child.stdin!.end(`${JSON.stringify(config)}\n`);
    await this.#exited;
    for (const t of timers) clearTimeout(t);
    out.code = this.#exit?.code ?? null;
    out.signal = this.#exit?.signal ?? null;
    out.stderr = this.#stderr;
    return out;
  }

  /** Ends a child that never got its turn (closing stdin makes it exit; SIGKILL if it is stuck). */
  dispose(): void {
    if (this.#started || this.#exit !== undefined) return;
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 2000);
    void this.#exited.then(() => clearTimeout(timer));
  }
}

async function tryLock(backend: BackendUnderTest, config: ChildConfig): Promise<string> {
  const machine = { fs: nodeFileSystem(), dir: config.dir, disk: memoryDisk(), real: true };
  return outcomeOf(async () => closeQuietly(await openEngine(backend, machine, { n: config.n, maxDepth: config.maxDepth })));
}
