/**
 * The packed tarballs, installed together with npm in a clean directory (inter-package
 * dependencies resolve to the tarballs, third-party ones come from the registry, install scripts
 * build the native addons), work as a user gets them: every entry point imports, a LeanIMT and its
 * proof, a durable `open(dir)` tree that survives close/reopen, the `rotortree` CLI, native backends.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packedPackages } from './packed.js';
import { leafHex } from './smoke/leaves.mjs';
import { describeRun, readPackageJson, run } from './workspace.js';
import type { RunResult } from './workspace.js';

const LEAF_COUNT = 300;
const SMOKE_DIR = new URL('./smoke/', import.meta.url);

const packed = packedPackages();
let installDir = '';
let install: RunResult | undefined;

beforeAll(async () => {
  installDir = mkdtempSync(join(tmpdir(), 'rotortree-install-'));
  const init = await run('npm', ['init', '-y'], { cwd: installDir });
  if (init.status !== 0) throw new Error(describeRun('npm init -y', init));
  // All tarballs in one install, so `@rotortree/core@^0.0.0` of the others resolves to its tarball.
  const tarballs = packed.flatMap((pkg) => (pkg.tarball === undefined ? [] : [pkg.tarball]));
  install = await run('npm', ['install', '--foreground-scripts', '--no-audit', '--no-fund', ...tarballs], {
    cwd: installDir,
    timeoutMs: 280_000,
  });
  cpSync(SMOKE_DIR, join(installDir, 'smoke'), { recursive: true });
});

afterAll(() => {
  if (installDir !== '') rmSync(installDir, { recursive: true, force: true });
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
  const result = await run('node', [join('smoke', script), ...args], { cwd: installDir });
  if (result.status !== 0) throw new Error(describeRun(`node smoke/${script}`, result));
  const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(lastLine) as T;
}

/** The line an install script printed about a package's native build (for failure messages). */
function nativeBuildLine(name: string): string {
  const line = (install?.stdout ?? '').split('\n').find((l) => l.startsWith(`[${name}]`));
  return `${name}'s install script said: ${line ?? '(nothing)'}`;
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

describe('installed from the tarballs', () => {
  it('installs every tarball together with npm', () => {
    expect(packed.every((pkg) => pkg.tarball !== undefined), 'a package did not pack (see its "packs" test)').toBe(true);
    expect(install?.status, installLog()).toBe(0);
    for (const pkg of packed) {
      const installed = readPackageJson(join(installDir, 'node_modules', pkg.name));
      expect(installed.version, pkg.name).toBe(readPackageJson(pkg.dir).version);
    }
  });

  it('imports every entry point by name, with one copy of @rotortree/core', async () => {
    assertInstalled();
    const specifiers = entryPoints();
    expect(specifiers).toEqual(expect.arrayContaining(['@rotortree/core/fs', '@rotortree/conformance/checks', '@rotortree/conformance/crash']));
    const result = await smoke<{ exportsOf: Record<string, string[]>; oneCore: boolean }>('imports.mjs', specifiers);
    for (const specifier of specifiers) expect(result.exportsOf[specifier]?.length ?? 0, specifier).toBeGreaterThan(0);
    expect(result.exportsOf['@rotortree/core']).toEqual(expect.arrayContaining(['LeanIMT', 'RotorTree', 'RotorTreeError', 'verifyProof']));
    expect(result.exportsOf['@rotortree/hasher-blake3']).toContain('blake3');
    expect(result.exportsOf['@rotortree/wal-fs']).toContain('fsWal');
    expect(result.exportsOf['@rotortree/checkpoint-mmap']).toContain('mmapCheckpointStore');
    expect(result.exportsOf['@rotortree/conformance']).toContain('runConformance');
    expect(result.exportsOf['rotortree']).toEqual(expect.arrayContaining(['open', 'blake3', 'fsWal', 'mmapCheckpointStore', 'LeanIMT']));
    expect(result.oneCore).toBe(true);
  });

  describe('with the same leaves', () => {
    let lean = { size: 0, root: '', proofValid: false, forgedProofValid: true };
    let leanRoot = '';

    beforeAll(async () => {
      lean = await smoke('lean-imt.mjs', [String(LEAF_COUNT)]);
      leanRoot = lean.root;
    });

    it('builds a LeanIMT and verifies an inclusion proof (and rejects a forged one)', () => {
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

    it('runs the rotortree CLI: init, append, root', async () => {
      assertInstalled();
      const cli = join(installDir, 'node_modules', '.bin', 'rotortree');
      const dir = join(installDir, 'cli-tree');
      const init = await run(cli, ['init', '--dir', dir], { cwd: installDir });
      expect(init.status, describeRun('rotortree init', init)).toBe(0);

      const leavesFile = join(installDir, 'leaves.txt');
      writeFileSync(leavesFile, Array.from({ length: LEAF_COUNT }, (_, i) => `${leafHex(i)}\n`).join(''));
      const append = await run(cli, ['append', leavesFile, '--dir', dir], { cwd: installDir });
      expect(append.status, describeRun('rotortree append', append)).toBe(0);

      const root = await run(cli, ['root', '--dir', dir], { cwd: installDir });
      expect(root.status, describeRun('rotortree root', root)).toBe(0);
      expect(root.stdout.trim()).toBe(leanRoot);
    });
  });

  it('runs `npx rotortree --help`', async () => {
    assertInstalled();
    // --no: never fetch a registry package of that name if the installed bin were missing;
    // `--` so that npx passes --help on instead of answering it.
    const help = await run('npx', ['--no', '--', 'rotortree', '--help'], { cwd: installDir });
    expect(help.status, describeRun('npx rotortree --help', help)).toBe(0);
    expect(help.stdout).toContain('Usage: rotortree <command>');
  });

  describe('native addons built by the install scripts', () => {
    let backends: { blake3: string; availableBlake3: string[]; walNative: boolean; mmapAddon: boolean } | undefined;

    beforeAll(async () => {
      backends = await smoke('backends.mjs');
    });

    it('@rotortree/hasher-blake3: blake3() runs on the native kernel', () => {
      assertInstalled();
      expect(backends?.blake3, nativeBuildLine('@rotortree/hasher-blake3')).toBe('native');
    });

    it('@rotortree/wal-fs: the native WAL kernels load', () => {
      assertInstalled();
      expect(backends?.walNative, nativeBuildLine('@rotortree/wal-fs')).toBe(true);
    });

    it('@rotortree/checkpoint-mmap: the mmap addon loads', () => {
      assertInstalled();
      expect(backends?.mmapAddon, nativeBuildLine('@rotortree/checkpoint-mmap')).toBe(true);
    });
  });
});
