/**
 * Damaged, truncated, missing and leftover files on real directories: each gives its error code
 * with the file (and offset), never a silent fallback.
 */
import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
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

    it(`mmap=${mmap}: a flipped byte in a chunk is CORRUPTION at open with verify, else on its first read, never served`, async () => {
      const { dir, segments } = await published();
      const path = join(dir, segments[1]!);
      const good = readFileSync(path);
      const bad = Buffer.from(good);
      bad[777]! ^= 1;
      writeFileSync(path, bad);
      const err = await openError(dir, { mmap, verify: true });
      expect([err.code, err.file, err.offset]).toEqual(['CORRUPTION', path, 0]);
      // Without verify the open checks sizes and trailers; the chunk is checked when first read.
      const s = mmapCheckpointStore({ dir, mmap });
      const got = (await s.open(configFor(N)))!;
      const reference = treeOf(N, 9000);
      let failures = 0;
      for (let k = 0; k <= got.view.depth; k++) {
        for (let i = 0; i < got.view.levelLength(k); i++) {
          try {
            const node = got.view.getNode(k, i);
            expect(Buffer.compare(node, reference.getNode(k, i))).toBe(0);
          } catch (e) {
            expect(e).toMatchObject({ code: 'CORRUPTION', file: path, offset: 0 });
            failures++;
          }
        }
      }
      expect(failures).toBe(chunkNodesFor(N)); // exactly the nodes of the damaged chunk, every time they are read
      await s.close();
    });

    it(`mmap=${mmap}: a damaged trailer is CORRUPTION at open, naming the segment`, async () => {
      const { dir, segments } = await published();
      const path = join(dir, segments[0]!);
      const good = readFileSync(path);
      for (const back of [1, 5, 30, 48, 52]) { // the trailer of a one-chunk segment: 4 + 48 bytes
        const bad = Buffer.from(good);
        bad[bad.length - back]! ^= 0x20;
        writeFileSync(path, bad);
        const err = await openError(dir, { mmap });
        expect([err.code, err.file]).toEqual(['CORRUPTION', path]);
      }
      writeFileSync(path, good);
    });
  }

  it('a segment of another tree put in place of one (same name, same size) is CORRUPTION at open', async () => {
    const ours = await published();
    // The same leaves and shape written by another tree: chunk bytes equal ours, the trailer names the other tree.
    const other = tempDir();
    cleanups.push(other.remove);
    const tree = treeOf(N, 9000);
    const s = mmapCheckpointStore({ dir: other.dir, maxSegmentBytes: SEG });
    await s.open({ ...configFor(N), treeId: 'ab'.repeat(16) });
    await s.write(tree.snapshot(), 2);
    await s.close();
    const name = readdirSync(other.dir).filter((f) => f.startsWith('seg-')).sort()[0]!;
    const path = join(ours.dir, ours.segments.includes(name) ? name : ours.segments[0]!);
    writeFileSync(path, readFileSync(join(other.dir, name)));
    const err = await openError(ours.dir);
    expect([err.code, err.file]).toEqual(['CORRUPTION', path]);
  });

  it('a stray directory with a segment name: ignored when unreferenced, CORRUPTION naming it when referenced', async () => {
    const { dir, segments } = await published();
    mkdirSync(join(dir, 'seg-5000.dat'));
    const s = mmapCheckpointStore({ dir });
    await expect(s.open(configFor(N))).resolves.toBeDefined();
    await s.close();
    const path = join(dir, segments[0]!);
    rmSync(path);
    mkdirSync(path);
    for (const mmap of ['auto', 'off'] as const) {
      const err = await openError(dir, { mmap });
      expect([err.code, err.file]).toEqual(['CORRUPTION', path]);
    }
  });
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
