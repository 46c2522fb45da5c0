// The conformance matrix, part: wal-postgres x checkpoint-s3 (the pointer in the tree's row, fenced
// by the WAL's epoch) on the PostgreSQL pair and the Ceph RGW that scripts/test.sh starts: the
// suite's groups that apply without simulated crashes (n 2 and 16), then the S3 groups at n = 4
// (a takeover by the WAL's `takeover`, partitions to the RGW). Skipped without the servers or the
// built wal-postgres (failed under CI).
import { describe, it } from 'vitest';
import { checkS3Followers } from '../../src/checks/s3-followers.js';
import { checkS3Partitions } from '../../src/checks/s3-partitions.js';
import { checkStaleWriter } from '../../src/checks/stale-writer.js';
import { registerStatsFlush, runConformance } from '../../src/index.js';
import type { GroupName } from '../../src/index.js';
import { lookupService, useService } from '../../src/network/index.js';
import { createBucket } from './s3-backends.js';
import { loadWalPostgres, postgresS3Backend, postgresS3Fixture } from './s3-postgres-backends.js';
import type { PostgresS3Place } from './s3-postgres-backends.js';
import { expectNoViolations, S3_NS } from './s3-matrix.js';

registerStatsFlush();
const [s3, pg, lib] = await Promise.all([lookupService('s3'), lookupService('postgres'), loadWalPostgres()]);
const missing = [s3, pg, lib].find((x) => !x.available);
/** The groups of the suite that run without simulated crashes (a second store is no lock on S3: the staleWriter group checks what holds instead). */
const GROUPS: GroupName[] = ['treeRules', 'proofs', 'lifecycle', 'badInput'];
const N = 4;

if (missing !== undefined || !s3.available || !pg.available || !lib.available) {
  describe('rotortree conformance: wal=postgres checkpoints=s3', () => {
    it('needs PostgreSQL, the S3 server and the built wal-postgres', (ctx) => void useService(missing!, ctx));
  });
} else {
  const place: PostgresS3Place = { s3: { info: s3.info, bucket: await createBucket(s3.info, 'conformance-pg'), storeDefaults: { requestTimeoutMs: 10_000, retries: 3 } }, pg: pg.info, lib: lib.info };
  for (const n of S3_NS) runConformance(postgresS3Backend(place, n), { n, seed: 9 + n * 1000, groups: GROUPS, timeout: 300_000 });

  describe(`S3 groups: wal=postgres checkpoints=s3 n=${N}`, () => {
    it('staleWriter: after a takeover the old writer never publishes; the live writer collects its garbage', { timeout: 300_000 }, async () => {
      expectNoViolations(await checkStaleWriter(postgresS3Fixture(place, N), { n: N, seed: 61 }));
    });
    it('s3Partitions: partitions to the RGW at every request of a checkpoint write and of a reopen', { timeout: 600_000 }, async () => {
      expectNoViolations(await checkS3Partitions(postgresS3Fixture(place, N), { n: N, seed: 71 }));
    });
    it('s3Followers: followers against the writer (segments, reloads after truncation)', { timeout: 300_000 }, async () => {
      expectNoViolations(await checkS3Followers(postgresS3Fixture(place, N), { n: N, seed: 91 }));
    });
  });
}
