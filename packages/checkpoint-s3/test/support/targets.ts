/**
 * Where the tests' objects live: the in-repo fake (always), and a real S3 server when
 * `ROTORTREE_S3_ENDPOINT` (and `_ACCESS_KEY`, `_SECRET_KEY`, `_REGION`) name one, e.g. the Ceph RGW
 * of `scripts/services/ceph-rgw.sh`. Without one, the real-server tests skip (and fail under
 * `CI=true`: CI must run them against a real server).
 */
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3CheckpointStoreOptions } from '../../src/index.js';
import { FakeS3 } from './fake-s3.js';

export interface S3Target {
  readonly name: 'fake' | 'rgw';
  readonly fake: FakeS3 | undefined;
  /** Store options for a fresh, unique prefix (and bucket) on this target. */
  options(extra?: Partial<S3CheckpointStoreOptions>): S3CheckpointStoreOptions;
  /** Unconditional writes and reads behind the store's back (damage, copies). */
  rawPut(key: string, bytes: Uint8Array): Promise<void>;
  rawGet(key: string): Promise<Uint8Array | undefined>;
  rawDelete(key: string): Promise<void>;
  rawList(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

const credentials = { accessKeyId: 'fake-access', secretAccessKey: 'fake-secret' };

export function realS3Env(): { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string } | undefined {
  const endpoint = process.env.ROTORTREE_S3_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return undefined;
  return {
    endpoint,
    accessKeyId: process.env.ROTORTREE_S3_ACCESS_KEY ?? '',
    secretAccessKey: process.env.ROTORTREE_S3_SECRET_KEY ?? '',
    region: process.env.ROTORTREE_S3_REGION ?? 'us-east-1',
  };
}

/** True when a real server is configured; under CI its absence is an error, not a skip. */
export function haveRealS3(): boolean {
  if (realS3Env() !== undefined) return true;
  if (process.env.CI === 'true') throw new Error('CI=true but ROTORTREE_S3_ENDPOINT is not set: the S3 tests need a real server (scripts/services/ceph-rgw.sh)');
  return false;
}

let counter = 0;
const unique = (): string => `t${process.pid}-${Date.now().toString(36)}-${counter++}`;

export async function fakeTarget(): Promise<S3Target> {
  const fake = await new FakeS3().start();
  const bucket = 'bucket';
  fake.bucket(bucket);
  return {
    name: 'fake',
    fake,
    options: (extra = {}) => ({ endpoint: fake.endpoint, credentials, bucket, prefix: unique(), requestTimeoutMs: 10_000, retries: 2, ...extra }),
    rawPut: async (key, bytes) => fake.putRaw(bucket, key, bytes),
    rawGet: async (key) => fake.bucket(bucket).get(key)?.bytes,
    rawDelete: async (key) => void fake.bucket(bucket).delete(key),
    rawList: async (prefix) => fake.keys(bucket, prefix),
    close: () => fake.stop(),
  };
}

/** A target on a real server: the configured one, or `env` (e.g. a private RGW). */
export async function rgwTarget(env = realS3Env()!): Promise<S3Target> {
  const creds = { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey };
  const client = new S3Client({ endpoint: env.endpoint, region: env.region, credentials: creds, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const bucket = `rotortree-s3-tests-${process.pid}-${Date.now().toString(36)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    name: 'rgw',
    fake: undefined,
    options: (extra = {}) => ({ endpoint: env.endpoint, region: env.region, credentials: creds, bucket, prefix: unique(), requestTimeoutMs: 10_000, ...extra }),
    rawPut: async (key, bytes) => void (await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }))),
    rawGet: async (key) => {
      try {
        return await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray();
      } catch (err) {
        if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
        throw err;
      }
    },
    rawDelete: async (key) => void (await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))),
    rawList: async (prefix) => {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token === undefined ? {} : { ContinuationToken: token }) }));
        for (const o of page.Contents ?? []) out.push(o.Key!);
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return out.sort();
    },
    close: async () => client.destroy(),
  };
}

/** The targets the main tests run on: the fake, and the real server when configured. */
export function targetMakers(): Array<{ readonly name: string; readonly make: () => Promise<S3Target>; readonly skip: boolean }> {
  const real = haveRealS3();
  return [
    { name: 'fake', make: fakeTarget, skip: false },
    { name: 'rgw', make: () => rgwTarget(), skip: !real },
  ];
}
