/**
 * The command line as a process: what only a real process shows. A directory where none can be
 * made ends at once; a huge line is refused in bounded time and memory; a file the user may not
 * read is a usage error; a reader that closes the pipe is no error; a full disk (a real 2 MiB
 * tmpfs, when this user may mount one) makes `append` say what is durable and never more, and a
 * failed write of stdout is IO.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, mainJs, runCli, spawnCli } from './cli-support.js';
import { hexLines } from './support.js';

const base = mkdtempSync(join(tmpdir(), 'rotortree-cli-proc-'));
chmodSync(base, 0o755); // the unprivileged child of the permission test must reach its files
/** A tree of 3 leaves, shared by the tests that only read it. */
let tree3: string;

beforeAll(async () => {
  tree3 = join(base, 'tree3');
  expect((await runCli(['init', '--dir', tree3])).code).toBe(0);
  expect((await runCli(['append', '--dir', tree3], hexLines(0, 3))).code).toBe(0);
});

/** A 2 MiB tmpfs mounted for this file, or undefined where this user may not mount one. */
function mountSmallFs(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const dir = join(base, 'small');
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return undefined;
  }
}
const small = mountSmallFs();

afterAll(() => {
  if (small !== undefined) execFileSync('umount', [small]);
  rmSync(base, { recursive: true, force: true });
});

/** The peak RSS (bytes) a child printed through the preload `rss.cjs` as its last stderr line. */
function peakRss(stderr: string): number {
  const m = /maxRSS=(\d+)\s*$/.exec(stderr);
  expect(m).not.toBeNull();
  return Number(m![1]) * 1024;
}

describe('directories that cannot be made', () => {
  it('init --dir /proc/x ends within seconds with IO (exit 6), its cause named', () => {
    if (process.platform !== 'linux') return;
    const started = performance.now();
    const r = spawnCli(['init', '--dir', '/proc/rotortree-x/y', '--json'], { timeout: 15_000 });
    expect(r.code).toBe(6); // null (killed by the timeout) when it spins
    expect(errorOf(r)).toMatchObject({ code: 'IO', cause: 'ENOENT' });
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});

describe('a huge line', () => {
  it('is refused as soon as it is longer than its format allows: time and memory bounded (a sparse 256 MiB file, no line end)', () => {
    const huge = join(base, 'huge.bin');
    writeFileSync(huge, '');
    truncateSync(huge, 256 * 1024 * 1024);
    const rawHuge = join(base, 'huge-raw.bin');
    writeFileSync(rawHuge, '');
    truncateSync(rawHuge, 256 * 1024 * 1024 + 1);
    const preload = join(base, 'rss.cjs');
    writeFileSync(preload, 'process.on("exit", () => require("fs").writeSync(2, "\\nmaxRSS=" + process.resourceUsage().maxRSS + "\\n"));\n');
    // hex: refused after its first MiB; --hash: after 16 MiB; raw: its size is checked before reading.
    for (const [args, maxRss] of [
      [[huge], 150e6],
      [[huge, '--hash'], 200e6],
      [[rawHuge, '--raw'], 150e6],
    ] as const) {
      const started = performance.now();
      const r = spawnCli(['append', ...args, '--dir', tree3, '--json'], {}, ['-r', preload]);
      const ms = performance.now() - started;
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(errorOf(r).code).toBe('USAGE');
      expect(peakRss(r.stderr)).toBeLessThan(maxRss); // before the fix: 1.1 GB
      expect(ms).toBeLessThan(10_000); // before the fix: 43 s
    }
  });
});

describe('permissions', () => {
  it('an input file without read permission is USAGE naming it (the child runs as nobody when we are root)', () => {
    const secret = join(base, 'secret.txt');
    writeFileSync(secret, hexLines(0, 1));
    chmodSync(secret, 0o000);
    const asOther = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnCli(['append', secret, '--dir', join(base, 'no-tree'), '--json'], asOther);
    expect(r.code).toBe(2);
    expect(errorOf(r)).toMatchObject({ code: 'USAGE', file: secret });
  });
});

describe('a reader that closes the pipe', () => {
  /** Runs the CLI with its stdout closed by the reader before it writes; resolves with exit code and stderr. */
  function withClosedStdout(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [mainJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // as `| head -c0` would
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
  }

  it('is no error: no stack trace, and the exit code stays the command\'s (verify: 0 for a valid proof, not 1)', async () => {
    const proof = join(base, 'p0.json');
    writeFileSync(proof, (await runCli(['prove', '0', '--dir', tree3])).stdout);
    for (const args of [['root', '--dir', tree3], ['verify', proof, '--dir', tree3]]) {
      expect({ args, ...(await withClosedStdout(args)) }).toEqual({ args, code: 0, stderr: '' }); // one at a time: each locks the tree
    }
  });
});

describe.skipIf(small === undefined)('a full disk (a 2 MiB tmpfs)', () => {
  it('append says how many leaves are durable (what tokens confirm), never more than the tree holds, and exits IO', async () => {
    const dir = join(small!, 'tree');
    expect((await runCli(['init', '--dir', dir])).code).toBe(0);
    expect((await runCli(['append', '--dir', dir, '--no-checkpoint'], hexLines(0, 20_000))).code).toBe(0);
    const r = await runCli(['append', '--dir', dir, '--no-checkpoint', '--batch', '1000', '--json'], hexLines(20_000, 60_000));
    expect(r.code).toBe(6);
    const e = errorOf(r);
    expect(['POISONED', 'IO']).toContain(e.code);
    expect(e).toMatchObject({ cause: 'ENOSPC', firstIndex: 20_000 });
    // Batches of 1000 with 8 in flight: the first flushes fit, so some tokens resolved first.
    expect(e.durable).toBeGreaterThan(0);
    expect(e.durable! % 1000).toBe(0);
    const after = await runCli(['root', '--dir', dir, '--json']);
    expect(after.code).toBe(0);
    const size = after.json['size'] as number;
    expect(size).toBeGreaterThanOrEqual(20_000 + e.durable!); // never claims more than is stored
    expect(size).toBeLessThan(80_000);
  });

  it('a write of stdout or of --out that fails is IO (exit 6), the cause named', async () => {
    const filler = openSync(join(small!, 'filler'), 'w');
    try {
      const block = new Uint8Array(64 * 1024);
      for (;;) writeSync(filler, block);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('ENOSPC');
    } finally {
      closeSync(filler);
    }
    const out = openSync(join(small!, 'proof.json'), 'w');
    try {
      const r = spawnCli(['prove', '0', '--dir', tree3], { stdio: ['ignore', out, 'pipe'] });
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/^rotortree: IO: /m);
    } finally {
      closeSync(out);
    }
    const o = await runCli(['prove', '0', '--dir', tree3, '--out', join(small!, 'p.json'), '--json']);
    expect(o.code).toBe(6);
    expect(errorOf(o)).toMatchObject({ code: 'IO', cause: 'ENOSPC' });
  });
});
