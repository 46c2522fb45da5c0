import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirDurable, pwriteAll, readWholeFile, writeFileAtomic } from '../src/fs/helpers.js';
import { nodeFileSystem } from '../src/fs/node.js';
import type { FileSystem } from '../src/fs/types.js';
import { fsRejectionCode } from './support/outcomes.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotortree-fs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('nodeFileSystem', () => {
  it('does positional I/O, size, truncate and syncs', async () => {
    const fs = nodeFileSystem();
    const path = join(dir, 'a');
    const fh = await fs.open(path, 'wx+');
    await fh.pwrite(Uint8Array.of(9, 1, 2, 3, 9), 1, 3, 4);
    expect(await fh.size()).toBe(7);
    const out = new Uint8Array(12);
    expect(await fh.read(out, 2, 10, 0)).toBe(7);
    expect([...out.subarray(2, 9)]).toEqual([0, 0, 0, 0, 1, 2, 3]);
    await fh.datasync();
    await fh.truncate(5);
    await fh.sync();
    expect(await fh.size()).toBe(5);
    await fh.close();
    expect(await fsRejectionCode(fs.open(path, 'wx+'))).toBe('EEXIST');
    expect(await fsRejectionCode(fs.open(join(dir, 'missing'), 'r+'))).toBe('ENOENT');
  });

  it('offers startWriteback only with the platform hook, which gets the open file\'s descriptor', async () => {
    expect((await nodeFileSystem().open(join(dir, 'plain'), 'wx+')).startWriteback).toBeUndefined();
    const fds: number[] = [];
    const fs = nodeFileSystem({ startWriteback: async (fd) => void fds.push(fd) });
    const fh = await fs.open(join(dir, 'hooked'), 'wx+');
    await fh.pwrite(Uint8Array.of(1, 2, 3), 0, 3, 0);
    await fh.startWriteback!();
    await fh.startWriteback!();
    expect(fds.length).toBe(2);
    expect(Number.isInteger(fds[0]) && fds[0]! >= 0 && fds[1] === fds[0]).toBe(true);
    await fh.close();
  });

  it('gather-writes more buffers than one writev takes (IOV_MAX), empty ones included, at a position', async () => {
    const fs = nodeFileSystem();
    const path = join(dir, 'v');
    const fh = await fs.open(path, 'wx+');
    const bufs = Array.from({ length: 2500 }, (_, i) => Uint8Array.from({ length: i % 7 }, (_, j) => (i + j) & 0xff));
    const expected = Uint8Array.from([0, 0, 0, ...bufs.flatMap((b) => [...b])]);
    await pwriteAll(fh, bufs, 3);
    await fh.datasync();
    await fh.close();
    expect(await readWholeFile(fs, path)).toEqual(expected);
  });

  it('pwriteAll falls back to one pwrite per buffer on a handle without pwritev', async () => {
    const fs = nodeFileSystem();
    const fh = await fs.open(join(dir, 'w'), 'wx+');
    const calls: number[] = [];
    const plain = { ...fh, pwritev: undefined, pwrite: (b: Uint8Array, o: number, l: number, p: number) => (calls.push(p), fh.pwrite(b, o, l, p)) };
    await pwriteAll(plain, [Uint8Array.of(1, 2), Uint8Array.of(3)], 5);
    expect(calls).toEqual([5, 7]);
    const out = new Uint8Array(8);
    expect(await fh.read(out, 0, 8, 0)).toBe(8);
    expect([...out]).toEqual([0, 0, 0, 0, 0, 1, 2, 3]);
    await fh.close();
  });

  it('renames, lists, stats, unlinks and fsyncs a directory', async () => {
    const fs = nodeFileSystem();
    await fs.mkdir(join(dir, 'x', 'y'), { recursive: true });
    await fs.mkdir(join(dir, 'x', 'y'), { recursive: true });
    await writeFileAtomic(fs, join(dir, 'x', 'f'), Uint8Array.of(1, 2));
    await fs.rename(join(dir, 'x', 'f'), join(dir, 'x', 'g'));
    await fs.fsyncDir(join(dir, 'x'));
    expect((await fs.readdir(join(dir, 'x'))).sort()).toEqual(['g', 'y']);
    expect(await fs.stat(join(dir, 'x', 'g'))).toEqual({ size: 2, isFile: true, isDirectory: false });
    expect((await fs.stat(join(dir, 'x')))?.isDirectory).toBe(true);
    expect([...(await readWholeFile(fs, join(dir, 'x', 'g')))]).toEqual([1, 2]);
    await fs.unlink(join(dir, 'x', 'g'));
    expect(await fs.exists(join(dir, 'x', 'g'))).toBe(false);
    expect(await fs.stat(join(dir, 'nothing'))).toBeUndefined();
  });
});

describe('mkdirDurable', () => {
  /** The real file system, recording the directories it fsyncs. */
  function recording() {
    const synced: string[] = [];
    const real = nodeFileSystem();
    const fs: FileSystem = Object.assign(Object.create(real) as FileSystem, {
      fsyncDir: async (d: string) => {
        synced.push(d);
        return real.fsyncDir(d);
      },
    });
    return { fs, synced };
  }

  it('creates every missing parent and fsyncs the directory holding each new name, top down', async () => {
    const { fs, synced } = recording();
    const target = join(dir, 'a', 'b', 'c');
    const created = await mkdirDurable(fs, target);
    expect(created).toEqual([join(dir, 'a'), join(dir, 'a', 'b'), target]);
    expect(synced).toEqual([dir, join(dir, 'a'), join(dir, 'a', 'b')]);
    expect((await fs.stat(target))?.isDirectory).toBe(true);
  });

  it('does nothing for an existing directory', async () => {
    const { fs, synced } = recording();
    expect(await mkdirDurable(fs, dir)).toEqual([]);
    expect(synced).toEqual([]);
  });

  it('names what it was about to create when it fails (a file in the way), for the caller to remove', async () => {
    const { fs } = recording();
    await writeFileAtomic(fs, join(dir, 'file'), Uint8Array.of(1));
    const created: string[] = [];
    await expect(mkdirDurable(fs, join(dir, 'file', 'x', 'y'), created)).rejects.toThrow();
    expect(created.every((d) => d.startsWith(join(dir, 'file')))).toBe(true);
  });
});
