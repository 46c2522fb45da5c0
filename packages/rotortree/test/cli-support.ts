/**
 * Running the `rotortree` command line in tests: in this process through `run()` (fast: no Node
 * start-up per command), or as a child process from `dist` (for what only a process has: its exit
 * code under a signal or a closed pipe, its memory, its user id, its real stdin).
 */
import { spawnSync } from 'node:child_process';
import type { SpawnSyncOptions } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../src/cli/run.js';

/** The package directory and the built executable (see test/build-dist.ts). */
export const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
export const mainJs = join(pkg, 'dist/cli/main.js');

/** What one command run gave. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for --json runs), else `{}`. */
  readonly json: Record<string, unknown>;
}

/** The `{"error": ...}` object of a --json run. */
export interface CliErrorJson {
  readonly code: string;
  readonly exitCode: number;
  readonly message: string;
  readonly file?: string;
  readonly cause?: string;
  readonly durable?: number;
  readonly firstIndex?: number;
}

export function errorOf(r: CliRun): CliErrorJson {
  return r.json['error'] as CliErrorJson;
}

function parsed(code: number | null, stdout: string, stderr: string): CliRun {
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { code, stdout, stderr, json };
}

/** Runs `rotortree args` in this process, with `input` as stdin (bytes as given, never a TTY). */
export async function runCli(args: readonly string[], input: string | Uint8Array = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const text = (chunk: string | Uint8Array): string => (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1'));
  const code = await run(args, {
    stdout: { write: (c: string | Uint8Array) => (stdout += text(c)) !== undefined },
    stderr: { write: (c: string) => (stderr += c) !== undefined },
    stdin: Readable.from([Buffer.from(input)]),
  });
  return parsed(code, stdout, stderr);
}

/** Runs `node dist/cli/main.js args` as a child process (30 s at most). */
export function spawnCli(args: readonly string[], options: SpawnSyncOptions = {}, nodeArgs: readonly string[] = []): CliRun {
  const r = spawnSync(process.execPath, [...nodeArgs, mainJs, ...args], { timeout: 30_000, ...options });
  return parsed(r.status, String(r.stdout ?? ''), String(r.stderr ?? ''));
}
