import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePointer } from '../src/format/pointer-format.js';
import { s3CheckpointStore } from '../src/index.js';
import type { S3Target } from './support/targets.js';
import { targetMakers } from './support/targets.js';
import { identity, treeOf } from './support/trees.js';

for (const { name, make, skip } of targetMakers()) {
  describe.skipIf(skip)(`damage is CORRUPTION naming the key, on ${name}`, () => {
    let target: S3Target;
    beforeAll(async () => {
      target = await make();
    });
    afterAll(async () => target?.close());

    /** A published checkpoint of 5000 leaves (n=4): its options, identity and object keys. */
    async function published(n = 4, size = 5000) {
      const options = target.options({ segmentBytes: 64 * 1024 });
      const id = identity(n);
      const w = s3CheckpointStore(options);
      await w.open(id);
      await w.write(treeOf(n, size).snapshot(), 7);
      await w.close();
      const keys = await target.rawList(`${options.prefix}/${id.treeId}/`);
      return { options, id, keys, segments: keys.filter((k) => k.includes('/seg/')), manifest: keys.find((k) => k.includes('/manifest/'))! };
    }

    const reopen = async (options: ReturnType<S3Target['options']>, id: ReturnType<typeof identity>, extra = {}) => {
      const r = s3CheckpointStore({ ...options, readOnly: true, ...extra });
      try {
        const got = await r.open(id);
        // Every byte: a damaged chunk is found when read.
        for (let k = 0; k <= got!.view.depth; k++) {
          const len = got!.view.levelLength(k);
          await got!.view.read((v) => v.readNodes(k, 0, len, new Uint8Array(len * 32), 0));
        }
      } finally {
        await r.close();
      }
    };

    it('a changed byte in a segment chunk', async () => {
      const { options, id, segments } = await published();
      const key = segments[0]!;
      const bytes = (await target.rawGet(key))!.slice();
      bytes[100]! ^= 1;
      await target.rawPut(key, bytes);
      await expect(reopen(options, id)).rejects.toMatchObject({ code: 'CORRUPTION', file: expect.stringContaining(key) });
      // The same when the level is read on demand.
      await expect(reopen(options, id, { pinAboveLevel: 10 })).rejects.toMatchObject({ code: 'CORRUPTION', file: expect.stringContaining(key) });
    });

    it('a changed byte in a segment trailer, and a cut segment', async () => {
      const { options, id, segments } = await published();
      const key = segments[segments.length - 1]!;
      const bytes = (await target.rawGet(key))!.slice();
      bytes[bytes.length - 10]! ^= 1;
      await target.rawPut(key, bytes);
      await expect(reopen(options, id)).rejects.toMatchObject({ code: 'CORRUPTION', file: expect.stringContaining(key) });
      await target.rawPut(key, bytes.subarray(0, bytes.length - 100));
      await expect(reopen(options, id)).rejects.toMatchObject({ code: 'CORRUPTION', file: expect.stringContaining(key) });
      await expect(reopen(options, id, { pinAboveLevel: 10 })).rejects.toMatchObject({ code: 'CORRUPTION', file: expect.stringContaining(key) });
    });

    it('a missing segment, a missing manifest, a changed manifest', async () => {
      const one = await published();
      await target.rawDelete(one.segments[1]!);
      await expect(reopen(one.options, one.id)).rejects.toMatchObject({ code: 'CORRUPTION', file: expect.stringContaining(one.segments[1]!) });
      await expect(reopen(one.options, one.id, { pinAboveLevel: 10 })).rejects.toMatchObject({ code: 'CORRUPTION', file: expect.stringContaining(one.segments[1]!) });

      const two = await published();
      const manifest = (await target.rawGet(two.manifest))!.slice();
      manifest[manifest.length - 40]! ^= 0x80;
      await target.rawPut(two.manifest, manifest);
      await expect(reopen(two.options, two.id)).rejects.toMatchObject({ code: 'CORRUPTION', file: expect.stringContaining(two.manifest) });
      await target.rawDelete(two.manifest);
      await expect(reopen(two.options, two.id)).rejects.toMatchObject({ code: 'CORRUPTION', file: expect.stringContaining(two.manifest) });
    });

    it('a manifest of another tree, and a pointer of another tree', async () => {
      const mine = await published();
      const other = await published();
      // The pointer names a manifest key of this tree whose object is the other tree's manifest (re-pointed with its size and CRC).
      const foreign = (await target.rawGet(other.manifest))!;
      await target.rawPut(mine.manifest, foreign);
      const dv = new DataView(foreign.buffer, foreign.byteOffset, foreign.byteLength);
      const pointer = encodePointer({
        treeId: mine.id.treeId,
        epoch: 9,
        target: { manifestKey: mine.manifest, seq: 7, size: 5000, manifestBytes: foreign.length, manifestCrc: dv.getUint32(foreign.length - 4, true) },
      });
      await target.rawPut(`${mine.options.prefix}/${mine.id.treeId}/pointer`, pointer);
      await expect(reopen(mine.options, mine.id)).rejects.toMatchObject({ code: 'CORRUPTION', file: expect.stringContaining(mine.manifest) });
      // Another tree's pointer copied over this one's.
      const otherPointer = (await target.rawGet(`${other.options.prefix}/${other.id.treeId}/pointer`))!;
      await target.rawPut(`${mine.options.prefix}/${mine.id.treeId}/pointer`, otherPointer);
      await expect(reopen(mine.options, mine.id)).rejects.toMatchObject({ code: 'CORRUPTION', file: expect.stringContaining('/pointer') });
      // A writer refuses to open over it too (it never claims a damaged pointer).
      await expect(s3CheckpointStore(mine.options).open(mine.id)).rejects.toMatchObject({ code: 'CORRUPTION' });
    });

    it('the store opened with other parameters is CONFIG_MISMATCH', async () => {
      const { options, id } = await published();
      await expect(s3CheckpointStore({ ...options, readOnly: true }).open({ ...id, maxDepth: id.maxDepth + 1 })).rejects.toMatchObject({ code: 'CONFIG_MISMATCH' });
    });
  });
}
