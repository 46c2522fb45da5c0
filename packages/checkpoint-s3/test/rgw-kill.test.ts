/**
 * kill -9 of the real radosgw in the middle of a checkpoint write (a 50 MiB write, killed by time,
 * so mid-body), and of the OSD, then a restart: the next checkpoint succeeds and nothing published
 * is lost. On a private RGW (its own directory and ports, started by `scripts/services/ceph-rgw.sh`
 * through the conformance suite's `lookupPrivateService`): the shared RGW serves other packages'
 * tests meanwhile, and must never be killed. Skipped when it cannot be started (failed under CI).
 *
 * `@rotortree/conformance/network` is loaded from its built `dist` by path: the conformance
 * package's tests depend on this package (a dependency back would be a cycle turbo refuses), and
 * `scripts/test.sh` builds every package before any test.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3CheckpointStore } from '../src/index.js';
import type { S3Target } from './support/targets.js';
import { rgwTarget } from './support/targets.js';
import { expectSameTree, growTo, identity, treeOf } from './support/trees.js';

/** What this file uses of `@rotortree/conformance/network`. */
interface PrivateRgw {
  readonly info: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  readonly controller: { kill(process: string): Promise<void>; start(process?: string): Promise<void> };
  close(): Promise<void>;
}
type Lookup = { available: true; info: () => Promise<PrivateRgw> } | { available: false; reason: string };

const NETWORK = fileURLToPath(new URL('../../conformance/dist/network/index.js', import.meta.url));
const network = existsSync(NETWORK) ? ((await import(NETWORK)) as { lookupPrivateService(name: 's3'): Lookup; servicesRequired(): boolean }) : undefined;
const starter: Lookup = network?.lookupPrivateService('s3') ?? { available: false, reason: `@rotortree/conformance is not built (${NETWORK})` };
if (!starter.available && (process.env.CI === 'true' || network?.servicesRequired() === true)) throw new Error(`CI: a private RGW is needed: ${starter.reason}`);

describe.skipIf(!starter.available)('radosgw and the OSD killed (a private RGW)', () => {
  let target: S3Target;
  let rgw: PrivateRgw;
  beforeAll(async () => {
    rgw = await (starter as Extract<Lookup, { available: true }>).info();
    target = await rgwTarget({ ...rgw.info });
  }, 240_000);
  afterAll(async () => {
    await target?.close();
    await rgw?.close();
  }, 60_000);

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
    await rgw.controller.kill('rgw');
    const outcome = await writing;
    expect(['IO', 'published']).toContain(outcome);
    console.info(`rgw killed mid-write: the write ${outcome === 'IO' ? 'failed (IO)' : 'had published'}`);
    await w.close().catch(() => undefined);
    await rgw.controller.start('rgw');

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
    await rgw.controller.kill('osd');
    try {
      const t0 = Date.now();
      await expect(s3CheckpointStore({ ...options, readOnly: true }).open(id)).rejects.toMatchObject({ code: 'IO' });
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await rgw.controller.start('osd');
    }
    const next = s3CheckpointStore({ ...options, requestTimeoutMs: 30_000, retries: 5 });
    expectSameTree((await next.open(id))!.view, tree);
    growTo(tree, 60_000);
    await next.write(tree.snapshot(), 2);
    await next.close();
  }, 240_000);
});
