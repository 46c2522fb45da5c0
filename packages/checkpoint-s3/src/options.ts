/**
 * The options of {@link s3CheckpointStore}, their defaults and their checks.
 * @module
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { CheckpointPointer } from './pointer/pointer.js';

/** Options of {@link s3CheckpointStore}. Give `client`, or `endpoint` (and `credentials`) for one built here. */
export interface S3CheckpointStoreOptions {
  /**
   * An S3 client of your own. Its requests are still bounded by this store's deadlines (abort
   * signals) and retried by it; turn the client's own retries off (`maxAttempts: 1`) to keep to
   * this store's count, and use `forcePathStyle: true` for most non-AWS servers.
   */
  readonly client?: S3Client;
  /** The server's URL (e.g. `http://127.0.0.1:7480`), for a client built here (path-style requests). */
  readonly endpoint?: string;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Keys for a client built here (default: the SDK's credential chain). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** The bucket (it must exist). */
  readonly bucket: string;
  /** Key prefix of this store's objects (`''`: the bucket's top); a tree's objects are under `<prefix>/<treeId>/`. */
  readonly prefix: string;
  /**
   * Who keeps the commit point. Default: a pointer object in the bucket (`<prefix>/<treeId>/pointer`),
   * replaced by conditional writes. A WAL that keeps the tree's epoch (e.g. on PostgreSQL) can
   * offer one, so that the checkpoint is fenced by the same epoch as the log.
   */
  readonly pointer?: CheckpointPointer;
  /**
   * `false` (default): a writer, which claims the pointer at open (a new epoch, fencing earlier
   * writers) and writes checkpoints. `true`: claims nothing, writes nothing (`write` throws
   * `TypeError`), and `latest()` reads what the writer published since: for followers
   * (`RotorTree.follow`) and tools.
   */
  readonly readOnly?: boolean;
  /** Deadline of one request with no body, in ms (default 10 000); bodies add time at 4 MiB/s. */
  readonly requestTimeoutMs?: number;
  /** Retries of a request after a transient failure (default 3). */
  readonly retries?: number;
  /** Requests in flight while writing or downloading (default 4). */
  readonly concurrency?: number;
  /** Largest segment object in bytes, rounded down to whole chunks (default 16 MiB). */
  readonly segmentBytes?: number;
  /**
   * Levels at or above it are downloaded at open; lower levels are read on demand through the
   * view's `read()` (ranged GETs, a bounded cache). Default 0: every level is downloaded, which is
   * what core's engine needs today (it reads checkpoints synchronously).
   */
  readonly pinAboveLevel?: number;
  /** Bytes of fetched pages of lazily read levels kept (default 64 MiB). */
  readonly cacheBytes?: number;
  /** Chunks per ranged GET of a lazily read level (default 1). */
  readonly fetchChunks?: number;
  /** Remove garbage (objects of failed or stale writes, replaced manifests) after publishing (default true). */
  readonly collectGarbage?: boolean;
}

/** The options with their defaults filled in. */
export interface ResolvedOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly readOnly: boolean;
  readonly requestTimeoutMs: number;
  readonly retries: number;
  readonly concurrency: number;
  readonly segmentBytes: number;
  readonly pinAboveLevel: number;
  readonly cacheBytes: number;
  readonly fetchChunks: number;
  readonly collectGarbage: boolean;
}

const positiveInt = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0;

/** Checks `options` (`TypeError` / `RangeError`) and fills in the defaults. */
export function resolveOptions(options: S3CheckpointStoreOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('s3CheckpointStore needs options');
  const { bucket, prefix } = options;
  if (typeof bucket !== 'string' || bucket.length === 0) throw new TypeError('bucket must be a non-empty string');
  if (typeof prefix !== 'string') throw new TypeError("prefix must be a string ('' for the bucket's top)");
  if (options.client === undefined && (typeof options.endpoint !== 'string' || options.endpoint.length === 0)) {
    throw new TypeError('s3CheckpointStore needs a client or an endpoint');
  }
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') throw new TypeError('readOnly must be a boolean');
  const pointer = options.pointer;
  if (pointer !== undefined && (typeof pointer.claim !== 'function' || typeof pointer.publish !== 'function' || typeof pointer.read !== 'function')) {
    throw new TypeError('pointer must implement CheckpointPointer (claim, read, publish, close)');
  }
  const ints: Array<[keyof S3CheckpointStoreOptions, number, (v: unknown) => boolean, string]> = [
    ['requestTimeoutMs', 10_000, positiveInt, 'a positive integer'],
    ['retries', 3, (v) => Number.isSafeInteger(v) && (v as number) >= 0, 'an integer >= 0'],
    ['concurrency', 4, positiveInt, 'a positive integer'],
    ['segmentBytes', 16 * 2 ** 20, positiveInt, 'a positive integer'],
    ['pinAboveLevel', 0, (v) => Number.isSafeInteger(v) && (v as number) >= 0, 'an integer >= 0'],
    ['cacheBytes', 64 * 2 ** 20, (v) => Number.isSafeInteger(v) && (v as number) >= 0, 'an integer >= 0'],
    ['fetchChunks', 1, positiveInt, 'a positive integer'],
  ];
  const out: Record<string, number> = {};
  for (const [name, dflt, ok, what] of ints) {
    const v = options[name];
    if (v !== undefined && !ok(v)) throw new RangeError(`${name} must be ${what}, got ${String(v)}`);
    out[name] = (v as number | undefined) ?? dflt;
  }
  if (options.collectGarbage !== undefined && typeof options.collectGarbage !== 'boolean') throw new TypeError('collectGarbage must be a boolean');
  return {
    bucket,
    prefix,
    readOnly: options.readOnly ?? false,
    requestTimeoutMs: out.requestTimeoutMs!,
    retries: out.retries!,
    concurrency: out.concurrency!,
    segmentBytes: out.segmentBytes!,
    pinAboveLevel: out.pinAboveLevel!,
    cacheBytes: out.cacheBytes!,
    fetchChunks: out.fetchChunks!,
    collectGarbage: options.collectGarbage ?? true,
  };
}
