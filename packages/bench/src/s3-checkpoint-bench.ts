/**
 * Checkpoints in S3 (`@rotortree/checkpoint-s3`) against a real server, N=4, 1M leaves: the time of
 * `checkpoint()` of the whole tree to a fresh prefix, against a raw PUT of the same bytes (one object
 * of their total size, and the same objects plainly PUT with the same concurrency) in the same run,
 * interleaved; and a reader opening the checkpoint with the lower levels left remote, then its first
 * proof. Needs `ROTORTREE_S3_ENDPOINT` (and `_ACCESS_KEY`, `_SECRET_KEY`, `_REGION`), e.g. the Ceph
 * RGW of `scripts/services/ceph-rgw.sh`; skipped with a note without it.
 */
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RotorTree, memoryWal, newTreeId } from '@rotortree/core';
import { s3CheckpointStore } from '@rotortree/checkpoint-s3';
import { blake3 } from '@rotortree/hasher-blake3';
import { median } from './harness.js';
import { makeLeaves } from './leaves.js';
import type { BenchContext } from './results.js';

const TITLE = 'Checkpoints to S3 (N=4, 1M leaves, @rotortree/checkpoint-s3)';

export async function s3CheckpointBench(ctx: BenchContext): Promise<void> {
  const endpoint = process.env['ROTORTREE_S3_ENDPOINT'];
  if (endpoint === undefined || endpoint === '') {
    ctx.results.table({ title: TITLE, header: ['skipped'], rows: [['no S3 server configured (ROTORTREE_S3_ENDPOINT unset; scripts/services/ceph-rgw.sh starts one)']] });
    return;
  }
  const credentials = { accessKeyId: process.env['ROTORTREE_S3_ACCESS_KEY'] ?? '', secretAccessKey: process.env['ROTORTREE_S3_SECRET_KEY'] ?? '' };
  const region = process.env['ROTORTREE_S3_REGION'] ?? 'us-east-1';
  const client = new S3Client({ endpoint, region, credentials, forcePathStyle: true, maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const bucket = `rotortree-bench-${Date.now().toString(36)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const hasher = blake3();
  const size = ctx.quick ? 1 << 18 : 1 << 20;
  const runs = ctx.quick ? 3 : 5;
  const concurrency = 4;
  const leaves = makeLeaves(size);
  const storeOptions = { endpoint, region, credentials, bucket, concurrency };

  const checkpointMs = async (prefix: string): Promise<{ ms: number; treeId: string }> => {
    const treeId = newTreeId();
    const tree = await RotorTree.open({ hasher, n: 4, maxDepth: 32, wal: memoryWal(), checkpoints: s3CheckpointStore({ ...storeOptions, prefix }), flushPolicy: { kind: 'manual' }, treeId });
    tree.insertMany(leaves);
    await tree.flush();
    const t0 = performance.now();
    await tree.checkpoint();
    const ms = performance.now() - t0;
    await tree.close();
    return { ms, treeId };
  };
  const objectsOf = async (prefix: string): Promise<Array<{ key: string; size: number }>> => {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (page.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0 }));
  };
  const putMs = async (bodies: readonly Uint8Array[], prefix: string): Promise<number> => {
    const t0 = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < bodies.length) {
        const i = next++;
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/raw-${i}`, Body: bodies[i], ContentLength: bodies[i]!.length }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, worker));
    return performance.now() - t0;
  };

  // The objects one checkpoint writes: their sizes are the raw PUTs' bodies.
  await checkpointMs('warmup');
  const written = (await objectsOf('warmup/')).filter((o) => !o.key.includes('/epoch/'));
  const total = written.reduce((s, o) => s + o.size, 0);
  const one = new Uint8Array(total).fill(7);
  const same = written.map((o) => new Uint8Array(o.size).fill(7));
  const cp: number[] = [];
  const rawOne: number[] = [];
  const rawSame: number[] = [];
  let lastPrefix = 'warmup';
  let lastTree = '';
  for (let r = 0; r < runs; r++) {
    rawOne.push(await putMs([one], `raw-one-${r}`));
    const got = await checkpointMs(`cp-${r}`);
    cp.push(got.ms);
    lastPrefix = `cp-${r}`;
    lastTree = got.treeId;
    rawSame.push(await putMs(same, `raw-same-${r}`));
  }
  // A reader with levels 0-2 left remote: open, then the first proof (ranged GETs of one chunk per remote level).
  const followerMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const store = s3CheckpointStore({ ...storeOptions, prefix: lastPrefix, readOnly: true, pinAboveLevel: 3 });
    const stored = await store.open({ n: 4, maxDepth: 32, hasherId: hasher.id, treeId: lastTree });
    await stored!.view.generateProof((r * 104_729) % size);
    followerMs.push(performance.now() - t0);
    await store.close();
  }
  client.destroy();

  const cpMed = median(cp);
  const oneMed = median(rawOne);
  const sameMed = median(rawSame);
  ctx.results.metric('s3.checkpoint.1M', cpMed);
  ctx.results.metric('s3.checkpoint.1M.ratio', cpMed / oneMed);
  ctx.results.table({
    title: TITLE,
    header: ['checkpoint()', 'raw PUT, one object of the same bytes', 'raw PUTs, the same objects', 'checkpoint / one raw PUT', 'reader open (levels 0-2 remote) + first proof'],
    rows: [[`${cpMed.toFixed(0)} ms`, `${oneMed.toFixed(0)} ms`, `${sameMed.toFixed(0)} ms`, `${(cpMed / oneMed).toFixed(2)}x`, `${median(followerMs).toFixed(1)} ms`]],
    note:
      `${size} leaves, ${(total / 2 ** 20).toFixed(1)} MiB in ${written.length} objects (segments, manifest, pointer). checkpoint(): RotorTree over memoryWal after insertMany + flush, ` +
      `a fresh prefix each run (the whole tree written); raw PUTs of the same byte counts in the same run, interleaved with it; median of ${runs}; ` +
      `${concurrency} requests in flight for the store and for the raw PUTs of the same objects. Loopback to ${endpoint}.`,
  });
}
