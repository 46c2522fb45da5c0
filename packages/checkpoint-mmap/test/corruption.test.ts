/**
 * Damaged, truncated, missing and leftover files on real directories: each gives its error code
 * with the file (and offset), never a silent fallback.
 */
import { appendFileSync, readFileSync, readdirSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { RotorTreeError } from '@rotortree/core';
import { mmapCheckpointStore } from '../src/index.js';
import { chunkNodesFor } from '@rotortree/core';
import { configFor, expectSameTree, growTo, tempDir, treeOf } from './support/trees.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

const N = 4;
const SEG = chunkNodesFor(N) * 32 * 2;

/** A directory holding two checkpoints (5000 then 9000 leaves, segments of 2 chunks). */
async function published(): Promise<{ dir: string; segments: string[] }> {
  const t = tempDir();
  cleanups.push(t.remove);
  const tree = treeOf(N, 5000);
  for (const [size, seq] of [
    [5000, 1],
    [9000, 2],
  ] as const) {
    growTo(tree, size);
    const s = mmapCheckpointStore({ dir: t.dir, maxSegmentBytes: SEG });
    await s.open(configFor(N));
    await s.write(tree.snapshot(), seq);
    await s.close();
  }
  const segments = readdirSync(t.dir).filter((f) => f.startsWith('seg-'));
  expect(segments.length).toBeGreaterThan(2);
  return { dir: t.dir, segments };
}

async function openError(dir: string, options: { verify?: boolean; mmap?: 'auto' | 'off' } = {}): Promise<RotorTreeError> {
  const s = mmapCheckpointStore({ dir, ...options });
  try {
    await s.open(configFor(N));
  } catch (err) {
    expect(err).toBeInstanceOf(RotorTreeError);
    return err as RotorTreeError;
  } finally {
    await s.close();
  }
  throw new Error('open succeeded on damaged files');
}

describe('manifest damage', () => {
  it('any flipped byte: CORRUPTION at the manifest (CONFIG_MISMATCH only in the version field)', async () => {
    const { dir } = await published();
    const path = join(dir, 'MANIFEST');
    const good = readFileSync(path);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        const bad = Buffer.from(good);
        bad[at]! ^= xor;
        writeFileSync(path, bad);
        const err = await openError(dir);
        expect(err.code).toBe(at >= 4 && at < 8 ? 'CONFIG_MISMATCH' : 'CORRUPTION');
        expect(err.file).toBe(path);
        expect(err.offset).toBeTypeOf('number');
      }),
      { numRuns: 60 },
    );
  });

  it('truncated at any length: CORRUPTION', async () => {
    const { dir } = await published();
    const path = join(dir, 'MANIFEST');
    const good = readFileSync(path);
    for (const len of [0, 1, 4, 8, 50, 100, good.length >> 1, good.length - 4, good.length - 1]) {
      writeFileSync(path, good.subarray(0, len));
      const err = await openError(dir);
      expect(err.code).toBe('CORRUPTION');
      expect(err.file).toBe(path);
    }
    writeFileSync(path, Buffer.concat([good, Buffer.from([0])]));
    expect((await openError(dir)).code).toBe('CORRUPTION');
  });

  it('deleted: no checkpoint, and the segments are kept for inspection', async () => {
    const { dir, segments } = await published();
    unlinkSync(join(dir, 'MANIFEST'));
    const s = mmapCheckpointStore({ dir });
    expect(await s.open(configFor(N))).toBeUndefined();
    await s.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('seg-')).sort()).toEqual([...segments].sort());
  });

  it('other n, maxDepth or hasher: CONFIG_MISMATCH', async () => {
    const { dir } = await published();
    for (const config of [configFor(2), configFor(N, 20), { ...configFor(N), hasherId: 'other' }]) {
      const s = mmapCheckpointStore({ dir });
      await expect(s.open(config)).rejects.toMatchObject({ code: 'CONFIG_MISMATCH' });
      await s.close();
    }
  });
});

describe('segment damage', () => {
  for (const mmap of ['auto', 'off'] as const) {
    it(`mmap=${mmap}: missing, truncated or grown segment: CORRUPTION naming it, before any mapping`, async () => {
      const { dir, segments } = await published();
      for (const name of segments) {
        const path = join(dir, name);
        const good = readFileSync(path);
        unlinkSync(path);
        let err = await openError(dir, { mmap });
        expect([err.code, err.file, err.offset]).toEqual(['CORRUPTION', path, 0]);
        writeFileSync(path, good.subarray(0, good.length - 1000));
        err = await openError(dir, { mmap });
        expect([err.code, err.file, err.offset]).toEqual(['CORRUPTION', path, good.length - 1000]);
        truncateSync(path, 0);
        expect((await openError(dir, { mmap })).code).toBe('CORRUPTION');
        writeFileSync(path, good);
        appendFileSync(path, Buffer.alloc(32));
        err = await openError(dir, { mmap });
        expect([err.code, err.file]).toEqual(['CORRUPTION', path]);
        writeFileSync(path, good);
      }
    });

    it(`mmap=${mmap}: a flipped byte in a segment is CORRUPTION with verify`, async () => {
      const { dir, segments } = await published();
      const path = join(dir, segments[1]!);
      const good = readFileSync(path);
      const bad = Buffer.from(good);
      bad[777]! ^= 1;
      writeFileSync(path, bad);
      const err = await openError(dir, { mmap, verify: true });
      expect([err.code, err.file]).toEqual(['CORRUPTION', path]);
      // Without verify only sizes are checked (the engine's verifyCheckpoint recomputes the tree).
      const s = mmapCheckpointStore({ dir, mmap });
      await expect(s.open(configFor(N))).resolves.toBeDefined();
      await s.close();
    });
  }
});

describe('leftovers', () => {
  it('a temp manifest and unreferenced segments are ignored, removed, and never reused', async () => {
    const { dir, segments } = await published();
    writeFileSync(join(dir, 'MANIFEST.tmp'), 'garbage');
    writeFileSync(join(dir, 'seg-999.dat'), Buffer.alloc(100, 1));
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    const tree = treeOf(N, 9000);
    const s = mmapCheckpointStore({ dir, verify: true });
    const got = await s.open(configFor(N));
    expectSameTree(got!.view, tree);
    expect(readdirSync(dir).sort()).toEqual([...segments, 'MANIFEST', 'notes.txt'].sort());
    growTo(tree, 20000);
    await s.write(tree.snapshot(), 3);
    await s.close();
    const fresh = readdirSync(dir).filter((f) => f.startsWith('seg-') && !segments.includes(f));
    expect(fresh.length).toBeGreaterThan(0);
    for (const f of fresh) expect(Number(/\d+/.exec(f)![0])).toBeGreaterThan(999);
    const r = mmapCheckpointStore({ dir, verify: true });
    expectSameTree((await r.open(configFor(N)))!.view, tree);
    await r.close();
  });

  it('an empty or missing directory has no checkpoint', async () => {
    const t = tempDir();
    cleanups.push(t.remove);
    rmSync(t.dir, { recursive: true });
    const s = mmapCheckpointStore({ dir: join(t.dir, 'a', 'b') });
    expect(await s.open(configFor(N))).toBeUndefined();
    await s.close();
  });
});
