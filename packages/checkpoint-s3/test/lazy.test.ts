import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkNodesFor, generateConsistencyProof, generateProof, verifyProof } from '@rotortree/core';
import { s3CheckpointStore } from '../src/index.js';
import type { S3Target } from './support/targets.js';
import { targetMakers } from './support/targets.js';
import { expectSameTree, hasher, identity, treeOf } from './support/trees.js';

const SIZE = 200_000;
const CHUNK = chunkNodesFor(4) * 32;

for (const { name, make, skip } of targetMakers()) {
  describe.skipIf(skip)(`lower levels read on demand, on ${name}`, () => {
    let target: S3Target;
    const tree = treeOf(4, SIZE);
    beforeAll(async () => {
      target = await make();
    });
    afterAll(async () => target?.close());

    async function publish(extra = {}) {
      const options = target.options({ segmentBytes: 1 << 20, ...extra });
      const id = identity(4);
      const w = s3CheckpointStore(options);
      await w.open(id);
      await w.write(tree.snapshot(), 1);
      await w.close();
      return { options, id };
    }

    it('opens without downloading the lazy levels; proofs fetch one page per lazy level and equal the in-memory ones', async () => {
      const { options, id } = await publish();
      const log = target.fake?.log;
      const before = log?.length ?? 0;
      const r = s3CheckpointStore({ ...options, readOnly: true, pinAboveLevel: 2 });
      const got = await r.open(id);
      const view = got!.view;
      expect([view.isLazy(0), view.isLazy(1), view.isLazy(2)]).toEqual([true, true, false]);
      if (log !== undefined) {
        const segGets = log.slice(before).filter((e) => e.method === 'GET' && e.key.includes('/seg/'));
        // Only ranged GETs of the lazy levels: their trailers (with each level's last page), never a whole segment.
        expect(segGets.some((e) => /\/seg\/0[01]\//.test(e.key) && e.range === undefined)).toBe(false);
      }
      // A synchronous read of a chunk not fetched yet is refused, never served as zeros.
      expect(() => view.getNode(0, 5)).toThrow(expect.objectContaining({ code: 'IO' }));
      const snap = tree.snapshot();
      for (const i of [0, 1, 1023, 1024, 77_777, 150_000, SIZE - 1]) {
        const logAt = log?.length ?? 0;
        const proof = await view.generateProof(i);
        expect(proof).toEqual(generateProof(snap, i));
        expect(verifyProof(hasher, proof, { root: snap.root!, size: SIZE, n: 4 })).toBe(true);
        if (log !== undefined) {
          const ranged = log.slice(logAt).filter((e) => e.range !== undefined && !e.range.startsWith('bytes=-'));
          expect(ranged.length).toBeLessThanOrEqual(4); // chunk pages (and trailers on first use) of levels 0 and 1
        }
      }
      expect(await view.generateConsistencyProof(12_345, hasher)).toEqual(generateConsistencyProof(snap, 12_345, hasher));
      // Now held in the cache: served synchronously.
      expect(view.getNode(0, SIZE - 1)).toEqual(snap.getNode(0, SIZE - 1));
      // Reading everything through read() gives the whole tree.
      await view.read((v) => expectSameTree(v, snap));
      await r.close();
    });

    it('the cache stays within its budget (plus the pages of the read in progress)', async () => {
      const { options, id } = await publish();
      const budget = 3 * CHUNK;
      const r = s3CheckpointStore({ ...options, readOnly: true, pinAboveLevel: 1, cacheBytes: budget, fetchChunks: 2 });
      const view = (await r.open(id))!.view;
      const snap = tree.snapshot();
      for (let j = 0; j < 20; j++) {
        const i = (j * 9973) % SIZE;
        expect(await view.generateProof(i)).toEqual(generateProof(snap, i));
      }
      expect(r.cacheStats().bytes).toBeLessThanOrEqual(budget + CHUNK);
      expect(r.cacheStats().fetches).toBeGreaterThanOrEqual(20);
      await view.prefetch(0, 0, 10 * 1024);
      expect(() => view.getNode(0, 0)).toThrow(expect.objectContaining({ code: 'IO' })); // evicted: 10 chunks > budget
      expect(view.getNode(0, 9 * 1024)).toEqual(snap.getNode(0, 9 * 1024)); // the last pages fetched are held
      await r.close();
    });
  });
}
