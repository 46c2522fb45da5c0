/**
 * Child process of the S3 section's "fresh process" row: a user's first open of a checkpoint in S3,
 * as a new process pays it (the SDK's first use, a new connection), then its first proof. The clock
 * starts after the imports, at `s3CheckpointStore()`, and stops when the proof is returned. Prints
 * one JSON line `{ openMs, proofMs }`.
 * Usage: node dist/s3-reader-child.js '{"bucket":..,"prefix":..,"treeId":..,"leaf":..,"pinAboveLevel":3}' (with ROTORTREE_S3_* set)
 */
import { s3CheckpointStore } from '@rotortree/checkpoint-s3';
import { blake3 } from '@rotortree/hasher-blake3';

/** What the parent asks for. */
export interface S3ReaderRequest {
  readonly bucket: string;
  readonly prefix: string;
  readonly treeId: string;
  readonly leaf: number;
  readonly pinAboveLevel: number;
}

const request = JSON.parse(process.argv[2] ?? '{}') as S3ReaderRequest;
const hasher = blake3();
const t0 = performance.now();
const store = s3CheckpointStore({
  endpoint: process.env['ROTORTREE_S3_ENDPOINT']!,
  region: process.env['ROTORTREE_S3_REGION'] ?? 'us-east-1',
  credentials: { accessKeyId: process.env['ROTORTREE_S3_ACCESS_KEY'] ?? '', secretAccessKey: process.env['ROTORTREE_S3_SECRET_KEY'] ?? '' },
  bucket: request.bucket,
  prefix: request.prefix,
  readOnly: true,
  pinAboveLevel: request.pinAboveLevel,
});
const stored = await store.open({ n: 4, maxDepth: 32, hasherId: hasher.id, treeId: request.treeId });
const t1 = performance.now();
await stored!.view.generateProof(request.leaf);
const t2 = performance.now();
await store.close();
console.log(JSON.stringify({ openMs: t1 - t0, proofMs: t2 - t1 }));
