/**
 * The tree state of a published checkpoint as a {@link TreeView}. Levels at or above the store's
 * `pinAboveLevel` were downloaded at open (whole segment objects); lower levels are read on demand:
 * a chunk's page (a ranged GET of `fetchChunks` aligned chunks) is fetched when first needed,
 * checked against its CRCs, and kept in a bounded LRU ({@link PageCache}). The rest of each level
 * (a partial chunk, the unsettled last node) comes from the manifest.
 *
 * Core reads trees synchronously; a fetch is not. So the synchronous reads (`readNode`, `getNode`,
 * `readNodes`) of a lazily read level serve only pages held in the cache, and throw `IO` for
 * others; {@link S3CheckpointView.read} runs a synchronous reader (a proof generator, say) with every
 * page it touches fetched first: it runs it once recording the pages it misses, fetches them (in
 * parallel), and runs it again, until a run misses nothing. That is the seam a follower uses, and the
 * one core's engine would need (see the package README, "What core would need").
 * @module
 */
import type { ChunkRun, ChunkSource, ConsistencyProof, Hasher, InclusionProof, TreeView } from '@rotortree/core';
import { NODE_SIZE, RotorTreeError, depthForSize, generateConsistencyProof, generateProof, levelLengthFor, runHoldingChunk } from '@rotortree/core';
import type { Manifest } from '../format/manifest.js';
import type { PageCache } from './page-cache.js';
import type { RemoteSegment } from './segments.js';

/** Shared by a store and its views: set once the store closes. */
export interface ViewLifetime {
  closed: boolean;
}

/** How one level is read. */
export type LevelSource =
  | { readonly kind: 'pinned'; readonly runs: readonly ChunkRun[] }
  | { readonly kind: 'lazy'; readonly segments: readonly RemoteSegment[] };

/** A read of a lazily read level that must wait for a fetch. */
interface Miss {
  readonly segment: RemoteSegment;
  readonly first: number;
  readonly count: number;
}

/** A synchronous reader run by {@link S3CheckpointView.read}. */
export type ViewReader<T> = (view: S3CheckpointView) => T;

export class S3CheckpointView implements TreeView, ChunkSource {
  readonly n: number;
  readonly maxDepth: number;
  readonly size: number;
  readonly depth: number;
  /** Where the checkpoint was read from (the manifest's key). */
  readonly location: string;
  readonly #chunkNodes: number;
  readonly #chunkBytes: number;
  readonly #levels: readonly LevelSource[];
  readonly #tails: readonly Uint8Array[];
  readonly #tailStarts: readonly number[];
  readonly #lens: readonly number[];
  readonly #cache: PageCache;
  readonly #fetchChunks: number;
  readonly #life: ViewLifetime;
  readonly #zeros: Uint8Array;
  /** During a pass of {@link read}: the pages it missed, by page id. */
  #misses: Map<string, Miss> | undefined;
  /** The offset of the chunk in the page {@link #chunk} returned last. */
  #at = 0;

  /** @internal Built by the store. */
  constructor(manifest: Manifest, location: string, levels: readonly LevelSource[], cache: PageCache, fetchChunks: number, life: ViewLifetime) {
    this.n = manifest.n;
    this.maxDepth = manifest.maxDepth;
    this.size = manifest.size;
    this.depth = depthForSize(manifest.size, manifest.n);
    this.location = location;
    this.#chunkNodes = manifest.chunkNodes;
    this.#chunkBytes = manifest.chunkNodes * NODE_SIZE;
    this.#levels = levels;
    this.#tails = manifest.levels.map((l) => l.nodes);
    this.#tailStarts = manifest.levels.map((l) => l.wholeChunks * manifest.chunkNodes);
    this.#lens = manifest.levels.map((_, k) => levelLengthFor(manifest.size, manifest.n, k));
    this.#cache = cache;
    this.#fetchChunks = fetchChunks;
    this.#life = life;
    this.#zeros = new Uint8Array(this.#chunkBytes);
  }

  /** The root (a copy), or `undefined` for an empty tree. */
  get root(): Uint8Array | undefined {
    return this.size === 0 ? undefined : this.getNode(this.depth, 0);
  }

  levelLength(level: number): number {
    return this.#lens[level] ?? 0;
  }

  /** True when `level` is read on demand (not downloaded at open). */
  isLazy(level: number): boolean {
    return this.#levels[level]?.kind === 'lazy';
  }

  readNode(level: number, index: number, out: Uint8Array, outOffset: number): void {
    this.readNodes(level, index, 1, out, outOffset);
  }

  getNode(level: number, index: number): Uint8Array {
    const out = new Uint8Array(NODE_SIZE);
    this.readNodes(level, index, 1, out, 0);
    return out;
  }

  /** Copies nodes `index .. index + count - 1` of `level` into `out` from `outOffset`. */
  readNodes(level: number, index: number, count: number, out: Uint8Array, outOffset: number): void {
    this.#check(level, index, count);
    const cn = this.#chunkNodes;
    const tailStart = this.#tailStarts[level]!;
    while (count > 0 && index < tailStart) {
      const c = Math.floor(index / cn);
      const within = index - c * cn;
      const take = Math.min(count, cn - within);
      const page = this.#chunk(level, c);
      const from = this.#at + within * NODE_SIZE;
      out.set(page.subarray(from, from + take * NODE_SIZE), outOffset);
      index += take;
      count -= take;
      outOffset += take * NODE_SIZE;
    }
    if (count > 0) {
      const off = (index - tailStart) * NODE_SIZE;
      out.set(this.#tails[level]!.subarray(off, off + count * NODE_SIZE), outOffset);
    }
  }

  /**
   * Runs `reader` (synchronous, reading this view only) with every page it touches fetched first,
   * and returns its result: passes that miss pages only record them; the pages are fetched in
   * parallel and kept (leased: not evicted) until the pass that misses nothing has returned. A failed
   * fetch rejects (`IO`, or `CORRUPTION` naming the segment).
   */
  async read<T>(reader: ViewReader<T>): Promise<T> {
    const leased: string[] = [];
    try {
      for (let pass = 0; ; pass++) {
        const misses = new Map<string, Miss>();
        this.#misses = misses;
        let result: { value: T } | { error: unknown };
        try {
          result = { value: reader(this) };
        } catch (error) {
          result = { error };
        } finally {
          this.#misses = undefined;
        }
        if (misses.size === 0) {
          if ('error' in result) throw result.error;
          return result.value;
        }
        if (pass > this.depth + 1) throw new RotorTreeError('IO', `${this.location}: a reader kept missing pages after ${pass} passes`, { file: this.location });
        const loads = [...misses].map(async ([id, miss]) => {
          await this.#cache.load(id, () => miss.segment.page(miss.first, miss.count), true);
          leased.push(id);
        });
        const failed = (await Promise.allSettled(loads)).find((r) => r.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      }
    } finally {
      this.#cache.release(leased);
    }
  }

  /** The inclusion proof of leaf `index` (core's `generateProof`, through {@link read}). */
  generateProof(index: number): Promise<InclusionProof> {
    return this.read((v) => generateProof(v, index));
  }

  /** The consistency proof from `oldSize` to this checkpoint's size (core's, through {@link read}). */
  generateConsistencyProof(oldSize: number, hasher: Hasher): Promise<ConsistencyProof> {
    return this.read((v) => generateConsistencyProof(v, oldSize, hasher));
  }

  /** Fetches (into the cache, unleased) the pages holding nodes `index .. index + count - 1` of `level`. */
  async prefetch(level: number, index: number, count: number): Promise<void> {
    this.#check(level, index, count);
    const scratch = new Uint8Array(NODE_SIZE);
    await this.read((v) => {
      const cn = this.#chunkNodes;
      for (let c = Math.floor(index / cn); c * cn < Math.min(index + count, this.#tailStarts[level]!); c++) v.readNode(level, c * cn, scratch, 0);
    });
  }

  // --- core's ChunkSource, for the levels downloaded at open ----------------------------------

  settledChunks(level: number, chunkNodes: number): readonly Uint8Array[] {
    const runs = this.settledRuns(level, chunkNodes);
    const out: Uint8Array[] = [];
    for (const run of runs) {
      for (let off = 0; off < run.bytes.length; off += this.#chunkBytes) {
        run.check?.(run.firstChunk + off / this.#chunkBytes);
        out.push(run.bytes.subarray(off, off + this.#chunkBytes));
      }
    }
    return out;
  }

  /** The level's whole chunks as runs (one per segment), checked on first read: only for levels downloaded at open. */
  settledRuns(level: number, chunkNodes: number): readonly ChunkRun[] {
    this.#assertOpen();
    const source = this.#levels[level];
    if (chunkNodes !== this.#chunkNodes || source?.kind !== 'pinned') return [];
    return source.runs;
  }

  settledChunkAt(level: number, chunkNodes: number, c: number): Uint8Array | undefined {
    this.#assertOpen();
    const source = this.#levels[level];
    if (chunkNodes !== this.#chunkNodes || source?.kind !== 'pinned' || !Number.isInteger(c) || c < 0 || c * chunkNodes >= this.#tailStarts[level]!) return undefined;
    const page = this.#chunk(level, c);
    return page.subarray(this.#at, this.#at + this.#chunkBytes);
  }

  /** The page holding whole chunk `c` of `level`; the chunk starts at `this.#at` in it. */
  #chunk(level: number, c: number): Uint8Array {
    const source = this.#levels[level]!;
    if (source.kind === 'pinned') {
      const run = runHoldingChunk(source.runs, c)!;
      run.check?.(c);
      this.#at = (c - run.firstChunk) * this.#chunkBytes;
      return run.bytes;
    }
    const segment = segmentHolding(source.segments, c);
    const rel = c - segment.entry.firstChunk;
    const { id, first } = pageOf(segment, rel, this.#fetchChunks);
    const page = this.#cache.get(id);
    if (page !== undefined) {
      this.#at = (rel - first) * this.#chunkBytes;
      return page;
    }
    const misses = this.#misses;
    if (misses === undefined) {
      throw new RotorTreeError('IO', `${this.location}: chunk ${c} of level ${level} is not fetched yet: read lazily held levels through view.read()`, {
        file: this.location,
      });
    }
    misses.set(id, { segment, first, count: Math.min(this.#fetchChunks, segment.entry.chunkCount - first) });
    this.#at = 0;
    return this.#zeros;
  }

  #check(level: number, index: number, count: number): void {
    this.#assertOpen();
    const len = this.#lens[level];
    if (len === undefined || !Number.isInteger(index) || !Number.isInteger(count) || index < 0 || count < 0 || index + count > len) {
      throw new RotorTreeError('INDEX_OUT_OF_RANGE', `no node ${index}${count === 1 ? '' : ` (+${count})`} at level ${level} (length ${len ?? 0})`);
    }
  }

  #assertOpen(): void {
    if (this.#life.closed) throw new RotorTreeError('CLOSED', 'the checkpoint store was closed: its views are gone');
  }
}

/** The page holding chunk `rel` (segment-relative) of `segment`: its cache id and first chunk (segment-relative). */
export function pageOf(segment: RemoteSegment, rel: number, fetchChunks: number): { readonly id: string; readonly first: number } {
  const first = rel - (rel % fetchChunks);
  return { id: `${segment.entry.level}:${segment.entry.firstChunk + first}`, first };
}

/** The segment of sorted, tiling `segments` holding chunk `c` (binary search). */
function segmentHolding(segments: readonly RemoteSegment[], c: number): RemoteSegment {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid]!.entry.firstChunk <= c) lo = mid;
    else hi = mid - 1;
  }
  return segments[lo]!;
}
