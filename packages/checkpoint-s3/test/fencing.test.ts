import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3CheckpointStore } from '../src/index.js';
import type { S3Target } from './support/targets.js';
import { targetMakers } from './support/targets.js';
import { expectSameTree, growTo, identity, treeOf } from './support/trees.js';

for (const { name, make, skip } of targetMakers()) {
  describe.skipIf(skip)(`fencing and garbage on ${name}`, () => {
    let target: S3Target;
    beforeAll(async () => {
      target = await make();
    });
    afterAll(async () => target?.close());

    it('a stale writer (lower epoch) cannot publish; the live writer can, and collects the stale one’s garbage', async () => {
      const options = target.options({ segmentBytes: 64 * 1024 });
      const id = identity(4);
      const tree = treeOf(4, 3000);
      const a = s3CheckpointStore(options);
      await a.open(id);
      await a.write(tree.snapshot(), 1);

      const b = s3CheckpointStore(options);
      const atB = await b.open(id);
      expect(b.epoch).toBeGreaterThan(a.epoch);
      expectSameTree(atB!.view, tree);

      growTo(tree, 9000);
      await expect(a.write(tree.snapshot(), 2)).rejects.toMatchObject({ code: 'FENCED' });
      const staleKeys = (await target.rawList(`${options.prefix}/${id.treeId}/`)).filter((k) => k.endsWith(`.e${a.epoch}`));
      expect(staleKeys.some((k) => k.includes('/manifest/0000000000000002.'))).toBe(true); // A wrote its objects, never published them

      growTo(tree, 12000);
      await b.write(tree.snapshot(), 3);
      await b.settled();
      const after = await target.rawList(`${options.prefix}/${id.treeId}/`);
      // A's unpublished objects are gone; A's published segments (named by B's manifest) stay.
      expect(after).not.toContain(staleKeys.find((k) => k.includes('/manifest/0000000000000002.')));
      expect(after.filter((k) => k.includes('/seg/') && k.endsWith(`.e${a.epoch}`)).length).toBeGreaterThan(0);
      for (const k of staleKeys.filter((k) => k.includes('/seg/'))) {
        const first = Number(/\/(\d{12})-/.exec(k)![1]);
        if (first * 1024 >= 3000 / 4 ** Number(/seg\/(\d\d)\//.exec(k)![1])) expect(after).not.toContain(k);
      }
      await expect(a.write(tree.snapshot(), 4)).rejects.toMatchObject({ code: 'FENCED' });
      await a.close();
      await b.close();

      const r = s3CheckpointStore({ ...options, readOnly: true });
      const got = await r.open(id);
      expect(got?.seq).toBe(3);
      expectSameTree(got!.view, tree);
      await r.close();
    });

    it('two writers opening at once get distinct epochs; only the later claim publishes', async () => {
      const options = target.options();
      const id = identity(2);
      const tree = treeOf(2, 100);
      const [a, b] = [s3CheckpointStore(options), s3CheckpointStore(options)];
      await Promise.all([a.open(id), b.open(id)]);
      expect(a.epoch).not.toBe(b.epoch);
      const results = await Promise.allSettled([a.write(tree.snapshot(), 1), b.write(tree.snapshot(), 1)]);
      const fenced = results.filter((r) => r.status === 'rejected');
      expect(fenced.length).toBe(1);
      expect((fenced[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'FENCED' });
      await a.close();
      await b.close();
    });

    it('garbage collection never removes what the published manifest names, nor a newer epoch’s objects', async () => {
      const options = target.options({ segmentBytes: 32 * 1024 });
      const id = identity(4);
      const tree = treeOf(4, 5000);
      const w = s3CheckpointStore(options);
      await w.open(id);
      const root = `${options.prefix}/${id.treeId}/`;
      // Leftovers: one of this epoch, one of an older epoch, one of a newer epoch (a writer this one does not know of yet).
      const junk = new Uint8Array([1, 2, 3]);
      await target.rawPut(`${root}seg/00/000000000900-1.e${w.epoch}`, junk);
      await target.rawPut(`${root}manifest/0000000000000099.e0`, junk);
      await target.rawPut(`${root}seg/00/000000000000-1.e${w.epoch + 1}`, junk);
      await target.rawPut(`${root}unrelated`, junk);
      for (let seq = 1; seq <= 4; seq++) {
        growTo(tree, 5000 * seq);
        await w.write(tree.snapshot(), seq);
      }
      await w.settled();
      const keys = await target.rawList(root);
      expect(keys).not.toContain(`${root}seg/00/000000000900-1.e${w.epoch}`);
      expect(keys).not.toContain(`${root}manifest/0000000000000099.e0`);
      expect(keys).toContain(`${root}seg/00/000000000000-1.e${w.epoch + 1}`);
      expect(keys).toContain(`${root}unrelated`);
      // The published manifest and the one it replaced are kept; older ones are removed.
      expect(keys.filter((k) => k.includes('/manifest/'))).toEqual([`${root}manifest/0000000000000003.e${w.epoch}`, `${root}manifest/0000000000000004.e${w.epoch}`]);
      await w.close();
      const r = s3CheckpointStore({ ...options, readOnly: true });
      expectSameTree((await r.open(id))!.view, tree);
      await r.close();
    });
  });
}
