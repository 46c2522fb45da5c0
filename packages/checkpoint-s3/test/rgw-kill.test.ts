/**
 * kill -9 of the real radosgw in the middle of a checkpoint write, then a restart: the next
 * checkpoint succeeds and nothing published is lost. Needs the RGW of `scripts/services/ceph-rgw.sh`
 * (its env file names the script, the state directory and the run directory with the PID file);
 * skipped without it. Kills only the radosgw whose PID that checkout's run directory holds.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3CheckpointStore } from '../src/index.js';
import type { S3Target } from './support/targets.js';
import { haveRealS3, rgwTarget } from './support/targets.js';
import { expectSameTree, growTo, identity, treeOf } from './support/trees.js';

const runDir = process.env.ROTORTREE_CEPH_RUN_DIR;
const script = process.env.ROTORTREE_CEPH_SCRIPT;
const servicesDir = process.env.ROTORTREE_CEPH_SERVICES_DIR;
const controllable = haveRealS3() && runDir !== undefined && script !== undefined && servicesDir !== undefined;

/** SIGKILL of the daemon whose PID this checkout's run directory holds (`client.rgw` or `osd.0`). */
async function kill(daemon: 'client.rgw' | 'osd.0'): Promise<void> {
  const pid = Number(readFileSync(join(runDir!, `${daemon}.pid`), 'utf8').trim());
  expect(Number.isSafeInteger(pid) && pid > 1).toBe(true);
  process.kill(pid, 'SIGKILL');
}

async function start(daemon: 'rgw' | 'osd'): Promise<void> {
  await promisify(execFile)('bash', [script!, 'start', daemon], { env: { ...process.env, ROTORTREE_SERVICES_DIR: servicesDir! }, timeout: 120_000 });
}

describe.skipIf(!controllable)('radosgw killed mid-write (real RGW)', () => {
  let target: S3Target;
  beforeAll(async () => {
    target = await rgwTarget();
  });
  afterAll(async () => target?.close());

  it('the next checkpoint succeeds and the published one is intact', async () => {
    const options = target.options({ segmentBytes: 4 << 20, retries: 0, requestTimeoutMs: 5_000 });
    const id = identity(4);
    const tree = treeOf(4, 100_000);
    const w = s3CheckpointStore(options);
    await w.open(id);
    await w.write(tree.snapshot(), 1);
    const published = treeOf(4, 100_000);

    growTo(tree, 1_500_000); // ~50 MiB of segments: the kill lands while they are being written
    const writing = w.write(tree.snapshot(), 2).then(
      () => 'published',
      (err: unknown) => (err as { code?: string }).code,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    await kill('client.rgw');
    const outcome = await writing;
    expect(['IO', 'published']).toContain(outcome);
    console.info(`rgw killed mid-write: the write ${outcome === 'IO' ? 'failed (IO)' : 'had published'}`);
    await w.close().catch(() => undefined);
    await start('rgw');

    const next = s3CheckpointStore({ ...options, retries: 3 });
    const got = await next.open(id);
    expect([1, 2]).toContain(got!.seq);
    if (outcome === 'published') expect(got!.seq).toBe(2);
    expectSameTree(got!.view, got!.seq === 1 ? published : tree);
    growTo(tree, 1_600_000);
    await next.write(tree.snapshot(), 3);
    await next.close();
    const r = s3CheckpointStore({ ...options, readOnly: true });
    expectSameTree((await r.open(id))!.view, tree);
    await r.close();
  }, 240_000);

  it('with the OSD killed, a request rejects within its deadline (IO) instead of hanging; after a restart nothing published is lost', async () => {
    const options = target.options({ requestTimeoutMs: 2_000, retries: 0 });
    const id = identity(4);
    const tree = treeOf(4, 50_000);
    const w = s3CheckpointStore(options);
    await w.open(id);
    await w.write(tree.snapshot(), 1);
    await w.close();
    await kill('osd.0');
    try {
      const t0 = Date.now();
      await expect(s3CheckpointStore({ ...options, readOnly: true }).open(id)).rejects.toMatchObject({ code: 'IO' });
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await start('osd');
    }
    const next = s3CheckpointStore({ ...options, requestTimeoutMs: 30_000, retries: 5 });
    expectSameTree((await next.open(id))!.view, tree);
    growTo(tree, 60_000);
    await next.write(tree.snapshot(), 2);
    await next.close();
  }, 240_000);
});
