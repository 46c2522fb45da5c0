// The engine over the real file WAL with large batches (logged by reference, streamed while they
// are stored) killed with SIGKILL at random moments: no acknowledged batch lost, every batch whole
// or absent, the leaves a prefix, and the root that of the same leaves inserted from scratch.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeanIMT, RotorTree } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { fsWal } from '../src/index.js';
import { fillLeaves, isBatchBoundary } from './engine-batches.mjs';
import { runChildUntilKilled } from './kill-child.js';

const CHILD = fileURLToPath(new URL('./engine-child-batches.mjs', import.meta.url));
const hasher = blake3();
const MAX_LEAVES = 2_000_000;

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotortree-kill-batches-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RotorTree over fsWal: SIGKILL during large batches', () => {
  it('no acknowledged batch is lost; batches are whole or absent; the root is that of the leaves', async () => {
    const cycles = Number(process.env.ROTORTREE_KILL_CYCLES ?? 16);
    let verified = 0;
    let totalAcked = 0;
    let seed = 777;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const reference = new LeanIMT({ hasher, n: 4, maxDepth: 32 }); // the leaves verified so far
    for (let cycle = 0; cycle < cycles; cycle++) {
      const { acked, recovered } = await runChildUntilKilled(CHILD, [dir, String(MAX_LEAVES)], { killAfterMs: 5 + Math.floor(random() * 120) });
      if (recovered !== undefined) expect(recovered).toBe(verified);
      totalAcked = Math.max(totalAcked, acked);
      const tree = await RotorTree.open({ hasher, n: 4, maxDepth: 32, wal: fsWal({ dir }), flushPolicy: { kind: 'manual' } });
      const size = tree.size;
      expect(size).toBeGreaterThanOrEqual(Math.max(acked, verified));
      expect(isBatchBoundary(0, size)).toBe(true);
      if (size > verified) {
        // The new leaves are the workload's, and the root is that of all leaves inserted from scratch.
        const added = new Uint8Array((size - verified) * 32);
        fillLeaves(added, verified);
        const view = tree.snapshot();
        const got = new Uint8Array(32);
        let firstBad = -1;
        for (let i = verified; i < size && firstBad < 0; i++) {
          view.readNode(0, i, got, 0);
          if (Buffer.compare(got, added.subarray((i - verified) * 32, (i - verified) * 32 + 32)) !== 0) firstBad = i;
        }
        expect(firstBad).toBe(-1);
        reference.insertMany(added);
      }
      expect(tree.root).toEqual(reference.root);
      if (process.env.ENGINE_CRASH_DEBUG) console.log(`cycle ${cycle}: recovered ${recovered} acked ${acked} size ${size} torn ${tree.recovery.tornTail?.bytes ?? 0}`);
      verified = size;
      await tree.close();
    }
    expect(totalAcked).toBeGreaterThan(0); // not vacuous
  }, 240_000);
});
