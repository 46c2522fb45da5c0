/**
 * The workspace as the package checks see it: where it is, which packages it publishes, and how
 * to run a command in it.
 * @module
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { delimiter, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workspace root (holds scripts/pnpm.sh and the root node_modules with publint and attw). */
export const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** This package's own folder. */
export const PACKAGE_CHECK_DIR = fileURLToPath(new URL('../', import.meta.url));

/** A workspace package that is published to npm. */
export interface PublishablePackage {
  /** The npm name, e.g. `@rotortree/core`. */
  readonly name: string;
  /** Its folder. */
  readonly dir: string;
}

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly repository?: { readonly type?: string; readonly url?: string; readonly directory?: string };
  readonly homepage?: string;
  readonly keywords?: readonly string[];
  readonly devDependencies?: Record<string, string>;
}

export function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Every package under packages/ that is not `private`, sorted by name. */
export function publishablePackages(): PublishablePackage[] {
  const packagesDir = join(WORKSPACE_ROOT, 'packages');
  const found: PublishablePackage[] = [];
  for (const entry of readdirSync(packagesDir)) {
    const dir = join(packagesDir, entry);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const pkg = readPackageJson(dir);
    if (pkg.private === true || pkg.name === undefined) continue;
    found.push({ name: pkg.name, dir });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** What a finished command left behind. */
export interface RunResult {
  /** Exit status; `null` when it was killed (see `signal`). */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  readonly timeoutMs?: number;
}

/** Runs `command args` without a shell; never rejects for a non-zero exit (the caller asserts). */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A command's output for an assertion message. */
export function describeRun(what: string, result: RunResult): string {
  const exit = result.status ?? result.signal;
  return `${what} exited ${String(exit)}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** Registry and network settings a clean install still needs if they come from the environment. */
const KEPT_NPM_CONFIG = /^npm_config_(registry|cafile|strict_ssl|https?_proxy|proxy|noproxy)$/i;

/**
 * The environment of a user's shell: without what vitest, turbo and pnpm put into it (lifecycle
 * variables, pnpm's `npm_config_*` and `npm_config_node_gyp`, `VITEST*`, `NODE_OPTIONS`,
 * `ROTORTREE_*` switches, and `NODE_PATH`, which pnpm's bin shims point into the workspace's
 * node_modules/.pnpm: through it a clean install would find the workspace's node-gyp) and without PATH entries into the workspace or any `node_modules/.bin`
 * (the workspace's own `rotortree` bin must not stand in for the installed one). Keeps
 * `npm_config_nodedir` (defaulting to /usr): node-gyp must find the Node headers, never download them.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const injected = /^(npm_|pnpm_|PNPM_|VITEST|TURBO_|ROTORTREE_|NODE_OPTIONS$|NODE_PATH$|TEST$|NODE_ENV$)/.test(key);
    if (injected && !KEPT_NPM_CONFIG.test(key)) continue;
    env[key] = value;
  }
  env['PATH'] = (process.env['PATH'] ?? '')
    .split(delimiter)
    .filter((entry) => entry !== '' && !entry.startsWith(WORKSPACE_ROOT) && !entry.includes(`node_modules${sep}.bin`))
    .join(delimiter);
  env['npm_config_nodedir'] = process.env['npm_config_nodedir'] ?? '/usr';
  return env;
}

/** What a C/C++ build needs and a machine without a compiler lacks (node-gyp also needs Python and make). */
const BUILD_TOOL = /^(cc|c\+\+|c89|c99|cpp|gcc.*|g\+\+.*|clang.*|.*-(gcc|g\+\+|cc|c\+\+|cpp)(-[\d.]+)?|make|gmake|python.*|node-gyp|ld|ld\..*|as)$/;

/**
 * {@link cleanEnv} on a machine with no compiler: PATH is one folder, `binDir` (created here),
 * holding a link to every command of the clean PATH except C/C++ compilers, linkers, make, Python
 * and node-gyp, so that node-gyp (fs-ext's install) and a compile at install both fail as there.
 */
export function noCompilerEnv(binDir: string): NodeJS.ProcessEnv {
  const env = cleanEnv();
  mkdirSync(binDir, { recursive: true });
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (BUILD_TOOL.test(name) || existsSync(join(binDir, name))) continue;
      try {
        accessSync(join(dir, name), constants.X_OK);
        symlinkSync(join(dir, name), join(binDir, name));
      } catch {
        // not an executable, or a name seen earlier on PATH
      }
    }
  }
  env['PATH'] = binDir;
  delete env['PYTHON'];
  return env;
}
