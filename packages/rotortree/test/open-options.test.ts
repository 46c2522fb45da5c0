/**
 * `open(dir, options)` validates every option before it touches the disk: a value of the wrong
 * kind is a `TypeError`, a number out of its range a `RangeError`, and a refused open leaves
 * nothing behind (no new directory, nothing in an existing empty one, an existing tree unchanged).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blake3 } from '@rotortree/hasher-blake3';
import { defaultTiering, open } from '../src/index.js';
import type { OpenOptions } from '../src/index.js';
import { leaves } from './support.js';

const base = mkdtempSync(join(tmpdir(), 'rotortree-open-options-'));
let seq = 0;
const fresh = (): string => join(base, `t${seq++}`);

afterAll(() => rmSync(base, { recursive: true, force: true }));

type Bad = readonly [what: string, options: unknown, error: typeof TypeError | typeof RangeError];

/** One or more bad values of every kind of option. */
const BAD: readonly Bad[] = [
  ['options itself: null', null, TypeError],
  ['options itself: a string', 'x', TypeError],
  ['an unknown option', { flush: 1 }, TypeError],
  // booleans
  ['create: "no"', { create: 'no' }, TypeError],
  ['verifyCheckpoint: "yes"', { verifyCheckpoint: 'yes' }, TypeError],
  ['checkpointOnClose: 1', { checkpointOnClose: 1 }, TypeError],
  // integers
  ['n: "4"', { n: '4' }, TypeError],
  ['n: 1', { n: 1 }, RangeError],
  ['n: 2.5', { n: 2.5 }, RangeError],
  ['maxDepth: 65', { maxDepth: 65 }, RangeError],
  ['walPreallocate: 1e12', { walPreallocate: 1e12 }, RangeError],
  ['walPreallocate: NaN', { walPreallocate: Number.NaN }, RangeError],
  ['maxResidentBytes: -5', { maxResidentBytes: -5 }, RangeError],
  // objects
  ['hasher: null', { hasher: null }, TypeError],
  ['hasher: an object without hashGroup', { hasher: { id: 'blake3' } }, TypeError],
  ['flushPolicy: null', { flushPolicy: null }, TypeError],
  ['flushPolicy: an unknown kind', { flushPolicy: { kind: 'sometimes' } }, RangeError],
  ['flushPolicy: a negative interval', { flushPolicy: { kind: 'interval', ms: -1 } }, RangeError],
  ['checkpointPolicy: 5', { checkpointPolicy: 5 }, TypeError],
  ['checkpointPolicy: bytes 0', { checkpointPolicy: { kind: 'memoryThreshold', bytes: 0 } }, RangeError],
  ['tiering: true', { tiering: true }, TypeError],
  ['tiering: a negative level', { tiering: { pinAboveLevel: -1 } }, RangeError],
  // enumerations
  ['mmap: "on"', { mmap: 'on' }, TypeError],
];

describe('open() option validation', () => {
  it.each(BAD)('%s: refused with the right error class, nothing created', async (_what, options, error) => {
    const missing = fresh();
    await expect(open(missing, options as OpenOptions)).rejects.toThrow(error);
    expect(existsSync(missing)).toBe(false);
    const empty = fresh();
    mkdirSync(empty);
    await expect(open(empty, options as OpenOptions)).rejects.toThrow(error);
    expect(readdirSync(empty)).toEqual([]);
  });

  it('defaultTiering refuses an n outside 2..256 (n = 1 looped forever)', () => {
    for (const n of [1, 0, -4, 2.5, Number.NaN, 257]) expect(() => defaultTiering(n)).toThrow(RangeError);
  });

  it('a dir that is not a non-empty string is a TypeError', async () => {
    await expect(open('')).rejects.toThrow(TypeError);
    await expect(open(5 as unknown as string)).rejects.toThrow(TypeError);
  });

  it('a refused open of an existing tree changes nothing in it', async () => {
    const dir = fresh();
    const tree = await open(dir, { n: 3 });
    await tree.insertMany(leaves(0, 10)).token.wait();
    await tree.close();
    const before = readdirSync(dir, { recursive: true }).sort();
    for (const [, options, error] of BAD) await expect(open(dir, options as OpenOptions)).rejects.toThrow(error);
    expect(readdirSync(dir, { recursive: true }).sort()).toEqual(before);
    const again = await open(dir, { hasher: blake3() });
    expect([again.n, again.size]).toEqual([3, 10]);
    await again.close();
  });
});
