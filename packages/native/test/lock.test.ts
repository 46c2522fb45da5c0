/**
 * The one-writer locks: a directory (or file) locked once refuses every second opener, in this
 * process (by device and inode, whatever the spelling of the path) and in another (either provider
 * against either), until released or the holder exits; a machine with no provider gets
 * `UNSUPPORTED`, and fs-ext is used where it loads, the addon where it does not.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isRotorTreeError } from '@rotortree/core';
import { lockDirectory, lockFile, lockProvider } from '../src/lock.js';
import type { LockProvider } from '../src/lock.js';
import { nodeScript, withTempDir } from './support.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const PROVIDERS: LockProvider[] = ['fs-ext', 'native'];
/** A child's try at the lock of $LOCK_DIR: prints `taken` or the error code. */
const probeScript = `const m = await import(${JSON.stringify(DIST)});
try { m.lockDirectory(process.env.LOCK_DIR).release(); console.log('taken'); } catch (err) { console.log(err.code); }`;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isRotorTreeError(err) ? err.code : `not a RotorTreeError: ${String(err)}`;
  }
  return undefined;
}

const children: ChildProcessWithoutNullStreams[] = [];

/** A child process holding the lock of `dir` through `provider`, once it says so. */
async function holdInChild(dir: string, provider: LockProvider): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, [join(FIXTURES, 'hold-lock.mjs'), dir, provider]);
  children.push(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the lock holder exited ${code}: ${err}`)));
  });
  expect(out.trim()).toBe(`locked ${provider}`);
  return child;
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.stdin.end();
  await exited;
}

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('lockDirectory in this process', () => {
  it('refuses a second opener by device and inode (another spelling, a symlink), until released', async () => {
    await withTempDir('lock', (dir) => {
      const data = join(dir, 'data');
      mkdirSync(data);
      symlinkSync(data, join(dir, 'link'));
      const held = lockDirectory(data);
      expect(held.provider).toBe(lockProvider());
      for (const spelling of [data, `${data}/`, join(data, '..', 'data'), join(dir, 'link')]) {
        expect(codeOf(() => lockDirectory(spelling)), spelling).toBe('FILE_LOCKED');
      }
      // Another provider in this process is refused too (the registry, and the flock itself).
      for (const provider of PROVIDERS) expect(codeOf(() => lockDirectory(data, { provider }))).toBe('FILE_LOCKED');
      held.release();
      held.release(); // idempotent
      const again = lockDirectory(join(dir, 'link'));
      expect(codeOf(() => lockDirectory(data))).toBe('FILE_LOCKED');
      again.release();
    });
  });

  it('openers of different purposes share the flock until the last releases; the same purpose is refused', async () => {
    await withTempDir('lock', async (dir) => {
      const wal = lockDirectory(dir, { purpose: 'wal' });
      const checkpoint = lockDirectory(dir, { purpose: 'checkpoint' });
      expect(codeOf(() => lockDirectory(dir, { purpose: 'wal' }))).toBe('FILE_LOCKED');
      wal.release();
      const probe = nodeScript(probeScript, { ...process.env, LOCK_DIR: dir });
      expect(probe.stdout).toBe('FILE_LOCKED'); // still held by the checkpoint purpose
      checkpoint.release();
      expect(nodeScript(probeScript, { ...process.env, LOCK_DIR: dir }).stdout).toBe('taken');
    });
  });

  it('is IO for a missing directory or a file, and the directory is not created', async () => {
    await withTempDir('lock', (dir) => {
      expect(codeOf(() => lockDirectory(join(dir, 'missing')))).toBe('IO');
      writeFileSync(join(dir, 'file'), 'x');
      expect(codeOf(() => lockDirectory(join(dir, 'file')))).toBe('IO');
      expect(codeOf(() => lockDirectory(join(dir, 'missing')))).toBe('IO');
    });
  });

  it('holds whatever happens to the files inside: the directory is the lock', async () => {
    await withTempDir('lock', (dir) => {
      writeFileSync(join(dir, 'wal.lock'), '');
      const held = lockDirectory(dir);
      rmSync(join(dir, 'wal.lock'));
      expect(codeOf(() => lockDirectory(dir))).toBe('FILE_LOCKED');
      held.release();
    });
  });

  it('lockFile locks a file (created when missing) the same way', async () => {
    await withTempDir('lock', (dir) => {
      const path = join(dir, 'x.lock');
      const held = lockFile(path);
      expect(codeOf(() => lockFile(path))).toBe('FILE_LOCKED');
      held.release();
      lockFile(path).release();
    });
  });
});

describe('lockDirectory across processes', () => {
  for (const holder of PROVIDERS) {
    it(`a directory held by another process through ${holder} is FILE_LOCKED for both providers, and free once it exits`, async () => {
      await withTempDir('lock', async (dir) => {
        const child = await holdInChild(dir, holder);
        for (const provider of PROVIDERS) expect(codeOf(() => lockDirectory(dir, { provider }))).toBe('FILE_LOCKED');
        await stop(child);
        lockDirectory(dir).release();
      });
    });
  }

  it('the lock dies with a killed holder', async () => {
    await withTempDir('lock', async (dir) => {
      const child = await holdInChild(dir, 'native');
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      lockDirectory(dir).release();
    });
  });
});

describe('the provider', () => {
  const hideFsExt = ['-r', join(FIXTURES, 'hide-fs-ext.cjs')];
  const report = `
    const m = await import(${JSON.stringify(DIST)});
    const dir = process.env.LOCK_DIR;
    let code = null, provider = null;
    try { const held = m.lockDirectory(dir); provider = held.provider; held.release(); } catch (err) { code = err.code; }
    let asserted = null;
    try { m.assertLockingSupported(dir); } catch (err) { asserted = err.code; }
    console.log(JSON.stringify({ lockProvider: m.lockProvider() ?? null, provider, code, asserted }));`;

  it('is fs-ext where it loads (as here)', () => {
    expect(lockProvider()).toBe('fs-ext');
  });

  it('is the addon where fs-ext did not build', async () => {
    await withTempDir('lock', (dir) => {
      const run = nodeScript(report, { ...process.env, LOCK_DIR: dir }, hideFsExt);
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({
        lockProvider: 'native',
        provider: 'native',
        code: null,
        asserted: null,
      });
    });
  });

  it('with neither, taking a lock is UNSUPPORTED (and so is asking first)', async () => {
    await withTempDir('lock', (dir) => {
      const run = nodeScript(report, { ...process.env, LOCK_DIR: dir, ROTORTREE_DISABLE_NATIVE: '1' }, hideFsExt);
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ lockProvider: null, provider: null, code: 'UNSUPPORTED', asserted: 'UNSUPPORTED' });
    });
  });
});
