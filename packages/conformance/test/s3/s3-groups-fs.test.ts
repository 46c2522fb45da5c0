// The S3 groups on wal-fs x checkpoint-s3 (n = 4): stale writers, partitions through the fault
// proxy during checkpoint writes and reads, and kills of radosgw and the OSD (a private RGW).
import { describe, it } from 'vitest';
import { checkS3Followers } from '../../src/checks/s3-followers.js';
import { checkS3Partitions } from '../../src/checks/s3-partitions.js';
import { checkStaleWriter } from '../../src/checks/stale-writer.js';
import { lookupService, useService } from '../../src/network/index.js';
import { registerStatsFlush } from '../../src/index.js';
import { createBucket, fsWalS3Fixture } from './s3-backends.js';
import { expectNoViolations } from './s3-matrix.js';

const s3 = await lookupService('s3');
const N = 4;
registerStatsFlush();

describe(`S3 groups: wal=fs checkpoints=s3 n=${N}`, () => {
  const place = s3.available ? createBucket(s3.info, 'conformance-fs-groups').then((bucket) => ({ info: s3.info, bucket })) : undefined;

  it('staleWriter: a stale writer never publishes; the live writer collects its garbage', async (ctx) => {
    useService(s3, ctx);
    const fx = fsWalS3Fixture(await place!, N);
    const violations = await checkStaleWriter(fx, { n: N, seed: 31 });
    expectNoViolations(violations);
  });

  it('s3Partitions: partitions at every request of a checkpoint write and of a reopen', { timeout: 600_000 }, async (ctx) => {
    useService(s3, ctx);
    const fx = fsWalS3Fixture(await place!, N);
    const violations = await checkS3Partitions(fx, { n: N, seed: 41 });
    expectNoViolations(violations);
  });

  it('s3Followers: followers against the writer (segments, reloads after truncation)', async (ctx) => {
    useService(s3, ctx);
    expectNoViolations(await checkS3Followers(fsWalS3Fixture(await place!, N), { n: N, seed: 81 }));
  });
});
