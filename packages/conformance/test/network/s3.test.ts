// The fault proxy (HTTP framing) and the controller against a real Ceph RGW: conditional PUTs
// counted by request, a reset before a PUT, a PUT whose answer is lost, then a private RGW
// whose radosgw and OSD are SIGKILLed by its controller.
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy, httpFraming, lookupPrivateService, lookupService, useService } from '../../src/network/index.js';
import type { PrivateService, S3Service } from '../../src/network/index.js';

const shared = await lookupService('s3');
// The private RGW takes seconds to create: started now, while the shared RGW's tests run.
const starter = lookupPrivateService('s3');
const privateRgw = starter.available ? starter.info() : undefined;
privateRgw?.catch(() => undefined); // awaited (and reported) by its tests' beforeAll

/** A client of `info`'s endpoint, or of the proxy in front of it: one attempt, requests time out (and throw). */
function s3(info: S3Service, proxy?: FaultProxy, requestTimeout = 3000): S3Client {
  return new S3Client({
    endpoint: proxy === undefined ? info.endpoint : `http://${proxy.host}:${proxy.port}`,
    region: info.region,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: { requestTimeout, connectionTimeout: 3000, throwOnRequestTimeout: true },
  });
}

/** How a request failed: the HTTP status when the server answered, else the socket error's code. */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: Error & { code?: string; $metadata?: { httpStatusCode?: number } }) => {
      const status = error.$metadata?.httpStatusCode;
      return status === undefined ? (error.code ?? error.name) : String(status);
    },
  );
const uniqueBucket = (prefix: string) => `${prefix}-${process.pid}-${Date.now()}`;
const text = async (client: S3Client, Bucket: string, Key: string) => (await client.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString();

describe('through the fault proxy (the shared RGW)', () => {
  let proxy: FaultProxy | undefined;
  let info: S3Service;
  let direct: S3Client;
  let bucket: string;

  beforeAll(async () => {
    if (!shared.available) return;
    info = shared.info;
    proxy = await FaultProxy.start({ target: { port: Number(new URL(info.endpoint).port) }, framing: httpFraming });
    // Setup and checks go around the proxy with a long timeout: a loaded RGW (its private twin is being
    // created meanwhile) may take seconds to make a bucket.
    direct = s3(info, undefined, 30_000);
    bucket = uniqueBucket('network');
    await direct.send(new CreateBucketCommand({ Bucket: bucket }));
  }, 60_000);
  afterAll(async () => proxy?.close());
  afterEach(() => {
    proxy?.setMode('pass');
    proxy?.disarm();
  });

  it('If-None-Match: * on an existing key gives 412 and keeps the bytes; each PUT is one counted request', async (ctx) => {
    useService(shared, ctx);
    const client = s3(info, proxy);
    const puts: string[] = [];
    const stop = proxy!.onMessage((event, when) => {
      if (when === 'after') puts.push(`${event.direction} ${event.kind}`);
    });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'once', Body: 'first', IfNoneMatch: '*' }));
    expect(await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'once', Body: 'second', IfNoneMatch: '*' })))).toBe('412');
    stop();
    expect(await text(direct, bucket, 'once')).toBe('first');
    expect(puts).toEqual([`request PUT /${bucket}/once?x-id=PutObject`, 'reply 200', `request PUT /${bucket}/once?x-id=PutObject`, 'reply 412']);
  });

  it('reset before the PUT reaches the server: ECONNRESET, and no object', async (ctx) => {
    useService(shared, ctx);
    const fired = proxy!.at({ when: 'before', direction: 'request', nth: 1, kind: 'PUT' }, 'reset');
    expect(await failure(s3(info, proxy).send(new PutObjectCommand({ Bucket: bucket, Key: 'never', Body: 'x' })))).toBe('ECONNRESET');
    await fired;
    expect(await failure(direct.send(new HeadObjectCommand({ Bucket: bucket, Key: 'never' })))).toBe('404');
  });

  it('the answer to a PUT lost (before-reply -> blackhole): the client times out, the object is there; a conditional retry gets 412', async (ctx) => {
    useService(shared, ctx);
    const client = s3(info, proxy, 1000);
    proxy!.at({ when: 'before', direction: 'reply', nth: 1 }, 'blackhole');
    expect(await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'landed', Body: 'bytes', IfNoneMatch: '*' })))).toBe('ETIMEDOUT');
    expect(await text(direct, bucket, 'landed')).toBe('bytes');
    proxy!.setMode('pass');
    expect(await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'landed', Body: 'bytes', IfNoneMatch: '*' })))).toBe('412');
  });
});

describe('the controller (a private RGW: it kills daemons)', () => {
  let rgw: PrivateService<S3Service> | undefined;
  let proxy: FaultProxy | undefined;
  const bucket = uniqueBucket('killed');

  beforeAll(async () => {
    rgw = await privateRgw;
    if (rgw === undefined) return;
    proxy = await FaultProxy.start({ target: { port: Number(new URL(rgw.info.endpoint).port) }, framing: httpFraming });
    // The first PUT creates the data pools (seconds): not inside a timed request.
    const client = s3(rgw.info, undefined, 60_000);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'warm', Body: 'warm' }));
  }, 180_000);
  afterAll(async () => {
    await proxy?.close();
    await rgw?.close();
  }, 60_000);

  it('kill -9 of radosgw while a PUT is on its way: ECONNRESET; after start() every acknowledged object is there', async (ctx) => {
    useService(starter, ctx);
    const { info, controller } = rgw!;
    const client = s3(info, proxy);
    for (let i = 0; i < 5; i++) await client.send(new PutObjectCommand({ Bucket: bucket, Key: `acked-${i}`, Body: `value ${i}` }));
    proxy!.at({ when: 'before', direction: 'request', nth: 1, kind: 'PUT' }, () => controller.kill('rgw'));
    expect(await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'in-flight', Body: 'x' })))).toBe('ECONNRESET');
    const started = Date.now();
    await controller.start();
    ctx.annotate(`radosgw back in ${Date.now() - started} ms`);
    for (let i = 0; i < 5; i++) expect(await text(s3(info), bucket, `acked-${i}`)).toBe(`value ${i}`);
  });

  it('kill -9 of the OSD: a PUT hangs until the client gives up (ETIMEDOUT); after start() the objects are there', async (ctx) => {
    useService(starter, ctx);
    const { info, controller } = rgw!;
    const client = s3(info, undefined, 1000);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'before-osd-kill', Body: 'kept' }));
    await controller.kill('osd');
    expect(await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'osd-down', Body: 'x' })))).toBe('ETIMEDOUT');
    const started = Date.now();
    await controller.start();
    ctx.annotate(`OSD back in ${Date.now() - started} ms`);
    expect(await text(s3(info, undefined, 30_000), bucket, 'before-osd-kill')).toBe('kept');
  }, 120_000);
});
