import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeanIMT, RotorTree, chunkNodesFor, verifyProof, toHex } from '@rotortree/core';
import type { InsertResult } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { fsWal } from '@rotortree/wal-fs';
import { mmapCheckpointStore } from '../src/index.js';

const hasher = blake3();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function leaves(count: number, from = 0): Uint8Array {
  const flat = new Uint8Array(count * 32);
  const view = new DataView(flat.buffer);
  for (let i = 0; i < count; i++) view.setUint32(i * 32, from + i + 1, true);
  return flat;
}

async function open(dir: string, pinAboveLevel: number, mmap: 'auto' | 'off') {
  return RotorTree.open({
    hasher,
    n: 4,
    maxDepth: 20,
    wal: fsWal({ dir }),
    checkpoints: mmapCheckpointStore({ dir, mmap }),
    flushPolicy: { kind: 'manual' },
    tiering: { pinAboveLevel },
  });
}

describe('engine tiering over checkpoint-mmap', () => {
  for (const mmap of ['auto', 'off'] as const) {
    it(`lower levels come from the checkpoint after a checkpoint and at open (mmap ${mmap}); reads, proofs and growth stay right`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rotortree-tier-'));
      dirs.push(dir);
      const cn = chunkNodesFor(4);
      const total = cn * 9 + 37;
      const all = leaves(total + 5000);
      const reference = new LeanIMT({ hasher, n: 4, maxDepth: 20 });
      reference.insertMany(all.subarray(0, total * 32));

      const tree = await open(dir, 2, mmap);
      tree.insertMany(all.subarray(0, (total - 10) * 32));
      const before = tree.snapshot();
      await tree.checkpoint(); // re-tiers: levels 0 and 1 now read their settled chunks from the store
      for (let i = total - 10; i < total; i++) tree.insert(all.subarray(i * 32, i * 32 + 32));
      await tree.flush();
      const snap = tree.snapshot();
      expect(toHex(snap.root!)).toBe(toHex(reference.root!));
      for (const i of [0, 1, cn - 1, cn, 5 * cn + 3, total - 11, total - 1]) {
        expect(toHex(snap.getNode(0, i))).toBe(toHex(reference.getNode(0, i)));
        const proof = snap.generateProof(i);
        expect(verifyProof(hasher, proof, { root: reference.root!, size: total, n: 4 })).toBe(true);
      }
      // A snapshot taken before the checkpoint still reads its own state.
      expect(before.size).toBe(total - 10);
      await tree.close();
      // Reads of a closed store's views fail with CLOSED, never return wrong bytes.
      if (mmap === 'auto') expect(() => snap.getNode(0, 0)).toThrow(expect.objectContaining({ code: 'CLOSED' }));

      const again = await open(dir, 2, mmap);
      expect(again.size).toBe(total);
      expect(toHex(again.root!)).toBe(toHex(reference.root!));
      again.insertMany(all.subarray(total * 32));
      reference.insertMany(all.subarray(total * 32));
      expect(toHex(again.root!)).toBe(toHex(reference.root!));
      const s2 = again.snapshot();
      for (const i of [3, cn * 4 + 1, total + 4999]) {
        expect(verifyProof(hasher, s2.generateProof(i), { root: reference.root!, size: total + 5000, n: 4 })).toBe(true);
      }
      await again.checkpoint();
      // A transferred batch (whole chunks of it become level 0) over the restored, tiered tree; the
      // next checkpoint re-tiers those chunks too.
      const more = leaves(3 * cn + 70_000, total + 5000);
      reference.insertMany(more.slice());
      again.insertMany(more, { transfer: true });
      expect(toHex(again.root!)).toBe(toHex(reference.root!));
      await again.checkpoint();
      await again.close();
      const third = await open(dir, 2, mmap);
      expect(third.size).toBe(reference.size);
      expect(toHex(third.root!)).toBe(toHex(reference.root!));
      expect(toHex(third.snapshot().getNode(0, total + 5000 + 2 * cn + 7))).toBe(toHex(reference.getNode(0, total + 5000 + 2 * cn + 7)));
      await third.close();
    });
  }
});

describe('engine verifyCheckpoint over checkpoint-mmap', () => {
  it('a damaged settled leaf in a segment is CORRUPTION with verifyCheckpoint (whole-chunk comparison)', async () => {
    const { readdirSync, openSync, readSync, writeSync, closeSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'rotortree-verify-'));
    dirs.push(dir);
    const cn = chunkNodesFor(4);
    const tree = await open(dir, 0, 'auto');
    tree.insertMany(leaves(cn * 6 + 3));
    await tree.checkpoint();
    await tree.close();
    const segment = readdirSync(dir).find((f) => f.startsWith('seg-'));
    expect(segment).toBeDefined();
    const fd = openSync(join(dir, segment!), 'r+');
    const byte = new Uint8Array(1);
    readSync(fd, byte, 0, 1, 100);
    byte[0]! ^= 0x40;
    writeSync(fd, byte, 0, 1, 100);
    closeSync(fd);
    let code: string | undefined;
    try {
      const verified = await RotorTree.open({
        hasher,
        n: 4,
        maxDepth: 20,
        wal: fsWal({ dir }),
        checkpoints: mmapCheckpointStore({ dir }),
        flushPolicy: { kind: 'manual' },
        verifyCheckpoint: true,
      });
      await verified.close();
    } catch (err) {
      code = (err as { code?: string }).code;
    }
    expect(code).toBe('CORRUPTION');
  });
});

describe('results of single inserts on a tiered tree, after close', () => {
  it('a root not read before close is CLOSED when it needs the unmapped files; the final root still reads; roots read before close stay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotortree-tier-close-'));
    dirs.push(dir);
    const cn = chunkNodesFor(4);
    const total = cn * 6;
    const all = leaves(total + 20);
    const reference = new LeanIMT({ hasher, n: 4, maxDepth: 20 });
    const tree = await open(dir, 2, 'auto');
    tree.insertMany(all.subarray(0, total * 32));
    reference.insertMany(all.subarray(0, total * 32));
    await tree.checkpoint(); // levels 0 and 1 now read their settled chunks from the mapped files
    const results: InsertResult[] = [];
    const roots: string[] = [];
    for (let i = total; i < total + 20; i++) {
      results.push(tree.insert(all.subarray(i * 32, i * 32 + 32)));
      reference.insert(all.subarray(i * 32, i * 32 + 32));
      roots.push(toHex(reference.root!));
    }
    const readEarly = results[3]!.root; // read before close: kept
    await tree.close();
    expect(toHex(readEarly)).toBe(roots[3]);
    expect(toHex(results[19]!.root)).toBe(roots[19]);
    expect(() => results[7]!.root).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(toHex(results[3]!.root)).toBe(roots[3]);
  });
});
