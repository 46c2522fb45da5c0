/**
 * Helpers of the native package's tests: deterministic bytes, temp dirs, and node child processes.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Deterministic pseudo-random bytes (xorshift). */
export function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Runs `fn` with a fresh temp dir, removed afterwards. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `rotortree-${prefix}-`));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs an ES module script in a child node (`--input-type=module`); its stdout, trimmed. */
export function nodeScript(script: string, env: NodeJS.ProcessEnv = process.env, args: readonly string[] = []): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [...args, '--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr };
}
