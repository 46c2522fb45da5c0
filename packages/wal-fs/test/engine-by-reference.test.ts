// The engine's large batches over the real file WAL, logged by reference (the tree's level-0
// chunks, streamed by the flush while the tree stores them): what reaches the file is what was
// inserted, even when the caller reuses its buffer at once; a write failure poisons.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeanIMT, RotorTree } from '@rotortree/core';
import { faultyFileSystem } from '@rotortree/core/fs';
import { blake3 } from '@rotortree/hasher-blake3';
import { fsWal } from '../src/index.js';
import { codeOf } from './support.js';

const hasher = blake3();

function leaves(count: number, from: number): Uint8Array {
  const flat = new Uint8Array(count * 32);
  const view = new DataView(flat.buffer);
  for (let i = 0; i < count; i++) {
    view.setUint32(i * 32, from + i + 1, true);
    view.setUint32(i * 32 + 20, (from + i) * 2654435761, true);
  }
  return flat;
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotortree-byref-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RotorTree over fsWal: batches logged by reference', () => {
  /**
   * Inserts batches of `counts` leaves through `insert` over the real WAL (interval flush), waits for
   * their tokens, and checks the tree and a reopen of it against the same leaves in a plain tree.
   */
  async function expectLoggedAsInserted(
    counts: readonly number[],
    insert: (tree: RotorTree, reference: LeanIMT, count: number, first: number) => { wait(): Promise<void> },
  ): Promise<void> {
    const open = () => RotorTree.open({ hasher, n: 4, maxDepth: 32, wal: fsWal({ dir }), flushPolicy: { kind: 'interval', ms: 1 } });
    const reference = new LeanIMT({ hasher, n: 4, maxDepth: 32 });
    const tree = await open();
    let size = 0;
    const tokens = [];
    for (const count of counts) {
      tokens.push(insert(tree, reference, count, size));
      size += count;
    }
    await Promise.all(tokens.map((t) => t.wait()));
    expect(tree.root).toEqual(reference.root);
    await tree.close();
    const again = await open();
    expect(again.size).toBe(size);
    expect(again.root).toEqual(reference.root);
    await again.close();
  }

  it('a batch whose buffer is reused at once is logged as inserted, between small records, across reopens', async () => {
    const buf = new Uint8Array(100_000 * 32);
    await expectLoggedAsInserted([3, 100_000, 1, 40_000, 70_001, 2], (tree, reference, count, first) => {
      const batch = buf.subarray(0, count * 32);
      batch.set(leaves(count, first));
      reference.insertMany(batch);
      const { token } = count === 1 ? tree.insert(batch) : tree.insertMany(batch);
      batch.fill(0xa5); // reused before any flush completed
      return token;
    });
  });

  it('batches whose buffers are transferred are logged as inserted (the real WAL writes the taken memory)', async () => {
    await expectLoggedAsInserted([3, 100_000, 70_001, 2], (tree, reference, count, first) => {
      const batch = leaves(count, first);
      reference.insertMany(batch.slice());
      const { token } = tree.insertMany(batch, { transfer: true });
      expect(batch.length).toBe(0);
      return token;
    });
  });

  it('a failed write of a streamed batch poisons the tree and rejects its token', async () => {
    const fs = faultyFileSystem({ seed: 5 });
    const tree = await RotorTree.open({ hasher, n: 4, maxDepth: 32, wal: fsWal({ dir: '/db', fs }), flushPolicy: { kind: 'manual' } });
    const first = tree.insert(leaves(1, 0));
    await tree.flush();
    fs.failAt({ op: 'write', nth: 2, code: 'EIO', path: '/db/wal.log' });
    const big = tree.insertMany(leaves(50_000, 1));
    expect(await codeOf(big.token.wait())).toBe('POISONED');
    expect(tree.poisoned).toBe(true);
    expect(await codeOf(() => tree.insert(leaves(1, 60_000)))).toBe('POISONED');
    expect(first.token.isDurable()).toBe(true);
    await tree.close();
  });
});
