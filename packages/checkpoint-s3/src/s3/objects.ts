/**
 * What the checkpoint store needs from an S3-compatible server, as one small interface: the store's
 * logic is written against it, the SDK is confined to {@link sdkObjectStore}.
 *
 * Every call is one request (plus the retries its implementation makes, only where the operation is
 * idempotent as the store uses it) and is bounded by a timeout: none can hang.
 * @module
 */

/** An object read whole, with the ETag the server gave it (unquoted). */
export interface StoredObject {
  readonly bytes: Uint8Array;
  readonly etag: string;
}

/** One key of a listing. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
}

/**
 * A request body: one buffer, or several sent back to back (a gather list: e.g. a segment's chunks
 * taken by reference from the tree, then its trailer), never copied into one.
 */
export type Body = Uint8Array | readonly Uint8Array[];

/** Bytes in `body`. */
export function bodyLength(body: Body): number {
  if (body instanceof Uint8Array) return body.length;
  let n = 0;
  for (const part of body) n += part.length;
  return n;
}

/** True when `stored` holds exactly the bytes of `body`. */
export function bodyEquals(stored: Uint8Array, body: Body): boolean {
  const parts = body instanceof Uint8Array ? [body] : body;
  if (stored.length !== bodyLength(body)) return false;
  let at = 0;
  for (const part of parts) {
    if (Buffer.compare(stored.subarray(at, at + part.length), part) !== 0) return false;
    at += part.length;
  }
  return true;
}

/** The requests the store makes. Keys are full object keys in the store's bucket. */
export interface ObjectStore {
  /** `s3://bucket` for messages. */
  readonly location: string;
  /** The whole object, or `undefined` when there is none (404). */
  get(key: string): Promise<StoredObject | undefined>;
  /**
   * Bytes `[start, end)` of the object (a ranged GET), or `undefined` when there is no object. A
   * shorter result means the object is shorter than `end`.
   */
  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined>;
  /**
   * Creates the object only if the key is free (`If-None-Match: *`): `'created'`, or `'exists'` on
   * 412 (the caller decides whether the stored bytes are its own: a retried create of equal bytes).
   */
  create(key: string, body: Body): Promise<'created' | 'exists'>;
  /**
   * Replaces the object only if it is still the version `etag` names (`If-Match`), or creates it
   * only if absent when `etag` is `undefined`. Returns the new ETag, or `undefined` on 412 (another
   * version is there now, or this very write landed already and the reply was lost: the caller reads
   * the object back to tell).
   */
  replace(key: string, body: Uint8Array, etag: string | undefined): Promise<string | undefined>;
  /** Every key under `prefix` with its size (all pages of the listing). */
  list(prefix: string): Promise<ListedObject[]>;
  /** Removes the object (no error when it is already gone). */
  delete(key: string): Promise<void>;
}
