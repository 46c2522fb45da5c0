/**
 * Combinations with checkpoints in S3 (Ceph RGW): the WAL on the machine's files (`wal-fs`), the
 * checkpoints in a bucket of the server `scripts/test.sh` starts. A machine's tree gets a prefix of
 * its own, so every machine (crash state, seed) starts from an empty store and a reopen of the same
 * machine finds what it left there; the objects outlive the machine's power losses, as a remote
 * store's do.
 */
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { CheckpointStore } from '@rotortree/core';
import { joinPath } from '@rotortree/core/fs';
import { blake3 } from '@rotortree/hasher-blake3';
import { s3CheckpointStore } from '@rotortree/checkpoint-s3';
import { fsWal, fsWalReader } from '@rotortree/wal-fs';
import type { BackendUnderTest, Machine } from '../../src/index.js';
import type { KillableS3Fixture, S3Fixture, S3StoreOptions } from '../../src/checks/s3-fixture.js';
import type { S3Service, ServiceController } from '../../src/network/index.js';

/** A bucket of its own on `info`'s server (created now). */
export async function createBucket(info: S3Service, name: string): Promise<string> {
  const client = rawClient(info);
  const bucket = `${name}-${process.pid}-${Date.now().toString(36)}`;
  // The first bucket of a fresh RGW creates its pools: seconds, so a generous timeout.
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return bucket;
}

function rawClient(info: S3Service): S3Client {
  return new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    requestHandler: { requestTimeout: 60_000, connectionTimeout: 10_000, throwOnRequestTimeout: true },
  });
}

let prefixes = 0;
const machinePrefixes = new WeakMap<Machine, string>();

/** The prefix of `machine`'s tree: one per machine object, kept across its reboots. */
export function prefixOf(machine: Machine): string {
  let prefix = machinePrefixes.get(machine);
  if (prefix === undefined) machinePrefixes.set(machine, (prefix = `m${process.pid}-${Date.now().toString(36)}-${prefixes++}`));
  return prefix;
}

/** Where the checkpoints go: the server, its bucket, and store options for every instance. */
export interface S3Place {
  readonly info: S3Service;
  readonly bucket: string;
  /** Store options of the matrix (the checks pass their own timeouts). */
  readonly storeDefaults?: S3StoreOptions;
}

/** An S3 checkpoint store of `machine`'s tree (`endpoint`: the server, or a fault proxy in front of it). */
export function s3StoreOn(place: S3Place, machine: Machine, options: S3StoreOptions = {}): CheckpointStore {
  const { endpoint, ...rest } = { ...place.storeDefaults, ...options };
  return s3CheckpointStore({
    endpoint: endpoint ?? place.info.endpoint,
    region: place.info.region,
    credentials: { accessKeyId: place.info.accessKeyId, secretAccessKey: place.info.secretAccessKey },
    bucket: place.bucket,
    prefix: prefixOf(machine),
    ...rest,
  });
}

/** Every key of `machine`'s tree in the bucket. */
export async function keysOf(place: S3Place, machine: Machine): Promise<string[]> {
  const client = rawClient(place.info);
  try {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: place.bucket, Prefix: `${prefixOf(machine)}/`, ...(token === undefined ? {} : { ContinuationToken: token }) }));
      for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys;
  } finally {
    client.destroy();
  }
}

const walOf = (m: Machine) => fsWal({ dir: joinPath(m.dir, 'wal'), fs: m.fs, lock: m.real ? 'flock' : 'memory' });

/** wal-fs x checkpoint-s3 for the suite's groups. */
export function fsWalS3Backend(place: S3Place, n: number): BackendUnderTest {
  return {
    name: `wal=fs checkpoints=s3 blake3=js n=${n}`,
    hasher: blake3({ backend: 'js' }),
    wal: walOf,
    walReader: (m) => fsWalReader({ dir: joinPath(m.dir, 'wal'), fs: m.fs }),
    checkpoints: (m) => s3StoreOn(place, m),
    checkpointReader: (m) => s3StoreOn(place, m, { readOnly: true }),
    // The WAL's files are crashed and damaged by the suite; the objects are checked by the S3 groups.
    supports: { crashSimulation: 'fs', locking: 'instance', corruptionDetection: false },
  };
}

/** wal-fs x checkpoint-s3 for the S3 groups (stale writers, partitions, server kills). */
export function fsWalS3Fixture(place: S3Place, n: number): S3Fixture {
  return { backend: fsWalS3Backend(place, n), endpoint: place.info.endpoint, store: (m, options) => s3StoreOn(place, m, options), keys: (m) => keysOf(place, m) };
}

/** The same on a server the check may kill (a private RGW: `controller` kills and restarts its daemons). */
export function killableFsWalS3Fixture(place: S3Place, n: number, controller: ServiceController): KillableS3Fixture {
  return { ...fsWalS3Fixture(place, n), controller };
}
