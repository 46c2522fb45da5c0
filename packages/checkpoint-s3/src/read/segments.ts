/**
 * Getting segment bytes: whole objects (levels downloaded at open) or pages of them by ranged GETs
 * (levels read on demand). Every chunk is checked against its CRC in the segment's trailer, which
 * is checked against the manifest: a missing object, a short one, a bad trailer or a bad chunk is
 * `CORRUPTION` naming the key.
 * @module
 */
import { corruption } from '../errors.js';
import type { TreeKeys } from '../format/keys.js';
import { segmentKey } from '../format/keys.js';
import type { SegmentEntry } from '../format/manifest.js';
import { SegmentChecks, segmentBytes, trailerBytes } from '../format/segment.js';
import type { ObjectStore } from '../s3/objects.js';

/** Where a store's segments come from. */
export interface SegmentReader {
  readonly objects: ObjectStore;
  readonly keys: TreeKeys;
  readonly treeId: string;
  readonly chunkBytes: number;
}

/** The object key of `entry` and how errors name it. */
export function segmentPlace(r: SegmentReader, entry: SegmentEntry): { readonly key: string; readonly where: string } {
  const key = segmentKey(r.keys, entry.level, entry.firstChunk, entry.chunkCount, entry.epoch);
  return { key, where: `${r.objects.location}/${key}` };
}

function checksFor(r: SegmentReader, entry: SegmentEntry, where: string, trailer: Uint8Array): SegmentChecks {
  return new SegmentChecks(where, trailer, { ...entry, chunkBytes: r.chunkBytes, treeId: r.treeId });
}

/** A whole segment, downloaded: its chunk bytes and their checks (each chunk checked when first read). */
export interface LoadedSegment {
  readonly chunks: Uint8Array;
  readonly checks: SegmentChecks;
}

/** Downloads segment `entry` whole and checks its trailer. */
export async function loadSegment(r: SegmentReader, entry: SegmentEntry): Promise<LoadedSegment> {
  const { key, where } = segmentPlace(r, entry);
  const got = await r.objects.get(key);
  if (got === undefined) throw corruption(where, 'segment object named by the manifest is missing', 0);
  const want = segmentBytes(entry.chunkCount, r.chunkBytes);
  if (got.bytes.length !== want) throw corruption(where, `segment has ${got.bytes.length} bytes, the manifest names ${want}`, Math.min(got.bytes.length, want));
  const at = entry.chunkCount * r.chunkBytes;
  return { chunks: got.bytes.subarray(0, at), checks: checksFor(r, entry, where, got.bytes.subarray(at)) };
}

/** A segment read by pages: its trailer fetched once (on first use), pages by ranged GETs. */
export class RemoteSegment {
  readonly entry: SegmentEntry;
  readonly #reader: SegmentReader;
  readonly #key: string;
  readonly #where: string;
  #checks: Promise<SegmentChecks> | undefined;

  constructor(reader: SegmentReader, entry: SegmentEntry) {
    this.#reader = reader;
    this.entry = entry;
    const place = segmentPlace(reader, entry);
    this.#key = place.key;
    this.#where = place.where;
  }

  /** Chunks `[first, first + count)` of the segment (segment-relative), fetched and each checked. */
  async page(first: number, count: number): Promise<Uint8Array> {
    const cb = this.#reader.chunkBytes;
    const [checks, bytes] = await Promise.all([this.#trailer(), this.#range(first * cb, (first + count) * cb)]);
    for (let i = 0; i < count; i++) checks.check(first + i, bytes, i * cb, true);
    return bytes;
  }

  /**
   * The last page of the segment, from chunk `first` (segment-relative) to its end, and the trailer
   * after it, in one ranged GET (they are adjacent): each chunk checked. The trailer is kept, unless
   * one was fetched or is being fetched already.
   */
  async tailPage(first: number): Promise<Uint8Array> {
    const cb = this.#reader.chunkBytes;
    const at = this.entry.chunkCount * cb;
    const fetched = this.#checks === undefined ? this.#range(first * cb, at + trailerBytes(this.entry.chunkCount)) : undefined;
    if (fetched === undefined) return this.page(first, this.entry.chunkCount - first);
    this.#remember(fetched.then((bytes) => checksFor(this.#reader, this.entry, this.#where, bytes.subarray(at - first * cb))));
    const [checks, bytes] = await Promise.all([this.#checks!, fetched]);
    const page = bytes.subarray(0, at - first * cb);
    for (let i = 0; i < this.entry.chunkCount - first; i++) checks.check(first + i, page, i * cb, true);
    return page;
  }

  /** Starts fetching the trailer (if not fetched or being fetched): a later {@link page} does not wait for it. Failures are dropped here. */
  prefetchTrailer(): void {
    this.#trailer().catch(() => undefined);
  }

  #trailer(): Promise<SegmentChecks> {
    if (this.#checks === undefined) {
      const at = this.entry.chunkCount * this.#reader.chunkBytes;
      this.#remember(this.#range(at, at + trailerBytes(this.entry.chunkCount)).then((trailer) => checksFor(this.#reader, this.entry, this.#where, trailer)));
    }
    return this.#checks!;
  }

  /** Keeps `checks` as the trailer's; a failed fetch is not remembered: the next read tries again. */
  #remember(checks: Promise<SegmentChecks>): void {
    this.#checks = checks;
    checks.catch(() => {
      if (this.#checks === checks) this.#checks = undefined;
    });
  }

  async #range(start: number, end: number): Promise<Uint8Array> {
    const got = await this.#reader.objects.getRange(this.#key, start, end);
    if (got === undefined) throw corruption(this.#where, 'segment object named by the manifest is missing', 0);
    if (got.length !== end - start) {
      throw corruption(this.#where, `segment is shorter than the ${segmentBytes(this.entry.chunkCount, this.#reader.chunkBytes)} bytes the manifest names`, start + got.length);
    }
    return got;
  }
}
