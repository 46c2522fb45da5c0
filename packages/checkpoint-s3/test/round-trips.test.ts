import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkNodesFor, generateProof } from '@rotortree/core';
import type { S3CheckpointStoreOptions } from '../src/index.js';
import { s3CheckpointStore } from '../src/index.js';
import type { ObjectStore } from '../src/s3/objects.js';
import { buildClient, sdkObjectStore } from '../src/s3/sdk-objects.js';
import { s3CheckpointStoreOver } from '../src/store.js';
import type { S3Target } from './support/targets.js';
import { targetMakers } from './support/targets.js';
import { identity, treeOf } from './support/trees.js';

const SIZE = 200_000;
const CHUNK = chunkNodesFor(4) * 32;

/** One request as the store made it: its round (1 + the highest round among requests answered before it was made). */
interface Made {
  readonly key: string;
  readonly start?: number;
  readonly end?: number;
  readonly round: number;
}

/**
 * Wraps an {@link ObjectStore} and numbers the round trips: a request made before any other was
 * answered is round 1; one made after round-k requests were answered is round k + 1 or later. So
 * the highest round is the number of sequential round trips, whatever the server's latency.
 */
function roundCounter(inner: ObjectStore): { objects: ObjectStore; made: Made[]; answered: () => number } {
  const made: Made[] = [];
  let answered = 0;
  const track = async <T>(entry: Omit<Made, 'round'>, call: () => Promise<T>): Promise<T> => {
    const round = answered + 1;
    made.push({ ...entry, round });
    try {
      return await call();
    } finally {
      answered = Math.max(answered, round);
    }
  };
  const objects: ObjectStore = {
    location: inner.location,
    get: (key) => track({ key }, () => inner.get(key)),
    getRange: (key, start, end) => track({ key, start, end }, () => inner.getRange(key, start, end)),
    create: (key, body) => track({ key }, () => inner.create(key, body)),
    replace: (key, body, etag) => track({ key }, () => inner.replace(key, body, etag)),
    list: (prefix) => track({ key: prefix }, () => inner.list(prefix)),
    delete: (key) => track({ key }, () => inner.delete(key)),
  };
  return { objects, made, answered: () => answered };
}

/** True for a ranged GET that reaches into the segment's trailer (the key ends `-<chunks>.e<epoch>`). */
function readsTrailer(m: Made): boolean {
  const chunks = Number(/-(\d+)\.e\d+$/.exec(m.key)?.[1]);
  return m.end !== undefined && m.end > chunks * CHUNK;
}

for (const { name, make, skip } of targetMakers()) {
  describe.skipIf(skip)(`a reader's round trips, on ${name}`, () => {
    let target: S3Target;
    const tree = treeOf(4, SIZE);
    const snap = tree.snapshot();
    const id = identity(4);
    let options: S3CheckpointStoreOptions;
    beforeAll(async () => {
      target = await make();
      // 31 chunks per segment: level 0 in 7 segments, level 1 in 2, level 2 in 1; level 3 pinned (1 segment).
      options = target.options({ segmentBytes: 1 << 20 });
      const w = s3CheckpointStore(options);
      await w.open(id);
      await w.write(snap, 1);
      await w.close();
    });
    afterAll(async () => target?.close());

    function reader(extra: Partial<S3CheckpointStoreOptions> = {}) {
      const { endpoint, region, credentials, bucket, prefix } = options;
      const policy = { timeoutMs: 10_000, retries: 2 };
      const counter = roundCounter(sdkObjectStore(buildClient({ endpoint, region, credentials }, policy), bucket, policy));
      const store = s3CheckpointStoreOver(counter.objects, { bucket, prefix, readOnly: true, pinAboveLevel: 3, ...extra });
      return { store, ...counter };
    }

    it('open + first proof: 4 sequential round trips; the proof asks for one page per remote level and no trailer', async () => {
      const { store, made, answered } = reader();
      const view = (await store.open(id))!.view;
      const opened = made.length;
      // Pointer, manifest, then the pinned segment together with every remote segment's trailer (10) in one round.
      expect(made.slice(0, 2).map((m) => m.round)).toEqual([1, 2]);
      expect(made.slice(2).every((m) => m.round === 3)).toBe(true);
      expect(made.filter(readsTrailer)).toHaveLength(10);
      const leaf = 12_345; // in level 0's first segment, level 1's first, level 2's only
      expect(await view.generateProof(leaf)).toEqual(generateProof(snap, leaf));
      const byProof = made.slice(opened);
      expect(byProof).toHaveLength(3);
      expect(byProof.some(readsTrailer)).toBe(false);
      expect(answered()).toBe(4);
      await store.close();
    });

    it('a proof of the last leaf needs no request after open: each remote level’s last page came with its trailer', async () => {
      const { store, made } = reader();
      const view = (await store.open(id))!.view;
      const opened = made.length;
      expect(await view.generateProof(SIZE - 1)).toEqual(generateProof(snap, SIZE - 1));
      expect(made.length).toBe(opened);
      await store.close();
    });

    it('beyond 16 remote segments, the other trailers wait for their first use', async () => {
      // 4 chunks per segment: level 0 in 49 segments, level 1 in 12, level 2 in 3.
      const small = target.options({ segmentBytes: 4 * (CHUNK + 4) });
      const w = s3CheckpointStore(small);
      await w.open(id);
      await w.write(snap, 1);
      await w.close();
      options = small;
      const { store, made } = reader();
      const view = (await store.open(id))!.view;
      expect(made.filter(readsTrailer)).toHaveLength(3 + 16);
      const opened = made.length;
      expect(await view.generateProof(0)).toEqual(generateProof(snap, 0));
      expect(made.slice(opened).filter(readsTrailer).length).toBeGreaterThan(0);
      await store.close();
    });
  });
}
