/**
 * {@link ObjectStore} on `@aws-sdk/client-s3`: every request bounded by a deadline (an abort
 * signal, so also with a client the caller built) and retried, with backoff, only on failures that
 * may be transient (no reply, a reset, a timeout, 5xx, 429): every operation the store makes is
 * idempotent as it uses it (a create-only PUT whose 412 the caller checks for equal bytes, a
 * conditional replace whose 412 the caller resolves by reading back, GETs, LISTs, DELETEs).
 * @module
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { requestError } from '../errors.js';
import { Readable } from 'node:stream';
import type { Body, ListedObject, ObjectStore, StoredObject } from './objects.js';
import { bodyLength } from './objects.js';

/** How requests are bounded and retried. */
export interface RequestPolicy {
  /** A request of no body gets this long, in ms; a body or reply of B bytes adds B / {@link MIN_BYTES_PER_SECOND}. */
  readonly timeoutMs: number;
  /** Retries after the first attempt, for transient failures only. */
  readonly retries: number;
}

/** The slowest transfer a request's deadline allows for its bytes (4 MiB/s). */
export const MIN_BYTES_PER_SECOND = 4 * 2 ** 20;
const BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2_000;

/** Connection settings for a client this package builds. */
export interface ClientSettings {
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  readonly forcePathStyle?: boolean;
}

/**
 * A client whose handler throws at the request timeout (`throwOnRequestTimeout`: without it the
 * SDK only logs a warning, and a request to an RGW whose OSD died hung 240 s), with the SDK's own
 * retries off (this package retries where it is safe) and no per-request body checksums (every
 * byte stored carries this package's CRC-32C, checked on read).
 */
export function buildClient(settings: ClientSettings, policy: RequestPolicy): S3Client {
  return new S3Client({
    region: settings.region ?? 'us-east-1',
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(settings.credentials === undefined ? {} : { credentials: settings.credentials }),
    forcePathStyle: settings.forcePathStyle ?? settings.endpoint !== undefined,
    maxAttempts: 1,
    // Failures come back as errors, retried or reported by this package; the SDK would also print
    // some on the console (its retry step warns there about a streamed body it cannot resend).
    logger: QUIET,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: policy.timeoutMs,
      requestTimeout: policy.timeoutMs,
      socketTimeout: policy.timeoutMs,
      throwOnRequestTimeout: true,
    }),
  });
}

const QUIET = { debug: (): void => undefined, info: (): void => undefined, warn: (): void => undefined, error: (): void => undefined };

/** The {@link ObjectStore} of `bucket` through `client`. */
export function sdkObjectStore(client: S3Client, bucket: string, policy: RequestPolicy): ObjectStore {
  return new SdkObjectStore(client, bucket, policy);
}

interface SdkError {
  readonly name?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

function statusOf(err: unknown): number | undefined {
  return (err as SdkError | null)?.$metadata?.httpStatusCode;
}

/** No reply at all (reset, refused, timed out) or a reply saying "try again". */
function transient(err: unknown): boolean {
  const status = statusOf(err);
  return status === undefined || status >= 500 || status === 429 || status === 408;
}

/** ETags come quoted; RGW's If-Match takes only the bare value (the quoted one gives 412). */
function bareEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

class SdkObjectStore implements ObjectStore {
  readonly location: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly policy: RequestPolicy,
  ) {
    this.location = `s3://${bucket}`;
  }

  async get(key: string): Promise<StoredObject | undefined> {
    return this.#send('reading', key, 0, async (abortSignal, expectBody) => {
      try {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal });
        // The size is known only now: the body gets its time (a 16 MiB segment needs 4 s at the floor rate).
        expectBody(out.ContentLength ?? 0);
        const bytes = await out.Body!.transformToByteArray();
        return { bytes, etag: bareEtag(out.ETag) };
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    });
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    return this.#send('reading', key, end - start, async (abortSignal) => {
      try {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end - 1}` }), { abortSignal });
        return await out.Body!.transformToByteArray();
      } catch (err) {
        const status = statusOf(err);
        if (status === 404) return undefined;
        if (status === 416) return new Uint8Array(0); // the object ends before `start`
        throw err;
      }
    });
  }

  async create(key: string, body: Body): Promise<'created' | 'exists'> {
    const length = bodyLength(body);
    return this.#send('writing', key, length, async (abortSignal) => {
      try {
        // A gather list is streamed (a new stream per attempt); its parts are never copied into one buffer.
        const payload = body instanceof Uint8Array ? body : Readable.from(body, { objectMode: false });
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: payload, ContentLength: length, IfNoneMatch: '*' }), { abortSignal });
        return 'created';
      } catch (err) {
        if (statusOf(err) === 412) return 'exists';
        throw err;
      }
    });
  }

  async replace(key: string, body: Uint8Array, etag: string | undefined): Promise<string | undefined> {
    const condition = etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: etag };
    return this.#send('writing', key, body.length, async (abortSignal) => {
      try {
        const out = await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length, ...condition }), { abortSignal });
        return bareEtag(out.ETag);
      } catch (err) {
        // 404: an If-Match on a key with no object (some servers say so instead of 412).
        const status = statusOf(err);
        if (status === 412 || (status === 404 && etag !== undefined)) return undefined;
        throw err;
      }
    });
  }

  async list(prefix: string): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.#send('listing', prefix, 0, (abortSignal) =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token === undefined ? {} : { ContinuationToken: token }) }), { abortSignal }),
      );
      for (const o of page.Contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0 });
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  async delete(key: string): Promise<void> {
    await this.#send('removing', key, 0, async (abortSignal) => {
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    });
  }

  /**
   * One request with a deadline, retried on transient failures; the last failure becomes `IO`. The
   * deadline is the timeout plus the time of `bytes`; an attempt that learns the size of a reply
   * only from its headers (a whole-object GET) calls `expectBody(size)`, which restarts the
   * deadline from then with the time of that body.
   */
  async #send<T>(what: string, key: string, bytes: number, attempt: (signal: AbortSignal, expectBody: (size: number) => void) => Promise<T>): Promise<T> {
    const deadlineFor = (size: number) => this.policy.timeoutMs + Math.ceil((size / MIN_BYTES_PER_SECOND) * 1000);
    for (let tries = 0; ; tries++) {
      const controller = new AbortController();
      const expire = () => controller.abort(new DOMException(`no reply within the deadline`, 'TimeoutError'));
      let timer = setTimeout(expire, deadlineFor(bytes));
      const expectBody = (size: number): void => {
        clearTimeout(timer);
        timer = setTimeout(expire, deadlineFor(size));
      };
      try {
        return await attempt(controller.signal, expectBody);
      } catch (err) {
        if (!transient(err) || tries >= this.policy.retries) throw requestError(err, `${this.location}/${key}`, what);
        await sleep(Math.min(MAX_BACKOFF_MS, BACKOFF_MS * 2 ** tries) * (0.5 + Math.random() / 2));
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
