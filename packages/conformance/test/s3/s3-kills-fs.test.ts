// The kill group on wal-fs x checkpoint-s3 (n = 4): radosgw and the OSD SIGKILLed at requests of
// a checkpoint write. On a private RGW (its own directory and ports): the shared one serves other
// packages' tests meanwhile. Skipped when it cannot be started (failed under CI).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { checkS3Kills } from '../../src/checks/s3-kills.js';
import { registerStatsFlush } from '../../src/index.js';
import { lookupPrivateService, useService } from '../../src/network/index.js';
import type { PrivateService, S3Service } from '../../src/network/index.js';
import { createBucket, killableFsWalS3Fixture } from './s3-backends.js';
import type { S3Place } from './s3-backends.js';
import { expectNoViolations } from './s3-matrix.js';

const N = 4;
registerStatsFlush();
const starter = lookupPrivateService('s3');

describe(`S3 kills: wal=fs checkpoints=s3 n=${N}`, () => {
  let rgw: PrivateService<S3Service> | undefined;
  let place: S3Place | undefined;

  beforeAll(async () => {
    if (!starter.available) return;
    rgw = await starter.info();
    place = { info: rgw.info, bucket: await createBucket(rgw.info, 'conformance-kills') };
  }, 240_000);
  afterAll(async () => rgw?.close(), 60_000);

  it('s3Kills: radosgw and the OSD killed under a checkpoint write', { timeout: 900_000 }, async (ctx) => {
    useService(starter, ctx);
    expectNoViolations(await checkS3Kills(killableFsWalS3Fixture(place!, N, rgw!.controller), { n: N, seed: 51 }));
  });
});
