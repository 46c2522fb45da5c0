/**
 * `open(dir)`: defaults, reopening without options, CONFIG_MISMATCH, the descriptor and its
 * fallback to the WAL header, the checkpoint at close; a property test against an in-memory model.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LeanIMT, RotorTreeError, bytesEqual, isRotorTreeError } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { DEFAULT_CHECKPOINT, defaultTiering, leafHasher, open, storedParameters } from '../src/index.js';
import { codeOf, leaf, leaves } from './support.js';

const base = mkdtempSync(join(tmpdir(), 'rotortree-open-'));
let seq = 0;
const fresh = (): string => join(base, `t${seq++}`);

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('open defaults', () => {
  it('creates a 4-ary tree of max depth 32 with BLAKE3, group commit, a memory threshold and a descriptor', async () => {
    const dir = fresh();
    const tree = await open(dir);
    expect(tree.n).toBe(4);
    expect(tree.maxDepth).toBe(32);
    expect(tree.hasher.id).toBe('blake3');
    expect(tree.flushPolicy).toEqual({ kind: 'interval', ms: 10 });
    expect(tree.checkpointPolicy).toEqual(DEFAULT_CHECKPOINT);
    expect(tree.checkpointPolicy.kind).toBe('memoryThreshold');
    expect(tree.size).toBe(0);
    await tree.close();
    expect(JSON.parse(readFileSync(join(dir, 'rotortree.json'), 'utf8'))).toEqual({
      format: 'rotortree',
      version: 2,
      treeId: tree.treeId,
      n: 4,
      maxDepth: 32,
      hasher: 'blake3',
      state: 'created',
      checksum: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
    expect(existsSync(join(dir, 'wal', 'wal.log'))).toBe(true);
    expect(await storedParameters(dir)).toEqual({ treeId: tree.treeId, n: 4, maxDepth: 32, hasher: 'blake3', state: 'created' });
  });

  it('pins the levels whose nodes cover at least 256 leaves', () => {
    expect(defaultTiering(2).pinAboveLevel).toBe(8);
    expect(defaultTiering(4).pinAboveLevel).toBe(4);
    expect(defaultTiering(16).pinAboveLevel).toBe(2);
    expect(defaultTiering(17).pinAboveLevel).toBe(2);
    expect(defaultTiering(256).pinAboveLevel).toBe(1);
  });

  it('forwards maxResidentBytes to the checkpoint store (a bad budget is refused)', async () => {
    await expect(open(fresh(), { maxResidentBytes: 0 })).rejects.toThrow(RangeError);
    const dir = fresh();
    const tree = await open(dir, { maxResidentBytes: 1 << 20 });
    await tree.insertMany(leaves(0, 5000)).token.wait();
    await tree.checkpoint();
    await tree.close();
    const again = await open(dir, { maxResidentBytes: 1 << 20 });
    expect(again.size).toBe(5000);
    await again.close();
  });

  it('refuses to create with create: false (IO, cause ENOENT) and leaves nothing behind', async () => {
    const dir = fresh();
    const err = await open(dir, { create: false }).catch((e: unknown) => e);
    expect(isRotorTreeError(err, 'IO')).toBe(true);
    expect(((err as RotorTreeError).cause as { code?: string }).code).toBe('ENOENT');
    expect(existsSync(dir)).toBe(false);
  });
});

describe('reopening', () => {
  it('reopens with the stored n and maxDepth when given no options', async () => {
    const dir = fresh();
    const a = await open(dir, { n: 8, maxDepth: 10 });
    await a.insertMany(leaves(0, 100)).token.wait();
    const root = a.root!;
    await a.close();
    const b = await open(dir);
    expect([b.n, b.maxDepth, b.size]).toEqual([8, 10, 100]);
    expect(bytesEqual(b.root!, root)).toBe(true);
    await b.close();
  });

  it('gives CONFIG_MISMATCH for options that contradict the directory, and changes nothing', async () => {
    const dir = fresh();
    const a = await open(dir, { n: 8, maxDepth: 10 });
    a.insert(leaf(1));
    await a.close();
    expect(await codeOf(open(dir, { n: 4 }))).toBe('CONFIG_MISMATCH');
    expect(await codeOf(open(dir, { maxDepth: 11 }))).toBe('CONFIG_MISMATCH');
    expect(await codeOf(open(dir, { hasher: blake3({ legacy: true }) }))).toBe('CONFIG_MISMATCH');
    const b = await open(dir, { n: 8, maxDepth: 10, hasher: blake3() }); // agreeing options are fine
    expect(b.size).toBe(1);
    await b.close();
  });

  it('reopens a legacy-hasher directory with the legacy hasher when given no options', async () => {
    const dir = fresh();
    const a = await open(dir, { hasher: blake3({ legacy: true }) });
    a.insertMany(leaves(0, 5));
    const root = a.root!;
    await a.close();
    const b = await open(dir);
    expect(b.hasher.id).toBe('blake3-v015');
    expect(bytesEqual(b.root!, root)).toBe(true);
    await b.close();
  });

  it('a missing descriptor beside the files of a tree is CORRUPTION naming it (never a new tree over them)', async () => {
    const dir = fresh();
    const a = await open(dir, { n: 3, maxDepth: 7 });
    a.insertMany(leaves(0, 10));
    await a.close();
    unlinkSync(join(dir, 'rotortree.json'));
    expect(await storedParameters(dir)).toBeUndefined();
    const err = await open(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPTION', file: join(dir, 'rotortree.json') });
    expect(existsSync(join(dir, 'rotortree.json'))).toBe(false);
  });

  it('reports a damaged descriptor as CORRUPTION with the file', async () => {
    const dir = fresh();
    await (await open(dir)).close();
    writeFileSync(join(dir, 'rotortree.json'), '{ "format": "rotortree", "vers');
    const err = await open(dir).catch((e: unknown) => e);
    expect(isRotorTreeError(err, 'CORRUPTION')).toBe(true);
    expect((err as RotorTreeError).file).toBe(join(dir, 'rotortree.json'));
  });

  it('checkpoints at close, so the next open replays nothing; checkpointOnClose: false keeps the WAL', async () => {
    const dir = fresh();
    const a = await open(dir);
    a.insertMany(leaves(0, 50));
    a.insert(leaf(50));
    await a.close();
    const b = await open(dir, { checkpointOnClose: false });
    expect(b.recovery.replayedRecords).toBe(0);
    expect(b.recovery.checkpointLeaves).toBe(51);
    b.insertMany(leaves(51, 9));
    await b.close();
    const c = await open(dir);
    expect(c.recovery.replayedRecords).toBe(1);
    expect(c.size).toBe(60);
    await c.close();
    await c.close(); // idempotent
  });

  it('holds the directory: a second open gets FILE_LOCKED until the first closes', async () => {
    const dir = fresh();
    const a = await open(dir);
    expect(await codeOf(open(dir))).toBe('FILE_LOCKED');
    await a.close();
    await (await open(dir)).close();
  });
});

describe('leafHasher', () => {
  it('is plain BLAKE3-256 of the bytes', () => {
    const h = leafHasher();
    expect(Buffer.from(h(new TextEncoder().encode('hello'))).toString('hex')).toBe('ea8f163db38682925e4491c5e58d4bb3506ef8c14eb78a86e908c5624a67200f');
    expect(Buffer.from(h(new Uint8Array(0))).toString('hex')).toBe('af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
  });
});

describe('open/close cycles against a model', () => {
  it('after any sequence of sessions, the reopened tree is the in-memory tree of every inserted leaf', async () => {
    const session = fc.record({
      batches: fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 4 }),
      singles: fc.integer({ min: 0, max: 5 }),
      checkpointOnClose: fc.boolean(),
      checkpointMidway: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 9 }), fc.array(session, { minLength: 1, maxLength: 4 }), async (n, sessions) => {
        const dir = fresh();
        const model = new LeanIMT({ hasher: blake3(), n, maxDepth: 12 });
        let next = 0;
        for (const s of sessions) {
          const tree = await open(dir, { n, maxDepth: 12, checkpointOnClose: s.checkpointOnClose });
          expect(tree.size).toBe(model.size);
          for (const k of s.batches) {
            tree.insertMany(leaves(next, k));
            model.insertMany(leaves(next, k));
            next += k;
          }
          if (s.checkpointMidway) await tree.checkpoint();
          for (let i = 0; i < s.singles; i++) {
            tree.insert(leaf(next));
            model.insert(leaf(next++));
          }
          await tree.close();
        }
        const last = await open(dir);
        expect(last.size).toBe(model.size);
        expect(last.root === undefined ? undefined : Buffer.from(last.root).toString('hex')).toBe(
          model.root === undefined ? undefined : Buffer.from(model.root).toString('hex'),
        );
        await last.close();
      }),
      { numRuns: 12 },
    );
  });
});
