/**
 * Faults injected by the fake server: crash points at every request of a write (before it lands,
 * or after it landed with the reply lost, and nothing after it lands: the writer died there),
 * transient failures that the store retries, and a server that never answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3CheckpointStore } from '../src/index.js';
import type { S3Target } from './support/targets.js';
import { fakeTarget } from './support/targets.js';
import { expectSameTree, growTo, identity, treeOf } from './support/trees.js';

describe('faults (fake S3)', () => {
  let target: S3Target;
  beforeAll(async () => {
    target = await fakeTarget();
  });
  afterAll(async () => target?.close());
  const fake = () => target.fake!;

  it('a crash at any request of a write leaves the old or the new checkpoint, and the next write succeeds', async () => {
    // How many requests one write makes (segments, manifest, pointer), counted on a clean run.
    const count = async () => {
      const options = target.options({ segmentBytes: 40 * 1024, concurrency: 1, collectGarbage: false });
      const id = identity(4);
      const w = s3CheckpointStore(options);
      await w.open(id);
      await w.write(treeOf(4, 4000).snapshot(), 1);
      const before = fake().log.length;
      await w.write(treeOf(4, 9000).snapshot(), 2);
      const n = fake().log.length - before;
      await w.close();
      return n;
    };
    const requests = await count();
    expect(requests).toBeGreaterThanOrEqual(5);
    for (let k = 0; k < requests; k++) {
      for (const when of ['before', 'after'] as const) {
        const options = target.options({ segmentBytes: 40 * 1024, concurrency: 1, retries: 0 });
        const id = identity(4);
        const tree = treeOf(4, 4000);
        const w = s3CheckpointStore(options);
        await w.open(id);
        await w.write(tree.snapshot(), 1);
        await w.settled();
        const old = treeOf(4, 4000);
        growTo(tree, 9000);
        fake().fault({ skip: k, when, action: 'reset', sticky: true });
        await expect(w.write(tree.snapshot(), 2)).rejects.toMatchObject({ code: 'IO' });
        await w.close().catch(() => undefined);
        fake().heal();

        const next = s3CheckpointStore(options);
        const got = await next.open(id);
        expect([1, 2]).toContain(got!.seq);
        expectSameTree(got!.view, got!.seq === 1 ? old : tree);
        growTo(tree, 12000);
        await next.write(tree.snapshot(), 3);
        await next.close();
        const r = s3CheckpointStore({ ...options, readOnly: true });
        expectSameTree((await r.open(id))!.view, tree);
        await r.close();
      }
    }
  });

  it('a lost reply is retried: a create-only PUT finds its own bytes (412), a publish finds its own pointer', async () => {
    for (const key of [/\/seg\//, /\/manifest\//, /\/pointer$/]) {
      const options = target.options();
      const id = identity(4);
      const tree = treeOf(4, 6000);
      const w = s3CheckpointStore(options);
      await w.open(id);
      fake().fault({ method: 'PUT', key, when: 'after', action: 'reset' });
      await w.write(tree.snapshot(), 1);
      await w.close();
      const r = s3CheckpointStore({ ...options, readOnly: true });
      expectSameTree((await r.open(id))!.view, tree);
      await r.close();
    }
    fake().heal();
  });

  it('500s and resets before a request lands are retried', async () => {
    const options = target.options({ retries: 3 });
    const id = identity(3);
    const tree = treeOf(3, 5000);
    fake().fault({ when: 'before', action: 'error500', times: 2 });
    fake().fault({ method: 'GET', when: 'before', action: 'reset', times: 1 });
    const w = s3CheckpointStore(options);
    await w.open(id);
    fake().fault({ method: 'PUT', when: 'before', action: 'error500', times: 3 });
    await w.write(tree.snapshot(), 1);
    await w.close();
    fake().heal();
    const r = s3CheckpointStore({ ...options, readOnly: true });
    expectSameTree((await r.open(id))!.view, tree);
    await r.close();
  });

  it('a server that never answers makes open and write reject within the timeout (IO), not hang', async () => {
    const options = target.options({ requestTimeoutMs: 300, retries: 1 });
    const id = identity(4);
    fake().fault({ when: 'before', action: 'drop', sticky: true });
    let t0 = Date.now();
    await expect(s3CheckpointStore(options).open(id)).rejects.toMatchObject({ code: 'IO' });
    expect(Date.now() - t0).toBeLessThan(3_000);
    fake().heal();

    const w = s3CheckpointStore(options);
    await w.open(id);
    fake().fault({ method: 'PUT', when: 'before', action: 'drop', sticky: true });
    t0 = Date.now();
    await expect(w.write(treeOf(4, 3000).snapshot(), 1)).rejects.toMatchObject({ code: 'IO' });
    expect(Date.now() - t0).toBeLessThan(5_000);
    fake().heal();
    await w.close();
  });

  it('a whole-object GET gets the time of its body (learnt from its headers): a large segment at a slow but allowed rate loads', async () => {
    // One 6.4 MiB segment at 4.5 MiB/s: 1.4 s, more than the 1 s a request without a body gets,
    // less than 1 s plus its body at the floor rate of 4 MiB/s (2.6 s).
    const options = target.options({ requestTimeoutMs: 1_000, retries: 1 });
    const id = identity(4);
    const w = s3CheckpointStore(options);
    await w.open(id);
    const tree = treeOf(4, 210_000);
    await w.write(tree.snapshot(), 1);
    await w.close();
    fake().fault({ method: 'GET', key: /\/seg\/00\//, when: 'before', action: 'trickle', bytesPerSecond: 4.5 * 2 ** 20, times: 2 });
    const r = s3CheckpointStore({ ...options, readOnly: true });
    const t0 = Date.now();
    const got = await r.open(id);
    expect(Date.now() - t0).toBeGreaterThan(1_000); // the trickle did slow it down
    expectSameTree(got!.view, tree);
    await r.close();
    fake().heal();
  });

  it('a slow reply within the deadline is fine', async () => {
    const options = target.options({ requestTimeoutMs: 5_000, retries: 0 });
    const id = identity(4);
    fake().fault({ when: 'before', action: 'delay', delayMs: 500, times: 5 });
    const w = s3CheckpointStore(options);
    await w.open(id);
    await w.write(treeOf(4, 3000).snapshot(), 1);
    await w.close();
    fake().heal();
  });
});
