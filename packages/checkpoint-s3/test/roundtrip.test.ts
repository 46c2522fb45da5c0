import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeanIMT, RotorTree, chunkNodesFor, verifyProof } from '@rotortree/core';
import { fsWal } from '@rotortree/wal-fs';
import { s3CheckpointStore } from '../src/index.js';
import type { S3Target } from './support/targets.js';
import { targetMakers } from './support/targets.js';
import { MAX_DEPTH, expectSameTree, growTo, hasher, identity, leaves, treeOf } from './support/trees.js';

for (const { name, make, skip } of targetMakers()) {
  describe.skipIf(skip)(`round trips on ${name}`, () => {
    let target: S3Target;
    beforeAll(async () => {
      target = await make();
    });
    afterAll(async () => target?.close());

    it('write then open gives back every node (sizes around chunk boundaries, several n)', async () => {
      for (const n of [2, 3, 4, 16]) {
        const cn = chunkNodesFor(n);
        for (const size of [0, 1, n, cn - 1, cn, cn + 1, n * cn + 3]) {
          const options = target.options({ segmentBytes: 2 * cn * 32 });
          const id = identity(n);
          const tree = treeOf(n, size);
          const w = s3CheckpointStore(options);
          expect(await w.open(id)).toBeUndefined();
          await w.write(tree.snapshot(), size + 1);
          await w.close();
          const r = s3CheckpointStore({ ...options, readOnly: true });
          const got = await r.open(id);
          expect(got?.seq).toBe(size + 1);
          expectSameTree(got!.view, tree);
          await r.close();
        }
      }
    });

    it('successive checkpoints of a growing tree: each reopen equals the tree at that size', async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(2, 4, 16), fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 4 }), async (n, steps) => {
          const options = target.options({ segmentBytes: chunkNodesFor(n) * 32 * 2 });
          const id = identity(n);
          const tree = new LeanIMT({ hasher, n, maxDepth: MAX_DEPTH });
          const w = s3CheckpointStore(options);
          await w.open(id);
          let seq = 0;
          for (const step of steps) {
            growTo(tree, tree.size + step);
            await w.write(tree.snapshot(), ++seq);
            const r = s3CheckpointStore({ ...options, readOnly: true });
            const got = await r.open(id);
            expect(got?.seq).toBe(seq);
            expectSameTree(got!.view, tree);
            await r.close();
          }
          await w.close();
        }),
        { numRuns: target.name === 'fake' ? 12 : 4 },
      );
    });

    it('a reader store refuses to write; after close the store and its views are CLOSED', async () => {
      const options = target.options();
      const id = identity(4);
      const w = s3CheckpointStore(options);
      await w.open(id);
      await w.write(treeOf(4, 2000).snapshot(), 1);
      await w.close();
      await expect(w.write(treeOf(4, 2001).snapshot(), 2)).rejects.toMatchObject({ code: 'CLOSED' });
      const r = s3CheckpointStore({ ...options, readOnly: true, pinAboveLevel: 1 });
      const view = (await r.open(id))!.view;
      await expect(r.write(treeOf(4, 2001).snapshot(), 2)).rejects.toThrow(TypeError);
      await r.close();
      expect(() => view.getNode(1, 0)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
      await expect(view.generateProof(0)).rejects.toMatchObject({ code: 'CLOSED' });
    });

    it('through the engine: checkpoint, reopen, same tree and proofs', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rotortree-s3-engine-'));
      try {
        const options = target.options();
        const open = () =>
          RotorTree.open({ hasher, n: 4, maxDepth: 20, wal: fsWal({ dir }), checkpoints: s3CheckpointStore(options), flushPolicy: { kind: 'manual' } });
        const a = await open();
        a.insertMany(leaves(0, 5000));
        await a.flush();
        await a.checkpoint();
        a.insertMany(leaves(5000, 777));
        await a.flush();
        const root = a.snapshot().root;
        await a.close();

        const b = await open();
        expect(b.recovery.checkpointLeaves).toBe(5000);
        expect(b.size).toBe(5777);
        expect(b.snapshot().root).toEqual(root);
        expectSameTree(b.snapshot(), treeOf(4, 5777));
        for (const i of [0, 1023, 4999, 5776]) {
          const proof = b.snapshot().generateProof(i);
          expect(verifyProof(hasher, proof, { root: root!, size: 5777, n: 4 })).toBe(true);
        }
        await b.checkpoint();
        await b.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
