// The conformance matrix, part: wal-fs x checkpoint-s3 on the Ceph RGW that scripts/test.sh starts.
// The suite's groups that apply (the WAL's files are crashed, the objects outlive the power losses),
// then the S3 groups. Skipped without the server (failed under CI).
import { describe, it } from 'vitest';
import { runConformance } from '../../src/index.js';
import { lookupService, useService } from '../../src/network/index.js';
import { createBucket, fsWalS3Backend } from './s3-backends.js';
import { S3_CRASH_STATES, S3_GROUPS, S3_NS } from './s3-matrix.js';

const s3 = await lookupService('s3');

if (!s3.available) {
  describe('rotortree conformance: wal=fs checkpoints=s3', () => {
    it('needs the S3 server', (ctx) => void useService(s3, ctx));
  });
} else {
  const place = { info: s3.info, bucket: await createBucket(s3.info, 'conformance-fs'), storeDefaults: { requestTimeoutMs: 10_000, retries: 3 } };
  for (const n of S3_NS) {
    runConformance(fsWalS3Backend(place, n), { n, crashStates: S3_CRASH_STATES, seed: 7 + n * 1000, groups: S3_GROUPS });
  }
}
