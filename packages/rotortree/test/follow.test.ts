/**
 * `follow(dir)` beside a live writer on real files: the writer in this process (it holds the
 * directory's lock; the follower takes none) and in a child process that is SIGKILLed. The follower
 * serves only what the writer made durable, equal roots at equal sizes, follows checkpoints that
 * truncate the log, and checks the writer's published roots.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesEqual, generateProof, LeanIMT, verifyProof } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { follow, open } from '../src/index.js';
import { codeOf, leaf, leaves } from './support.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function fresh(): string {
  const d = mkdtempSync(join(tmpdir(), 'rotortree-follow-'));
  dirs.push(d);
  return d;
}

/** The root of the first `size` test leaves, from scratch. */
function rootOf(size: number): Uint8Array | undefined {
  const t = new LeanIMT({ hasher: blake3(), n: 4, maxDepth: 32 });
  if (size > 0) t.insertMany(leaves(0, size));
  return t.root;
}

/** The test leaves (support.ts) as source for the child: the same bytes in both processes. */
const leavesSource = `(first, k) => {
  const out = new Uint8Array(k * 32);
  for (let i = 0; i < k; i++) for (let j = 0; j < 32; j++) out[i * 32 + j] = (((first + i) * 131 + j * 7 + 1) ^ ((first + i) >>> 8)) & 0xff || 1;
  return out;
}`;

describe('follow(dir)', () => {
  it('wakes up when the writer flushes (a watch of the WAL directory), long before its next poll, also after a checkpoint replaced the log', async () => {
    const dir = fresh();
    const writer = await open(dir, { flushPolicy: { kind: 'manual' } });
    writer.insertMany(leaves(0, 10));
    await writer.flush();
    const follower = await follow(dir, { pollMs: 600_000 });
    const served = async (size: number): Promise<number> => {
      const t0 = Date.now();
      while (follower.size < size && Date.now() - t0 < 5_000) await new Promise((resolve) => setTimeout(resolve, 5));
      return follower.size;
    };
    try {
      expect(follower.size).toBe(10);
      writer.insertMany(leaves(10, 5));
      await writer.flush();
      expect(await served(15)).toBe(15);
      for (let i = 15; i < 3000; i += 15) writer.insertMany(leaves(i, 15));
      await writer.checkpoint(); // the log is replaced by a rename: the watch is on the directory
      writer.insertMany(leaves(3000, 7));
      await writer.flush();
      expect(await served(3007)).toBe(3007);
      expect(bytesEqual(follower.root!, rootOf(3007)!)).toBe(true);
    } finally {
      await follower.close();
      await writer.close();
    }
  });

  it('serves the writer durable states, follows a checkpoint that truncated the log, and proves leaves', async () => {
    const dir = fresh();
    const writer = await open(dir, { flushPolicy: { kind: 'manual' } });
    writer.insertMany(leaves(0, 100));
    await writer.flush();
    const follower = await follow(dir, { pollMs: 0 });
    expect([follower.size, follower.treeId]).toEqual([100, writer.treeId]);
    writer.insertMany(leaves(100, 50)); // written at the next flush only
    await follower.catchUp();
    expect(follower.size).toBe(100);
    await writer.flush();
    await follower.catchUp();
    expect(follower.size).toBe(150);
    expect(bytesEqual(follower.root!, writer.root!)).toBe(true);
    for (let i = 150; i < 5000; i += 50) writer.insertMany(leaves(i, 50));
    await writer.checkpoint(); // the log is truncated past the follower
    writer.insert(leaf(5000));
    await writer.flush();
    await follower.catchUp();
    expect(follower.size).toBe(5001);
    expect(bytesEqual(follower.root!, writer.root!)).toBe(true);
    const snap = follower.snapshot();
    expect(verifyProof(blake3(), generateProof(snap, 4321), { root: writer.root!, size: 5001, n: 4 })).toBe(true);
    await follower.close();
    await writer.close();
  });

  it('a follower of a killed writer never shows more than its acknowledged inserts survived, and catches up with its recovery', async () => {
    const dir = fresh();
    const script = join(dir, 'writer.mjs');
    const lib = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;
    writeFileSync(
      script,
      `import { open } from ${JSON.stringify(lib)};
const leaves = ${leavesSource};
const tree = await open(process.argv[2]);
for (let i = 0; ; i += 10) { await tree.insertMany(leaves(i, 10)).token.wait(); process.stdout.write(i + 10 + '\\n'); }
`,
    );
    const child = spawn(process.execPath, [script, join(dir, 't')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    child.stdout.on('data', (b: Buffer) => {
      const last = b.toString().trim().split('\n').pop();
      if (last !== undefined && last !== '') acked = Number(last);
    });
    while (acked < 300) await new Promise((r) => setTimeout(r, 5));
    const follower = await follow(join(dir, 't'), { pollMs: 0 });
    const seen: number[] = [];
    for (let k = 0; k < 20; k++) {
      await follower.catchUp();
      const size = follower.size;
      seen.push(size);
      expect(size % 10).toBe(0); // whole batches
      expect(bytesEqual(follower.root!, rootOf(size)!)).toBe(true);
      await new Promise((r) => setTimeout(r, 3));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const shown = Math.max(...seen);
    const recovered = await open(join(dir, 't'), { checkpointOnClose: false });
    expect(recovered.size).toBeGreaterThanOrEqual(shown); // never ahead of what survives
    recovered.insert(leaf(recovered.size));
    await recovered.flush();
    await follower.catchUp();
    expect(follower.size).toBe(recovered.size);
    expect(bytesEqual(follower.root!, recovered.root!)).toBe(true);
    await follower.close();
    await recovered.close();
    expect(await codeOf(follow(fresh()))).toBe('IO');
  });
});

describe('follow(dir) options', () => {
  it('every option is checked (TypeError/RangeError naming it) before anything is read', async () => {
    const dir = fresh();
    await (await open(dir)).close();
    for (const bad of [{ pollMs: -1 }, { pollMs: '5' }, { mmap: 'on' }, { tiering: 3 }, { hasher: null }, { maxResidentBytes: 0 }, { nope: 1 }]) {
      const err = await follow(dir, bad as never).catch((e: unknown) => e);
      expect(err instanceof TypeError || err instanceof RangeError, JSON.stringify(bad)).toBe(true);
    }
  });
});
