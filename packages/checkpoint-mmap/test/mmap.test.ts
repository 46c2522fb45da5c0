/**
 * The mmap addon and the two read paths: identical reads, zero-copy chunks, no crash on use after
 * unmap, forced fallback, windows past 4 GiB, and the exclusive lock.
 */
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LeanIMT, NODE_SIZE } from '@rotortree/core';
import { loadMmapAddon, mmapCheckpointStore } from '../src/index.js';
import { chunkNodesFor } from '@rotortree/core';
import { configFor, dirForTest, expectSameTree, growTo, hasher, leaves, treeOf } from './support/trees.js';


const addon = loadMmapAddon();
const withAddon = addon === undefined ? it.skip : it;

async function writtenDir(n: number, size: number): Promise<string> {
  const dir = dirForTest();
  const s = mmapCheckpointStore({ dir });
  await s.open(configFor(n));
  await s.write(treeOf(n, size).snapshot(), 9);
  await s.close();
  return dir;
}

describe('mmap and read-into-memory paths', () => {
  withAddon('the addon is built here and mmap is used by default', async () => {
    const dir = await writtenDir(4, 5000);
    const s = mmapCheckpointStore({ dir });
    const got = await s.open(configFor(4));
    expect(s.mapped).toBe(true);
    expect(got!.view.mapped).toBe(true);
    await s.close();
  });

  it('both paths read identical nodes, every level', async () => {
    /** Every node of every level, flattened. */
    const allNodes = (view: { depth: number; levelLength(k: number): number; readNode(k: number, i: number, o: Uint8Array, at: number): void }): Uint8Array[] =>
      Array.from({ length: view.depth + 1 }, (_, k) => {
        const out = new Uint8Array(view.levelLength(k) * NODE_SIZE);
        for (let i = 0; i < view.levelLength(k); i++) view.readNode(k, i, out, i * NODE_SIZE);
        return out;
      });
    for (const [n, size] of [
      [2, 9000],
      [3, 4000],
      [4, 70000],
    ] as const) {
      const dir = await writtenDir(n, size);
      const mapped = mmapCheckpointStore({ dir });
      const viaMmap = allNodes((await mapped.open(configFor(n)))!.view);
      expect(mapped.mapped).toBe(addon !== undefined);
      await mapped.close();
      const read = mmapCheckpointStore({ dir, mmap: 'off' });
      const view = (await read.open(configFor(n)))!.view;
      expect(read.mapped).toBe(false);
      const viaRead = allNodes(view);
      expect(viaRead.length).toBe(viaMmap.length);
      viaRead.forEach((level, k) => expect(Buffer.compare(level, viaMmap[k]!), `level ${k}`).toBe(0));
      expectSameTree(view, treeOf(n, size));
      await read.close();
    }
  });

  it('readNodes (bulk) agrees with readNode across chunk and tail boundaries', async () => {
    const n = 4;
    const size = 3 * chunkNodesFor(n) + 17;
    const dir = await writtenDir(n, size);
    const s = mmapCheckpointStore({ dir });
    const view = (await s.open(configFor(n)))!.view;
    const len = view.levelLength(0);
    const bulk = new Uint8Array(len * NODE_SIZE);
    const one = new Uint8Array(len * NODE_SIZE);
    for (const [from, count] of [
      [0, len],
      [1000, 100],
      [len - 20, 20],
      [2047, 2],
    ] as const) {
      view.readNodes(0, from, count, bulk, 0);
      for (let i = 0; i < count; i++) view.readNode(0, from + i, one, i * NODE_SIZE);
      expect(Buffer.compare(bulk.subarray(0, count * NODE_SIZE), one.subarray(0, count * NODE_SIZE))).toBe(0);
    }
    expect(() => view.readNodes(0, len - 1, 2, bulk, 0)).toThrow(expect.objectContaining({ code: 'INDEX_OUT_OF_RANGE' }));
    expect(() => view.readNode(0, len, bulk, 0)).toThrow(expect.objectContaining({ code: 'INDEX_OUT_OF_RANGE' }));
    expect(() => view.readNode(view.depth + 1, 0, bulk, 0)).toThrow(expect.objectContaining({ code: 'INDEX_OUT_OF_RANGE' }));
    await s.close();
  });

  withAddon('chunksOf hands out zero-copy chunks of the mapped segment, in the tree layout', async () => {
    const n = 4;
    const cn = chunkNodesFor(n);
    const size = 5 * cn + 3;
    const dir = await writtenDir(n, size);
    const s = mmapCheckpointStore({ dir });
    const view = (await s.open(configFor(n)))!.view;
    const tree = treeOf(n, size);
    const level0 = view.chunksOf(0);
    expect(level0.chunkNodes).toBe(cn);
    expect(level0.chunks.length).toBe(5);
    expect(level0.tailStart).toBe(5 * cn);
    expect(level0.tail.length).toBe(3 * NODE_SIZE);
    const first = level0.chunks[0]!;
    for (const chunk of level0.chunks) {
      expect(chunk.byteLength).toBe(cn * NODE_SIZE);
      expect(chunk.buffer).toBe(first.buffer);
    }
    expect(Buffer.compare(level0.chunks[3]!.subarray(7 * NODE_SIZE, 8 * NODE_SIZE), tree.getNode(0, 3 * cn + 7))).toBe(0);
    // The mapped pages are read-only: the buffer is an external one over the mapping (never written here).
    await s.close();
    expect(first.byteLength).toBe(0);
    expect(() => view.chunksOf(0)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('LeanIMT.restore adopts the settled chunks (mapped) and the tree keeps growing correctly', async () => {
    for (const [n, size] of [
      [4, 4 * chunkNodesFor(4) * 4],
      [2, 3 * chunkNodesFor(2) + 5],
      [3, 5000],
    ] as const) {
      const dir = await writtenDir(n, size);
      const s = mmapCheckpointStore({ dir });
      const view = (await s.open(configFor(n)))!.view;
      expect(view.settledChunks(0, chunkNodesFor(n)).length).toBe(Math.floor(size / chunkNodesFor(n)));
      expect(view.settledChunks(0, chunkNodesFor(n) + n)).toEqual([]);
      const tree = new LeanIMT({ hasher, n, maxDepth: 32 });
      tree.restore(view);
      expectSameTree(tree, treeOf(n, size));
      for (let i = 0; i < 3; i++) tree.insert(leaves(tree.size, 1));
      growTo(tree, size + 2 * chunkNodesFor(n) + 1);
      expectSameTree(tree, treeOf(n, size + 2 * chunkNodesFor(n) + 1));
      await s.close();
    }
  });

  it('a tiered restore takes runs (views made on first read); snapshots read CLOSED after close, no crash', async () => {
    for (const mmap of ['auto', 'off'] as const) {
      const n = 4;
      const cn = chunkNodesFor(n);
      const size = 9 * cn + 77;
      const dir = await writtenDir(n, size);
      const s = mmapCheckpointStore({ dir, mmap, maxSegmentBytes: 2 * cn * NODE_SIZE }); // several segments
      const view = (await s.open(configFor(n)))!.view;
      const runs = view.settledRuns(0, cn);
      expect(runs.map((r) => r.firstChunk)).toEqual(runs.map((_, i) => runs.slice(0, i).reduce((sum, r) => sum + r.bytes.length / (cn * NODE_SIZE), 0)));
      expect(runs.reduce((sum, r) => sum + r.bytes.length, 0)).toBe(9 * cn * NODE_SIZE);
      expect(view.settledRuns(0, cn + 1)).toEqual([]);
      for (let c = 0; c <= 9; c++) {
        const one = view.settledChunkAt(0, cn, c);
        if (c === 9) expect(one).toBeUndefined();
        else expect(Buffer.compare(one!, view.settledChunks(0, cn)[c]!)).toBe(0);
      }
      const tree = new LeanIMT({ hasher, n, maxDepth: 32 });
      tree.restore(view, 1);
      const snap = tree.snapshot();
      expectSameTree(snap, treeOf(n, size));
      growTo(tree, size + cn);
      expectSameTree(tree, treeOf(n, size + cn));
      const lazy = new LeanIMT({ hasher, n, maxDepth: 32 });
      lazy.restore(view, 2);
      const lazySnap = lazy.snapshot();
      expect(lazySnap.getNode(0, 5)).toEqual(treeOf(n, size).getNode(0, 5)); // chunk 0 made, chunk 8 not
      await s.close();
      if (mmap === 'auto' && s.mapped) {
        for (const read of [snap, lazySnap]) {
          expect(() => read.getNode(0, 5)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
          expect(() => read.getNode(0, 8 * cn)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
        }
      }
    }
  });

  it('use after close: the view throws CLOSED, no crash', async () => {
    for (const mmap of ['auto', 'off'] as const) {
      const dir = await writtenDir(2, 5000);
      const s = mmapCheckpointStore({ dir, mmap });
      const view = (await s.open(configFor(2)))!.view;
      await s.close();
      await s.close();
      expect(() => view.getNode(0, 0)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
      expect(() => view.root).toThrow(expect.objectContaining({ code: 'CLOSED' }));
      await expect(s.write(treeOf(2, 6000).snapshot(), 10)).rejects.toMatchObject({ code: 'CLOSED' });
      await expect(s.open(configFor(2))).rejects.toMatchObject({ code: 'CLOSED' });
      await expect(s.latest()).rejects.toMatchObject({ code: 'CLOSED' });
    }
  });

  it('ROTORTREE_DISABLE_MMAP=1 forces the read-into-memory fallback', async () => {
    const dir = await writtenDir(4, 5000);
    const saved = process.env['ROTORTREE_DISABLE_MMAP'];
    process.env['ROTORTREE_DISABLE_MMAP'] = '1';
    try {
      expect(loadMmapAddon()).toBeUndefined();
      const s = mmapCheckpointStore({ dir });
      const got = await s.open(configFor(4));
      expect(s.mapped).toBe(false);
      expectSameTree(got!.view, treeOf(4, 5000));
      await s.close();
    } finally {
      if (saved === undefined) delete process.env['ROTORTREE_DISABLE_MMAP'];
      else process.env['ROTORTREE_DISABLE_MMAP'] = saved;
    }
  });
});

describe('the addon', () => {
  withAddon('maps at offsets above 4 GiB, refuses windows past EOF or over 1 GiB, unmaps once', () => {
    const a = addon!;
    const path = join(dirForTest(), 'sparse.bin');
    const fd = openSync(path, 'w+');
    try {
      const at = 5 * 2 ** 30 + 12345;
      writeSync(fd, Buffer.from('rotortree'), 0, 9, at);
      const ab = a.mapReadOnly(fd, at, 9);
      expect(Buffer.from(ab).toString()).toBe('rotortree');
      expect(() => a.mapReadOnly(fd, at, 10)).toThrow(RangeError);
      expect(() => a.mapReadOnly(fd, 0, a.maxWindow + 1)).toThrow(RangeError);
      expect(() => a.mapReadOnly(fd, 0, 0)).toThrow(RangeError);
      expect(() => a.mapReadOnly(fd, -1, 1)).toThrow(RangeError);
      const view = new Uint8Array(ab);
      expect(a.unmap(ab)).toBe(true);
      expect(a.unmap(ab)).toBe(false);
      // Detached: empty, reading gives undefined, making a view throws; no SIGSEGV.
      expect(ab.byteLength).toBe(0);
      expect(view.length).toBe(0);
      expect(view[0]).toBeUndefined();
      expect(() => new Uint8Array(ab)).toThrow(TypeError);
      expect(() => a.unmap(new ArrayBuffer(8))).toThrow(TypeError);
    } finally {
      closeSync(fd);
    }
  });

  withAddon('a mapping is not counted as V8 external memory (no GC at open), and unmap still detaches it', () => {
    const a = addon!;
    const path = join(dirForTest(), 'big.bin');
    const fd = openSync(path, 'w+');
    try {
      const len = 256 * 2 ** 20;
      writeSync(fd, Buffer.from('end'), 0, 3, len - 3);
      const before = process.memoryUsage().external;
      const ab = a.mapReadOnly(fd, 0, len);
      const grew = process.memoryUsage().external - before;
      expect(grew).toBeLessThan(32 * 2 ** 20); // an N-API external buffer counts all 256 MiB
      expect(Buffer.from(ab, len - 3, 3).toString()).toBe('end');
      expect(a.unmap(ab)).toBe(true);
      expect(ab.byteLength).toBe(0);
    } finally {
      closeSync(fd);
    }
  });

  withAddon('mapFile maps a file of exactly the given size, else returns its size; a missing file is ENOENT', () => {
    const a = addon!;
    const dir = dirForTest();
    const path = join(dir, 'seg.bin');
    const fd = openSync(path, 'w+');
    writeSync(fd, Buffer.from('0123456789'), 0, 10, 0);
    closeSync(fd);
    const ab = a.mapFile(path, 10);
    expect(ab).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(ab as ArrayBuffer).toString()).toBe('0123456789');
    expect(a.unmap(ab as ArrayBuffer)).toBe(true);
    expect(a.mapFile(path, 11)).toBe(10); // short: nothing mapped (a read past EOF would be SIGBUS)
    expect(a.mapFile(path, 9)).toBe(10);
    expect(() => a.mapFile(join(dir, 'missing.bin'), 10)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => a.mapFile(path, 0)).toThrow(RangeError);
    expect(() => a.mapFile(path, a.maxWindow + 1)).toThrow(RangeError);
  });
});

describe('the lock', () => {
  it('a second opener of the same directory gets FILE_LOCKED until the first closes', async () => {
    const dir = dirForTest();
    const a = mmapCheckpointStore({ dir });
    await a.open(configFor(4));
    const b = mmapCheckpointStore({ dir });
    await expect(b.open(configFor(4))).rejects.toMatchObject({ code: 'FILE_LOCKED' });
    await a.close();
    await expect(b.open(configFor(4))).resolves.toBeUndefined();
    await b.close();
  });

  it('another process cannot take the lock while a store holds it: the flock is on the directory', async () => {
    const dir = dirForTest();
    const s = mmapCheckpointStore({ dir });
    await s.open(configFor(4));
    const native = createRequire(import.meta.url).resolve('@rotortree/native');
    const script = `import(${JSON.stringify(native)}).then((m) => { try { m.lockDirectory(${JSON.stringify(dir)}).release(); process.stdout.write('taken'); } catch (err) { process.stdout.write(err.code); } })`;
    const held = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(held.stdout).toBe('FILE_LOCKED');
    await s.close();
    const free = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(free.stdout).toBe('taken');
  });
});
