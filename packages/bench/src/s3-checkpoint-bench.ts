/**
 * Checkpoints in S3 (`@rotortree/checkpoint-s3`) against a real server, N=4, 1M leaves: the time of
 * `checkpoint()` of the whole tree to a fresh prefix, against a raw PUT of the same bytes (one object
 * of their total size, and the same objects plainly PUT with the same concurrency) in the same run,
 * interleaved; and a reader opening the checkpoint with the lower levels left remote, then its first
 * proof. Needs `ROTORTREE_S3_ENDPOINT` (and `_ACCESS_KEY`, `_SECRET_KEY`, `_REGION`), e.g. the Ceph
 * RGW of `scripts/services/ceph-rgw.sh`; skipped with a note without it.
 */
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LeanIMT, RotorTree, generateProof, memoryWal, newTreeId } from '@rotortree/core';
import { s3CheckpointStore } from '@rotortree/checkpoint-s3';
import { blake3 } from '@rotortree/hasher-blake3';
import { median } from './harness.js';
import { makeLeaves } from './leaves.js';
import type { BenchContext } from './results.js';
import type { S3ReaderRequest } from './s3-reader-child.js';

const TITLE = 'Checkpoints to S3 (N=4, 1M leaves, @rotortree/checkpoint-s3)';

export async function s3CheckpointBench(ctx: BenchContext): Promise<void> {
  const endpoint = process.env['ROTORTREE_S3_ENDPOINT'];
  if (endpoint === undefined || endpoint === '') {
    ctx.results.table({ title: TITLE, header: ['skipped'], rows: [['no S3 server configured (ROTORTREE_S3_ENDPOINT unset; scripts/services/ceph-rgw.sh starts one)']] });
    return;
  }
  const credentials = { accessKeyId: process.env['ROTORTREE_S3_ACCESS_KEY'] ?? '', secretAccessKey: process.env['ROTORTREE_S3_SECRET_KEY'] ?? '' };
  const region = process.env['ROTORTREE_S3_REGION'] ?? 'us-east-1';
  const client = new S3Client({ endpoint, region, credentials, forcePathStyle: true, maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
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
  // A reader with levels 0-2 left remote: open, then the first proof (one ranged GET of a page per remote level).
  const reader = await readerRows({ client, storeOptions: { ...storeOptions, prefix: lastPrefix }, treeId: lastTree, size, runs: ctx.quick ? 5 : 9, leaves: ctx.quick ? undefined : leaves });
  client.destroy();

  const cpMed = median(cp);
  const oneMed = median(rawOne);
  const sameMed = median(rawSame);
  ctx.results.metric('s3.checkpoint.1M', cpMed);
  ctx.results.metric('s3.checkpoint.1M.ratio', cpMed / oneMed);
  ctx.results.metric('s3.reader.firstProof.warm', reader.warm.total);
  ctx.results.metric('s3.reader.firstProof.fresh', reader.fresh.total);
  ctx.results.table({
    title: TITLE,
    header: ['checkpoint()', 'raw PUT, one object of the same bytes', 'raw PUTs, the same objects', 'checkpoint / one raw PUT'],
    rows: [[`${cpMed.toFixed(0)} ms`, `${oneMed.toFixed(0)} ms`, `${sameMed.toFixed(0)} ms`, `${(cpMed / oneMed).toFixed(2)}x`]],
    note:
      `${size} leaves, ${(total / 2 ** 20).toFixed(1)} MiB in ${written.length} objects (segments, manifest, pointer). checkpoint(): RotorTree over memoryWal after insertMany + flush, ` +
      `a fresh prefix each run (the whole tree written); raw PUTs of the same byte counts in the same run, interleaved with it; median of ${runs}; ` +
      `${concurrency} requests in flight for the store and for the raw PUTs of the same objects. Loopback to ${endpoint}.`,
  });
  ctx.results.table({
    title: READER_TITLE,
    header: ['reader', 'open', 'first proof', 'open + first proof (target <= 50 ms)'],
    rows: [
      ['warm client (a long-lived process)', ms(reader.warm.open), ms(reader.warm.proof), ms(reader.warm.total)],
      ['fresh process (a user’s first open)', ms(reader.fresh.open), ms(reader.fresh.proof), ms(reader.fresh.total)],
    ],
    note:
      `Levels 3 and up downloaded at open (pointer, manifest, then the pinned segments with the remote levels' trailers and last pages in parallel), levels 0-2 read by ranged GETs; ` +
      `a new store each run, a different leaf each run, median of ${reader.runs}. Warm client: the store gets an S3Client that has made requests before (a follower's long-lived one); ` +
      `fresh process: a new Node process per run whose clock starts after its imports, at s3CheckpointStore() with a client built there (the SDK's first use and a new connection count). ` +
      `Then, with the pages in the cache: a proof ${us(reader.cachedUs)}; ${reader.pinnedUs === undefined ? '' : `a reader with every level downloaded (pinAboveLevel 0): a proof (view.generateProof, chunks checked already) ${us(reader.pinnedUs)}, the same tree in memory (core's generateProof): ${us(reader.memoryUs!)}; `}` +
      `an uncached leaf (one page per remote level): ${ms(reader.uncachedMs)}.`,
  });
}

const READER_TITLE = 'A reader of a checkpoint in S3 (N=4, 1M leaves, levels 0-2 remote)';
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const us = (x: number): string => `${x.toFixed(1)} µs`;

interface ReaderTimes {
  readonly open: number;
  readonly proof: number;
  readonly total: number;
}

/** The reader rows: open + first proof with a warm client and in a fresh process, then proofs over cached pages, and over every level downloaded vs in memory. */
async function readerRows(args: {
  client: S3Client;
  storeOptions: { bucket: string; prefix: string; concurrency: number };
  treeId: string;
  size: number;
  runs: number;
  leaves: Uint8Array | undefined;
}): Promise<{ warm: ReaderTimes; fresh: ReaderTimes; runs: number; cachedUs: number; uncachedMs: number; pinnedUs: number | undefined; memoryUs: number | undefined }> {
  const { client, storeOptions, treeId, size, runs } = args;
  const hasher = blake3();
  const config = { n: 4, maxDepth: 32, hasherId: hasher.id, treeId };
  const leafOf = (r: number): number => (r * 104_729 + 17) % size;
  const warm: ReaderTimes[] = [];
  const fresh: ReaderTimes[] = [];
  let cachedUs = 0;
  let uncachedMs = 0;
  for (let r = 0; r <= runs; r++) {
    // Interleaved: a fresh process, then a warm open; the first warm open (r = 0) warms the client and is not counted.
    if (r > 0) fresh.push(freshReader({ bucket: storeOptions.bucket, prefix: storeOptions.prefix, treeId, leaf: leafOf(r + runs), pinAboveLevel: 3 }));
    const t0 = performance.now();
    const store = s3CheckpointStore({ ...storeOptions, client, readOnly: true, pinAboveLevel: 3 });
    const stored = (await store.open(config))!;
    const t1 = performance.now();
    await stored.view.generateProof(leafOf(r));
    const t2 = performance.now();
    if (r > 0) warm.push({ open: t1 - t0, proof: t2 - t1, total: t2 - t0 });
    if (r === runs) {
      const c0 = performance.now();
      for (let i = 0; i < 1000; i++) await stored.view.generateProof(leafOf(r));
      cachedUs = ((performance.now() - c0) / 1000) * 1000;
      const u0 = performance.now();
      await stored.view.generateProof((leafOf(r) + size / 2) % size);
      uncachedMs = performance.now() - u0;
    }
    await store.close();
  }
  let pinnedUs: number | undefined;
  let memoryUs: number | undefined;
  if (args.leaves !== undefined) {
    const store = s3CheckpointStore({ ...storeOptions, client, readOnly: true });
    const view = (await store.open(config))!.view;
    const tree = new LeanIMT({ hasher, n: 4, maxDepth: 32 });
    tree.insertMany(args.leaves);
    const snap = tree.snapshot();
    const proofs = 2000;
    // Untimed first: each chunk's CRC is checked on its first read, once.
    for (let i = 0; i < proofs; i++) await view.generateProof(leafOf(i));
    const p0 = performance.now();
    for (let i = 0; i < proofs; i++) await view.generateProof(leafOf(i));
    pinnedUs = ((performance.now() - p0) / proofs) * 1000;
    for (let i = 0; i < proofs; i++) generateProof(snap, leafOf(i));
    const m0 = performance.now();
    for (let i = 0; i < proofs; i++) generateProof(snap, leafOf(i));
    memoryUs = ((performance.now() - m0) / proofs) * 1000;
    await store.close();
  }
  const med = (xs: ReaderTimes[]): ReaderTimes => ({ open: median(xs.map((x) => x.open)), proof: median(xs.map((x) => x.proof)), total: median(xs.map((x) => x.total)) });
  return { warm: med(warm), fresh: med(fresh), runs, cachedUs, uncachedMs, pinnedUs, memoryUs };
}

/** One fresh process's open + first proof (s3-reader-child.ts). */
function freshReader(request: S3ReaderRequest): ReaderTimes {
  const script = fileURLToPath(new URL('./s3-reader-child.js', import.meta.url));
  const out = spawnSync(process.execPath, [script, JSON.stringify(request)], { encoding: 'utf8', timeout: 120_000 });
  if (out.status !== 0) throw new Error(`the S3 reader child failed (${String(out.status ?? out.signal)}): ${out.stderr}`);
  const got = JSON.parse(out.stdout.trim().split('\n').pop()!) as { openMs: number; proofMs: number };
  return { open: got.openMs, proof: got.proofMs, total: got.openMs + got.proofMs };
}
