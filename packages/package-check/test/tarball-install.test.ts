/**
 * The packed tarballs, installed together with npm in a clean directory (inter-package
 * dependencies resolve to the tarballs, third-party ones come from the registry), work as a user
 * gets them, three ways: with install scripts (fs-ext builds and holds the locks), with
 * `--ignore-scripts`, and with no compiler on PATH (fs-ext's build fails and is skipped; the
 * prebuilt addons serve). Each way: every entry point imports, a LeanIMT and its proof, a durable
 * `open(dir)` tree that survives close/reopen, the `rotortree` CLI, and the native addons (from the
 * prebuilds: nothing is compiled at install on linux-x64).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packedPackages } from './packed.js';
import { leafHex } from './smoke/leaves.mjs';
import { cleanEnv, describeRun, noCompilerEnv, readPackageJson, run } from './workspace.js';
import type { RunResult } from './workspace.js';

const LEAF_COUNT = 300;
const SMOKE_DIR = new URL('./smoke/', import.meta.url);

const packed = packedPackages();

interface InstallMode {
  readonly name: string;
  readonly npmArgs: readonly string[];
  /** The environment of the install and of everything run in the install dir. */
  readonly env: (scratch: string) => NodeJS.ProcessEnv;
  /** Who provides `flock` after this install. */
  readonly lockProvider: 'fs-ext' | 'native';
}

const MODES: InstallMode[] = [
  { name: 'with install scripts', npmArgs: [], env: () => cleanEnv(), lockProvider: 'fs-ext' },
  { name: 'with --ignore-scripts', npmArgs: ['--ignore-scripts'], env: () => cleanEnv(), lockProvider: 'native' },
  { name: 'with no compiler on PATH', npmArgs: [], env: (scratch) => noCompilerEnv(join(scratch, 'bin')), lockProvider: 'native' },
];

interface Backends {
  readonly blake3: string;
  readonly sources: Record<string, string | null>;
  readonly mmapAddon: boolean;
  readonly untrackedMappings: boolean | null;
  readonly crcKernel: string;
  readonly lockProvider: string | null;
}

describe.each(MODES)('installed from the tarballs $name', (mode) => {
  let scratch = '';
  let installDir = '';
  let env: NodeJS.ProcessEnv = {};
  let install: RunResult | undefined;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'rotortree-install-'));
    installDir = join(scratch, 'app');
    env = mode.env(scratch);
    mkdirSync(installDir);
    const init = await run('npm', ['init', '-y'], { cwd: installDir, env });
    if (init.status !== 0) throw new Error(describeRun('npm init -y', init));
    // All tarballs in one install, so `@rotortree/core@^0.0.0` of the others resolves to its tarball.
    const tarballs = packed.flatMap((pkg) => (pkg.tarball === undefined ? [] : [pkg.tarball]));
    const started = performance.now();
    install = await run('npm', ['install', '--foreground-scripts', '--no-audit', '--no-fund', ...mode.npmArgs, ...tarballs], { cwd: installDir, env, timeoutMs: 280_000 });
    console.log(`npm install ${mode.name}: ${((performance.now() - started) / 1000).toFixed(1)} s (load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
    cpSync(SMOKE_DIR, join(installDir, 'smoke'), { recursive: true });
  });

  afterAll(() => {
    if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
  });

  /** The npm install output, for messages that depend on it. */
  function installLog(): string {
    return install === undefined ? 'npm install did not run' : describeRun('npm install', install);
  }

  function assertInstalled(): void {
    if (install?.status !== 0) throw new Error(`the tarballs did not install:\n${installLog()}`);
  }

  /** Runs `smoke/<script>` in the install dir (so bare imports resolve there) and parses its report. */
  async function smoke<T>(script: string, args: readonly string[] = []): Promise<T> {
    assertInstalled();
    const result = await run('node', [join('smoke', script), ...args], { cwd: installDir, env });
    if (result.status !== 0) throw new Error(describeRun(`node smoke/${script}`, result));
    const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
    return JSON.parse(lastLine) as T;
  }

  /** Every import specifier a user can write: the package name plus each subpath of `exports`. */
  function entryPoints(): string[] {
    return packed.flatMap(({ name }) => {
      const pkg = JSON.parse(readFileSync(join(installDir, 'node_modules', name, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> };
      return Object.keys(pkg.exports ?? { '.': null })
        .filter((subpath) => subpath !== './package.json')
        .map((subpath) => (subpath === '.' ? name : `${name}/${subpath.slice(2)}`));
    });
  }

  it('installs every tarball together with npm', () => {
    expect(packed.every((pkg) => pkg.tarball !== undefined), 'a package did not pack (see its "packs" test)').toBe(true);
    expect(install?.status, installLog()).toBe(0);
    for (const pkg of packed) {
      const installed = readPackageJson(join(installDir, 'node_modules', pkg.name));
      expect(installed.version, pkg.name).toBe(readPackageJson(pkg.dir).version);
    }
  });

  if (mode.name === 'with no compiler on PATH') {
    it('really has no compiler, make or Python on PATH', () => {
      for (const tool of ['cc', 'gcc', 'g++', 'c++', 'make', 'python3', 'python']) {
        expect(spawnSync(tool, ['--version'], { env }).error, tool).toMatchObject({ code: 'ENOENT' });
      }
    });
  }

  it('imports every entry point by name, with one copy of @rotortree/core', async () => {
    assertInstalled();
    const specifiers = entryPoints();
    expect(specifiers).toEqual(expect.arrayContaining(['@rotortree/core/fs', '@rotortree/conformance/checks', '@rotortree/conformance/crash', '@rotortree/native/build']));
    const result = await smoke<{ exportsOf: Record<string, string[]>; oneCore: boolean }>('imports.mjs', specifiers);
    for (const specifier of specifiers) expect(result.exportsOf[specifier]?.length ?? 0, specifier).toBeGreaterThan(0);
    expect(result.exportsOf['@rotortree/core']).toEqual(expect.arrayContaining(['LeanIMT', 'RotorTree', 'RotorTreeError', 'verifyProof']));
    expect(result.exportsOf['@rotortree/hasher-blake3']).toContain('blake3');
    expect(result.exportsOf['@rotortree/wal-fs']).toContain('fsWal');
    expect(result.exportsOf['@rotortree/checkpoint-mmap']).toContain('mmapCheckpointStore');
    expect(result.exportsOf['@rotortree/conformance']).toContain('runConformance');
    expect(result.exportsOf['@rotortree/native']).toEqual(expect.arrayContaining(['lockDirectory', 'bestCrc32c', 'fileMapper']));
    expect(result.exportsOf['rotortree']).toEqual(expect.arrayContaining(['open', 'blake3', 'fsWal', 'mmapCheckpointStore', 'LeanIMT']));
    expect(result.oneCore).toBe(true);
  });

  describe('with the same leaves', () => {
    let leanRoot = '';

    beforeAll(async () => {
      leanRoot = (await smoke<{ root: string }>('lean-imt.mjs', [String(LEAF_COUNT)])).root;
    });

    it('builds a LeanIMT and verifies an inclusion proof (and rejects a forged one)', async () => {
      const lean = await smoke<{ size: number; root: string; proofValid: boolean; forgedProofValid: boolean }>('lean-imt.mjs', [String(LEAF_COUNT)]);
      expect(lean.size).toBe(LEAF_COUNT);
      expect(lean.root).toMatch(/^[0-9a-f]{64}$/);
      expect(lean.proofValid).toBe(true);
      expect(lean.forgedProofValid).toBe(false);
    });

    it('opens a durable rotortree tree, closes, reopens it with the same root', async () => {
      const dir = join(installDir, 'durable-tree');
      const result = await smoke<{ rootBeforeClose: string; rootAfterReopen: string; sizeAfterReopen: number }>('durable-tree.mjs', [dir, String(LEAF_COUNT)]);
      expect(result.rootBeforeClose).toBe(leanRoot);
      expect(result.rootAfterReopen).toBe(leanRoot);
      expect(result.sizeAfterReopen).toBe(LEAF_COUNT);
    });

    it('runs the rotortree CLI: init, append, root, info (which names the lock provider)', async () => {
      assertInstalled();
      const cli = join(installDir, 'node_modules', '.bin', 'rotortree');
      const dir = join(installDir, 'cli-tree');
      const init = await run(cli, ['init', '--dir', dir], { cwd: installDir, env });
      expect(init.status, describeRun('rotortree init', init)).toBe(0);

      const leavesFile = join(installDir, 'leaves.txt');
      writeFileSync(leavesFile, Array.from({ length: LEAF_COUNT }, (_, i) => `${leafHex(i)}\n`).join(''));
      const append = await run(cli, ['append', leavesFile, '--dir', dir], { cwd: installDir, env });
      expect(append.status, describeRun('rotortree append', append)).toBe(0);

      const root = await run(cli, ['root', '--dir', dir], { cwd: installDir, env });
      expect(root.status, describeRun('rotortree root', root)).toBe(0);
      expect(root.stdout.trim()).toBe(leanRoot);

      const info = await run(cli, ['info', '--dir', dir, '--json'], { cwd: installDir, env });
      expect(info.status, describeRun('rotortree info', info)).toBe(0);
      expect((JSON.parse(info.stdout) as { lock: unknown }).lock).toEqual({ directories: ['.', 'wal', 'checkpoint'], provider: mode.lockProvider });
    });
  });

  it('runs `npx rotortree --help`', async () => {
    assertInstalled();
    // --no: never fetch a registry package of that name if the installed bin were missing;
    // `--` so that npx passes --help on instead of answering it.
    const help = await run('npx', ['--no', '--', 'rotortree', '--help'], { cwd: installDir, env });
    expect(help.status, describeRun('npx rotortree --help', help)).toBe(0);
    expect(help.stdout).toContain('Usage: rotortree <command>');
  });

  it('loads every native addon from its prebuild (none compiled at install), and the locks from ' + mode.lockProvider, async () => {
    const backends = await smoke<Backends>('backends.mjs');
    const log = installLog();
    expect(backends.sources, log).toEqual({ native: 'prebuild', wal: 'prebuild', blake3: 'prebuild' });
    expect(backends.blake3).toBe('native');
    expect(backends.mmapAddon).toBe(true);
    expect(backends.untrackedMappings).toBe(true); // the Node 20 companion prebuild fits this Node
    expect(backends.crcKernel).not.toBe('js');
    expect(backends.lockProvider, log).toBe(mode.lockProvider);
  });
});
