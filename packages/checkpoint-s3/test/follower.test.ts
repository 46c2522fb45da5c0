import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RotorTree } from '@rotortree/core';
import { fsWal, fsWalReader } from '@rotortree/wal-fs';
import { s3CheckpointStore } from '../src/index.js';
import type { S3Target } from './support/targets.js';
import { targetMakers } from './support/targets.js';
import { expectSameTree, hasher, leaves, treeOf } from './support/trees.js';

for (const { name, make, skip } of targetMakers()) {
  describe.skipIf(skip)(`a follower (RotorTree.follow) over checkpoints in S3, on ${name}`, () => {
    let target: S3Target;
    beforeAll(async () => {
      target = await make();
    });
    afterAll(async () => target?.close());

    it('loads the writer’s checkpoint, and reloads it from S3 when the writer truncated the log past it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rotortree-s3-follow-'));
      try {
        const options = target.options({ segmentBytes: 64 * 1024 });
        const writer = await RotorTree.open({ hasher, n: 4, maxDepth: 20, wal: fsWal({ dir }), checkpoints: s3CheckpointStore(options), flushPolicy: { kind: 'manual' } });
        writer.insertMany(leaves(0, 4000));
        await writer.flush();
        await writer.checkpoint();
        writer.insertMany(leaves(4000, 100));
        await writer.flush();

        const follower = await RotorTree.follow({
          hasher,
          n: 4,
          maxDepth: 20,
          wal: fsWalReader({ dir }),
          checkpoints: s3CheckpointStore({ ...options, readOnly: true }),
          pollMs: 0,
        });
        expect(follower.size).toBe(4100);
        expect(follower.root).toEqual(writer.snapshot().root);

        // The writer moves on and checkpoints twice: the log the follower needs next is gone.
        for (const end of [9000, 15000]) {
          writer.insertMany(leaves(writer.size, end - writer.size));
          await writer.flush();
          await writer.checkpoint();
        }
        writer.insertMany(leaves(15000, 7));
        await writer.flush();
        await follower.catchUp();
        expect(follower.size).toBe(15007);
        expect(follower.root).toEqual(writer.snapshot().root);
        expectSameTree(follower.snapshot(), treeOf(4, 15007));
        await follower.close();
        await writer.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
