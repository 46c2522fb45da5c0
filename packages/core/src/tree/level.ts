/**
 * One level of the tree: a flat arena of 32-byte nodes split into chunks.
 *
 * Chunks hold a multiple of n nodes, so a group of n siblings never straddles two chunks and a run of
 * full groups can go to the hasher straight from the chunk (no gather, no copy). A chunk's parents
 * never straddle a parent chunk either (cn/n divides cn).
 *
 * Append-only invariant that makes snapshots free: in a lean append-only tree, every node of a level
 * except the last one is final once written. The live tree only ever rewrites the last node of a
 * level or appends after it. A snapshot therefore shares the chunk array itself and keeps a private
 * copy of each level's last node; nothing is copied on write.
 *
 * Chunks adopted from a store as runs (see {@link Level.adoptRuns}) are holes in `chunks` until first
 * read through {@link Level.chunkAt}: a restored tree of 100M leaves would otherwise create ~130k views
 * at open. Only settled chunks are ever holes, and the write paths (insert, insertMany, `write`) touch
 * only the chunk holding the first unsettled node and later ones, so they may index `chunks` directly.
 * @module
 */
import type { ChunkRun, RunResidency } from './view.js';
import { runHoldingChunk } from './view.js';
import { allocUnfilled, copyLeaves } from '../bytes.js';
import type { PooledChunks } from './chunk-pool.js';
import { takeChunk, watchLevel } from './chunk-pool.js';

const NODE = 32;
/** Target nodes per chunk (rounded up to a multiple of n): 32 KiB, 256 groups per hasher call at n=4. */
const CHUNK_TARGET_NODES = 1024;
/** First allocation of a level's first chunk, in nodes; it doubles up to the chunk size. */
const FIRST_CHUNK_NODES = 16;

/** Nodes per chunk for branching factor n: a multiple of n near 1024 (see {@link Level}). */
export function chunkNodesFor(n: number): number {
  return n * Math.ceil(CHUNK_TARGET_NODES / n);
}

/** The chunked node storage of one level. Lengths are tracked by the tree, not here. */
export class Level {
  /** Nodes per chunk, a multiple of n. */
  readonly chunkNodes: number;
  /**
   * The chunks. Shared with snapshots (through this level): entries are only appended, filled in
   * (holes of adopted runs, see {@link chunkAt}), or replaced by a larger copy holding the same bytes
   * for every node that snapshots can read. Read settled chunks with {@link chunkAt}, never directly.
   */
  readonly chunks: (Uint8Array | undefined)[] = [];
  /** Adopted runs whose chunks are made on first read (see {@link adoptRuns}); sorted by first chunk. */
  #runs: readonly ChunkRun[] = [];
  /** Chunks the runs cover: every hole of `chunks` is below it. */
  #runsCover = 0;
  /** Leading chunks read from the runs (the others are in memory). */
  #fromRuns = 0;
  /** Where reads of run chunks are reported (see {@link RunResidency}). */
  #residency: RunResidency | undefined;
  /** After the residency source released pages: drop the run chunks' views, so reads are reported again. */
  readonly #forgetRunViews = (): void => {
    for (let c = 0; c < this.#fromRuns; c++) {
      this.chunks[c] = undefined;
      this.#forgetWords(c);
    }
  };
  /**
   * The same chunks as 32-bit words (8 per node): the hot paths copy nodes word by word. Made on
   * first use (see {@link wordsAt}): a tree restored from a checkpoint adopts many chunks it may never
   * write near, and opening should not pay for a view per chunk.
   */
  readonly #words: (Int32Array | undefined)[] = [];
  /**
   * `#words[c - wordsBase]` is chunk c's words: chunks adopted as runs (never written, never read as
   * words by the write paths) get no entry, so a restore does not fill a second array per chunk.
   */
  #wordsBase = 0;
  /** Chunk c as 64-bit words (see {@link longsAt}), made on first use. */
  readonly #longs: (BigInt64Array | undefined)[] = [];
  /** Nodes this level can hold without allocating. */
  capacity = 0;

  /** What the chunk pool gets back when this level is collected (see chunk-pool.ts). */
  readonly #pool: PooledChunks;

  constructor(n: number) {
    this.chunkNodes = chunkNodesFor(n);
    this.#pool = { chunks: this.chunks, bytes: this.chunkNodes * NODE, poolable: true };
    watchLevel(this, this.#pool);
  }

  /**
   * Marks this level's chunks as handed out of the tree (a caller may keep them: a checkpoint store
   * writing settled chunks, a WAL writing slices): their memory is then never reused for another tree.
   */
  exposeChunks(): void {
    this.#pool.poolable = false;
  }

  /**
   * Takes `views` (each exactly one chunk: chunkNodes * 32 bytes, e.g. read-only mmap windows) as this
   * empty level's first chunks, without copying. Only chunks of settled nodes may be adopted: the
   * tree never writes into a node that can no longer change, so a read-only mapping is never written.
   */
  adopt(views: readonly Uint8Array[]): void {
    if (this.chunks.length !== 0) throw new Error('adopt needs an empty level');
    this.#pool.poolable = false;
    const bytes = this.chunkNodes * NODE;
    for (const view of views) {
      if (view.length !== bytes || view.byteOffset % 4 !== 0) throw new RangeError(`an adopted chunk must be ${bytes} bytes, 4-byte aligned`);
      this.chunks.push(view);
      this.#words.push(undefined);
    }
    this.capacity = views.length * this.chunkNodes;
  }

  /**
   * Takes the first `count` chunks of `runs` (consecutive chunks in larger buffers, e.g. read-only mmap
   * windows; sorted, tiling chunks 0..) as this empty level's first chunks, without copying and without
   * a view per chunk: chunk `c` is made on its first {@link chunkAt}. Only settled chunks may be adopted.
   */
  adoptRuns(runs: readonly ChunkRun[], count: number, residency?: RunResidency): void {
    if (this.chunks.length !== 0) throw new Error('adopt needs an empty level');
    this.#pool.poolable = false;
    const bytes = this.chunkNodes * NODE;
    let next = 0;
    const kept: ChunkRun[] = [];
    for (const run of runs) {
      if (next >= count) break;
      if (run.firstChunk !== next || run.bytes.length === 0 || run.bytes.length % bytes !== 0 || run.bytes.byteOffset % 4 !== 0) {
        throw new RangeError(`adopted runs must tile the chunks from 0 in whole ${bytes}-byte chunks, 4-byte aligned`);
      }
      kept.push(run);
      next += run.bytes.length / bytes;
    }
    const adopted = Math.min(next, count);
    this.#runs = kept;
    this.#runsCover = adopted;
    this.#fromRuns = adopted;
    this.#watch(residency);
    // Holes: a fast holey array (setting the length of an empty array allocates no entries).
    this.chunks.length = adopted;
    this.#wordsBase = adopted;
    this.capacity = adopted * this.chunkNodes;
  }

  /**
   * Tiering of a live level: chunks `0 .. count - 1` (full and settled) are read from `runs` from now
   * on (made on first read), so that their in-memory copies become garbage. `runs` must hold the same
   * bytes (e.g. a checkpoint of this tree) and tile chunks from 0, at least `count` of them.
   */
  replaceByRuns(runs: readonly ChunkRun[], count: number, residency?: RunResidency): void {
    this.#pool.poolable = false;
    const bytes = this.chunkNodes * NODE;
    let covered = 0;
    let valid = 0;
    for (const run of runs) {
      if (run.firstChunk !== covered || run.bytes.length % bytes !== 0 || run.bytes.byteOffset % 4 !== 0) break;
      covered += run.bytes.length / bytes;
      valid++;
    }
    // Holes of the runs held now must stay covered (checkpoints only grow, so this only skips bad input).
    if (covered < this.#runsCover) return;
    const end = Math.min(count, covered, this.chunks.length);
    for (let c = 0; c < end; c++) {
      const chunk = this.chunks[c];
      if (chunk !== undefined && chunk.length !== bytes) throw new RangeError(`chunk ${c} is not a full chunk`);
    }
    this.#runs = runs.slice(0, valid);
    this.#runsCover = covered;
    for (let c = 0; c < end; c++) {
      this.chunks[c] = undefined;
      this.#forgetWords(c);
    }
    this.#fromRuns = Math.max(this.#fromRuns, end);
    this.#watch(residency);
  }

  #watch(residency: RunResidency | undefined): void {
    this.#residency = residency;
    residency?.watch(this.#forgetRunViews);
  }

  /** Chunk `c`, made from its adopted run on first use. `undefined` past the last chunk. */
  chunkAt(c: number): Uint8Array | undefined {
    return this.chunks[c] ?? this.#fromRun(c);
  }

  #fromRun(c: number): Uint8Array | undefined {
    if (c >= this.chunks.length || c < 0) return undefined;
    const run = runHoldingChunk(this.#runs, c);
    if (run === undefined) return undefined;
    const bytes = this.chunkNodes * NODE;
    const at = (c - run.firstChunk) * bytes;
    // A run over a closed store's mapping is detached (length 0): an empty chunk, not cached, that
    // readers report as `CLOSED` (a view of a detached buffer cannot even be made).
    if (at + bytes > run.bytes.length) return new Uint8Array(0);
    run.check?.(c); // a damaged chunk throws here, never reaches a reader
    const chunk = run.bytes.subarray(at, at + bytes);
    // Reported first: a release it triggers drops the other views, not this one.
    this.#residency?.noteChunkRead();
    this.chunks[c] = chunk;
    return chunk;
  }

  /**
   * Replaces chunk `c` (full, settled) by `view`, a copy of the same bytes kept elsewhere (e.g. an mmap
   * window of a checkpoint): the in-memory chunk becomes garbage. Snapshots sharing the chunk array read
   * the same bytes from the new place.
   */
  swap(c: number, view: Uint8Array): void {
    this.#pool.poolable = false;
    const bytes = this.chunkNodes * NODE;
    if (view.length !== bytes || view.byteOffset % 4 !== 0) throw new RangeError(`a swapped-in chunk must be ${bytes} bytes, 4-byte aligned`);
    if (this.chunkAt(c)?.length !== bytes) throw new RangeError(`chunk ${c} is not a full chunk`);
    this.chunks[c] = view;
    this.#forgetWords(c);
  }

  /**
   * Makes room for `nodes` nodes. `tight`: a new last chunk starts at the size it needs (doubling up to
   * a chunk later, as a level's first chunk does) instead of a whole chunk: for a restore, whose levels
   * each need a partial chunk that most trees never fill soon. `filledFrom`: the caller writes every
   * node from it up to `nodes` before reading any of them, so new whole chunks inside that range are
   * not zero-filled (see {@link allocUnfilled}); by default every new chunk is zeros.
   */
  reserve(nodes: number, tight = false, filledFrom = Number.POSITIVE_INFINITY): void {
    if (nodes <= this.capacity) return;
    const cn = this.chunkNodes;
    const chunks = this.chunks;
    // Grow a short last chunk first (small trees don't pay for a whole chunk per level).
    const lastIdx = chunks.length - 1;
    const last = chunks[lastIdx]; // a hole is an adopted chunk: full
    if (last !== undefined && last.length < cn * NODE) {
      const wantInLast = Math.min(cn, nodes - lastIdx * cn);
      let cap = last.length / NODE;
      while (cap < wantInLast) cap *= 2;
      const grown = new Uint8Array(Math.min(cap, cn) * NODE);
      grown.set(last);
      chunks[lastIdx] = grown;
      this.#forgetWords(lastIdx);
    }
    this.capacity = (chunks.length - 1) * cn + (chunks[chunks.length - 1]?.length ?? cn * NODE) / NODE;
    while (this.capacity < nodes) {
      const need = nodes - chunks.length * cn;
      let cap = chunks.length === 0 || tight ? FIRST_CHUNK_NODES : cn;
      while (cap < need && cap < cn) cap *= 2;
      cap = Math.min(cap, cn);
      const first = chunks.length * cn;
      const filled = cap === cn && first >= filledFrom && first + cn <= nodes;
      chunks.push(cap === cn ? this.#newChunk(filled) : new Uint8Array(cap * NODE));
      this.#words.push(undefined);
      this.capacity = (chunks.length - 1) * cn + cap;
    }
  }

  /** A full chunk: released memory of a collected tree if there is some (see chunk-pool.ts), else fresh; zeros unless `filled`. */
  #newChunk(filled: boolean): Uint8Array {
    const bytes = this.chunkNodes * NODE;
    const reused = takeChunk(bytes);
    if (reused !== undefined) return filled ? reused : reused.fill(0);
    return filled ? allocUnfilled(bytes) : new Uint8Array(bytes);
  }

  /**
   * Chunk `c` as 64-bit words (4 per node), for bulk node copies (proof generation); `undefined` for
   * a chunk that is not 8-byte aligned (an adopted view may be 4-byte aligned only), absent, or
   * detached (a closed store's mapping).
   */
  longsAt(c: number): BigInt64Array | undefined {
    let longs = this.#longs[c];
    if (longs === undefined) {
      const chunk = this.chunkAt(c);
      if (chunk === undefined || chunk.length === 0 || chunk.byteOffset % 8 !== 0) return undefined;
      longs = new BigInt64Array(chunk.buffer, chunk.byteOffset, chunk.length >> 3);
      this.#longs[c] = longs;
    }
    return longs;
  }

  /** Chunk `c` as 32-bit words. */
  wordsAt(c: number): Int32Array {
    const i = c - this.#wordsBase;
    let words = i >= 0 ? this.#words[i] : undefined;
    if (words === undefined) {
      const chunk = this.chunkAt(c)!;
      words = new Int32Array(chunk.buffer, chunk.byteOffset, chunk.length >> 2);
      if (i >= 0) this.#words[i] = words;
    }
    return words;
  }

  #forgetWords(c: number): void {
    if (c >= this.#wordsBase) this.#words[c - this.#wordsBase] = undefined;
    this.#longs[c] = undefined;
  }

  /** The chunk holding node `index`. */
  chunkOf(index: number): Uint8Array {
    const c = Math.floor(index / this.chunkNodes);
    return this.chunks[c] ?? this.#fromRun(c)!;
  }

  /** Byte offset of node `index` inside its chunk. */
  offsetOf(index: number): number {
    return (index % this.chunkNodes) * NODE;
  }

  /**
   * Stores `count` nodes from `src[srcOffset]` as nodes `index..` (at or past every live node), keeping
   * views of `src` as this level's chunks where they cover whole chunks instead of copying them: the
   * caller hands `src` over (its bytes never change again; `src.byteOffset + srcOffset` a multiple
   * of 4). The parts in partial chunks are copied. Makes room as needed.
   */
  storeOwned(index: number, src: Uint8Array, srcOffset: number, count: number): void {
    const cn = this.chunkNodes;
    const bytes = cn * NODE;
    const chunks = this.chunks;
    while (count > 0) {
      const c = Math.floor(index / cn);
      const within = index - c * cn;
      const take = Math.min(count, cn - within);
      if (take === cn && c <= chunks.length) {
        // A whole chunk: any chunk allocated there holds no live node (they are all before index).
        const view = src.subarray(srcOffset, srcOffset + bytes);
        if (c === chunks.length) {
          chunks.push(view);
          this.#words.push(undefined);
        } else {
          chunks[c] = view;
          this.#forgetWords(c);
        }
        const last = chunks[chunks.length - 1];
        this.capacity = (chunks.length - 1) * cn + (last?.length ?? bytes) / NODE;
      } else {
        this.reserve(index + take, false, index);
        this.write(index, src, srcOffset, take);
      }
      index += take;
      srcOffset += take * NODE;
      count -= take;
    }
  }

  /**
   * Copies `leaves[from .. from + count)` (an array of 32-byte arrays, each checked: `INVALID_NODE`)
   * to nodes `index..` (room must be reserved).
   */
  gather(index: number, leaves: readonly Uint8Array[], from: number, count: number): void {
    const cn = this.chunkNodes;
    while (count > 0) {
      const ci = Math.floor(index / cn);
      const within = index - ci * cn;
      const take = Math.min(count, cn - within);
      copyLeaves(leaves, from, take, this.chunks[ci]!, within * NODE);
      index += take;
      from += take;
      count -= take;
    }
  }

  /** Copies `count` nodes from `src[srcOffset]` to nodes `index..` (room must be reserved). */
  write(index: number, src: Uint8Array, srcOffset: number, count: number): void {
    const cn = this.chunkNodes;
    while (count > 0) {
      const ci = Math.floor(index / cn);
      const within = index - ci * cn;
      const take = Math.min(count, cn - within);
      this.chunks[ci]!.set(src.subarray(srcOffset, srcOffset + take * NODE), within * NODE);
      index += take;
      srcOffset += take * NODE;
      count -= take;
    }
  }
}
