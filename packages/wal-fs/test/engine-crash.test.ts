// The engine over the real file WAL: reopen after close and after flush, and a child process
// SIGKILLed at random moments (no acknowledged insert lost, leaves a prefix, root recomputed).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hasher } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
// The engine from the built core (the package root exports it once the lead adds it).
import { RotorTree } from '@rotortree/core';
import type { FlushPolicy } from '@rotortree/core';
import { MemoryDisk, memoryCheckpointStore } from '@rotortree/core';
import { fsWal } from '../src/index.js';
import { codeOf } from './support.js';
import { runChildUntilKilled } from './kill-child.js';
import { isRecordBoundary, leafAt, recordLength } from './engine-sequence.mjs';

const CHILD = fileURLToPath(new URL('./engine-child.mjs', import.meta.url));
const hasher = blake3();
/** One group at a time, JS backend: independent of the tree's batched paths and the native kernel. */
const naiveHasher: Hasher = blake3({ backend: 'js' });

function naiveRoot(leaves: readonly Uint8Array[], n: number): Uint8Array | undefined {
  if (leaves.length === 0) return undefined;
  let level = leaves.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += n) {
      const group = level.slice(i, i + n);
      if (group.length === 1) {
        next.push(group[0]!);
        continue;
      }
      const buf = new Uint8Array(group.length * 32);
      group.forEach((c, j) => buf.set(c, j * 32));
      const out = new Uint8Array(32);
      naiveHasher.hashGroup(buf, 0, group.length, out, 0);
      next.push(out);
    }
    level = next;
  }
  return level[0];
}

function openTree(dir: string, n: number, flushPolicy: FlushPolicy = { kind: 'manual' }) {
  return RotorTree.open({ hasher, n, maxDepth: 32, wal: fsWal({ dir }), flushPolicy });
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotortree-engine-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RotorTree over fsWal', () => {
  it('reopens after close with the same leaves and root', async () => {
    const tree = await openTree(dir, 4);
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < 300; ) {
      const k = recordLength(i);
      const batch = Array.from({ length: k }, (_, j) => leafAt(i + j));
      if (k === 1) tree.insert(batch[0]!);
      else tree.insertMany(batch);
      leaves.push(...batch);
      i += k;
    }
    const root = tree.root;
    await tree.close();
    const again = await openTree(dir, 4);
    expect(again.size).toBe(leaves.length);
    expect(again.root).toEqual(root);
    expect(again.root).toEqual(naiveRoot(leaves, 4));
    const view = again.snapshot();
    for (let i = 0; i < leaves.length; i++) expect(view.getNode(0, i)).toEqual(leaves[i]);
    await again.close();
  });

  it('after flush and close: everything is there; a second opener gets FILE_LOCKED meanwhile', async () => {
    const tree = await openTree(dir, 2);
    tree.insert(leafAt(0));
    await tree.insertDurable(leafAt(1));
    tree.insert(leafAt(2)); // buffered: close() flushes it
    expect(await codeOf(openTree(dir, 2))).toBe('FILE_LOCKED');
    await tree.close();
    const again = await openTree(dir, 2);
    expect(again.size).toBe(3);
    expect(again.root).toEqual(naiveRoot([leafAt(0), leafAt(1), leafAt(2)], 2));
    await again.close();
  });

  it('checkpoints truncate the file WAL; inserts during a checkpoint stay in it; reopen is right', async () => {
    const disk = new MemoryDisk();
    const open = (policy: 'manual' | 'onClose') =>
      RotorTree.open({
        hasher,
        n: 3,
        maxDepth: 32,
        wal: fsWal({ dir }),
        checkpoints: memoryCheckpointStore({ disk }),
        flushPolicy: { kind: 'interval', ms: 1 },
        checkpointPolicy: { kind: policy },
        verifyCheckpoint: true,
      });
    const tree = await open('manual');
    const leaves = Array.from({ length: 500 }, (_, i) => leafAt(i));
    for (let i = 0; i < 200; i++) tree.insert(leaves[i]!);
    const cp = tree.checkpoint();
    for (let i = 200; i < 300; i++) tree.insert(leaves[i]!);
    await cp;
    expect(tree.checkpointSeq).toBe(200);
    tree.insertMany(leaves.slice(300, 400));
    await tree.close();
    const again = await open('onClose');
    expect(again.recovery).toMatchObject({ checkpointSeq: 200, replayedRecords: 101, lastSeq: 301 });
    expect(again.root).toEqual(naiveRoot(leaves.slice(0, 400), 3));
    again.insertMany(leaves.slice(400));
    await again.close();
    const third = await open('manual');
    expect(third.recovery).toMatchObject({ checkpointSeq: 302, replayedRecords: 0 });
    expect(third.root).toEqual(naiveRoot(leaves, 3));
    expect(third.insert(leafAt(500)).token.seq).toBe(303);
    await third.close();
  });

  it('interval flush resolves tokens; a CONFIG_MISMATCH reopen is refused', async () => {
    const tree = await openTree(dir, 4, { kind: 'interval', ms: 2 });
    const results = Array.from({ length: 1000 }, (_, i) => tree.insert(leafAt(i)));
    await Promise.all(results.map((r) => r.token.wait()));
    expect(results.every((r) => r.token.isDurable())).toBe(true);
    await tree.close();
    expect(await codeOf(openTree(dir, 2))).toBe('CONFIG_MISMATCH');
    const again = await openTree(dir, 4);
    expect(again.size).toBe(1000);
    await again.close();
  });
});

describe('RotorTree over fsWal: SIGKILL at random moments', () => {
  it('no acknowledged insert is lost; leaves are a prefix; the root is the naive root', async () => {
    const n = 4;
    const cycles = Number(process.env.ROTORTREE_KILL_CYCLES ?? 24);
    let verified = 0; // leaves verified so far (a record boundary)
    let totalAcked = 0;
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const expected: Uint8Array[] = [];
    for (let cycle = 0; cycle < cycles; cycle++) {
      // Every fourth cycle counts from the spawn, so some kills land during recovery.
      const schedule = { killAfterMs: 20 + Math.floor(random() * 300), fromSpawn: cycle % 4 === 3 };
      const { acked, recovered } = await runChildUntilKilled(CHILD, [dir, String(n), '2'], schedule);
      if (recovered !== undefined) expect(recovered).toBe(verified);
      totalAcked = Math.max(totalAcked, acked);
      const tree = await openTree(dir, n);
      const size = tree.size;
      expect(size).toBeGreaterThanOrEqual(Math.max(acked, verified));
      expect(isRecordBoundary(verified, size)).toBe(true);
      const view = tree.snapshot();
      for (let i = expected.length; i < size; i++) expected.push(leafAt(i));
      expected.length = size;
      for (let i = verified; i < size; i++) expect(view.getNode(0, i)).toEqual(expected[i]);
      expect(tree.root).toEqual(naiveRoot(expected, n));
      if (process.env.ENGINE_CRASH_DEBUG) console.log(`cycle ${cycle}: recovered ${recovered} acked ${acked} size ${size}`);
      verified = size;
      await tree.close();
    }
    // The runs made progress (the test is not vacuous).
    expect(totalAcked).toBeGreaterThan(0);
  }, 240_000);
});
