/**
 * One writer per directory: flock across processes (and within one), released on close and
 * when the holder is killed; the in-process table for in-memory file systems.
 */
import { spawn, execFileSync } from 'node:child_process';
import { openWal } from '@rotortree/core/backend';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultyFileSystem } from '@rotortree/core/fs';
import { fsWal } from '../src/index.js';
import { CONFIG, codeOf, openCollect } from './support.js';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
let dir = '';
let script = '';

beforeAll(async () => {
  // The child imports the built package: build it (tsc, ~2 s).
  execFileSync(process.execPath, [join(pkg, '../../node_modules/typescript/bin/tsc'), '-p', join(pkg, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  dir = await mkdtemp(join(tmpdir(), 'rotortree-lock-'));
  script = join(dir, 'child.mjs');
  // argv: dir, hold ('hold' keeps the lock until killed). Prints LOCKED, OPEN or ERR <code>.
  await writeFile(
    script,
    `import { fsWal } from ${JSON.stringify(pathToFileURL(join(pkg, 'dist/index.js')).href)};
const wal = fsWal({ dir: process.argv[2] });
try {
  await wal.open(${JSON.stringify(CONFIG)});
  await wal.recover({ treeId: ${JSON.stringify(CONFIG.treeId)}, afterSeq: 0, visit: () => {} });
  console.log('OPEN');
  if (process.argv[3] === 'hold') setInterval(() => {}, 1000);
  else await wal.close();
} catch (err) {
  console.log(err.code === 'FILE_LOCKED' ? 'LOCKED' : 'ERR ' + err.code);
}
`,
  );
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function child(walDir: string, hold = false): { first: Promise<string>; kill: () => Promise<void> } {
  const proc = spawn(process.execPath, [script, walDir, ...(hold ? ['hold'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = new Promise<string>((resolve) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    proc.on('exit', () => resolve(out.trim()));
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return {
    first,
    kill: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

describe('the directory lock', () => {
  it('refuses a second opener in the same process until the first closes', async () => {
    const d = join(dir, 'same');
    const a = fsWal({ dir: d });
    await openCollect(a);
    const b = fsWal({ dir: d });
    expect(await codeOf(openWal(b, CONFIG, 0, () => {}))).toBe('FILE_LOCKED');
    await a.close();
    await openCollect(b);
    await b.close();
  });

  it('refuses another process while held, and is released when the holder is SIGKILLed', async () => {
    const d = join(dir, 'cross');
    const a = fsWal({ dir: d });
    await openCollect(a);
    expect(await child(d).first).toBe('LOCKED');
    await a.close();
    expect(await child(d).first).toBe('OPEN');

    const holder = child(d, true);
    expect(await holder.first).toBe('OPEN');
    const b = fsWal({ dir: d });
    expect(await codeOf(openWal(b, CONFIG, 0, () => {}))).toBe('FILE_LOCKED');
    await holder.kill();
    await openCollect(b);
    await b.close();
  }, 30_000);

  it('uses an in-process table on an in-memory file system', async () => {
    const fs = faultyFileSystem({ seed: 1 });
    const a = fsWal({ dir: '/x', fs });
    await openCollect(a);
    expect(await codeOf(openWal(fsWal({ dir: '/x/', fs }), CONFIG, 0, () => {}))).toBe('FILE_LOCKED');
    await openCollect(fsWal({ dir: '/x', fs: faultyFileSystem({ seed: 1 }) })); // another "machine"
    await a.close();
    const b = fsWal({ dir: '/x', fs });
    await openCollect(b);
    await b.close();
  });
});
