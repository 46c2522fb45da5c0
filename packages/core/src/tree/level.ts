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
 * @module
 */

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
   * The chunks. Shared by reference with snapshots: entries are only appended, or replaced by a
   * larger copy holding the same bytes for every node that snapshots can read.
   */
  readonly chunks: Uint8Array[] = [];
  /**
   * The same chunks as 32-bit words (8 per node): the hot paths copy nodes word by word. Made on
   * first use (see {@link wordsAt}): a tree restored from a checkpoint adopts many chunks it may never
   * write near, and opening should not pay for a view per chunk.
   */
  readonly #words: (Int32Array | undefined)[] = [];
  /** Nodes this level can hold without allocating. */
  capacity = 0;

  constructor(n: number) {
    this.chunkNodes = chunkNodesFor(n);
  }

  /**
   * Takes `views` (each exactly one chunk: chunkNodes * 32 bytes, e.g. read-only mmap windows) as this
   * empty level's first chunks, without copying. Only chunks of settled nodes may be adopted: the
   * tree never writes into a node that can no longer change, so a read-only mapping is never written.
   */
  adopt(views: readonly Uint8Array[]): void {
    if (this.chunks.length !== 0) throw new Error('adopt needs an empty level');
    const bytes = this.chunkNodes * NODE;
    for (const view of views) {
      if (view.length !== bytes || view.byteOffset % 4 !== 0) throw new RangeError(`an adopted chunk must be ${bytes} bytes, 4-byte aligned`);
      this.chunks.push(view);
      this.#words.push(undefined);
    }
    this.capacity = views.length * this.chunkNodes;
  }

  /**
   * Replaces chunk `c` (full, settled) by `view`, a copy of the same bytes kept elsewhere (e.g. an mmap
   * window of a checkpoint): the in-memory chunk becomes garbage. Snapshots sharing the chunk array read
   * the same bytes from the new place.
   */
  swap(c: number, view: Uint8Array): void {
    const bytes = this.chunkNodes * NODE;
    if (view.length !== bytes || view.byteOffset % 4 !== 0) throw new RangeError(`a swapped-in chunk must be ${bytes} bytes, 4-byte aligned`);
    if (this.chunks[c]?.length !== bytes) throw new RangeError(`chunk ${c} is not a full chunk`);
    this.chunks[c] = view;
    this.#words[c] = undefined;
  }

  /** Makes room for `nodes` nodes. */
  reserve(nodes: number): void {
    if (nodes <= this.capacity) return;
    const cn = this.chunkNodes;
    const chunks = this.chunks;
    // Grow a short last chunk first (small trees don't pay for a whole chunk per level).
    const lastIdx = chunks.length - 1;
    const last = chunks[lastIdx];
    if (last !== undefined && last.length < cn * NODE) {
      const wantInLast = Math.min(cn, nodes - lastIdx * cn);
      let cap = last.length / NODE;
      while (cap < wantInLast) cap *= 2;
      const grown = new Uint8Array(Math.min(cap, cn) * NODE);
      grown.set(last);
      chunks[lastIdx] = grown;
      this.#words[lastIdx] = undefined;
    }
    this.capacity = (chunks.length - 1) * cn + (chunks[chunks.length - 1]?.length ?? 0) / NODE;
    while (this.capacity < nodes) {
      const need = nodes - chunks.length * cn;
      let cap = chunks.length === 0 ? FIRST_CHUNK_NODES : cn;
      while (cap < need && cap < cn) cap *= 2;
      cap = Math.min(cap, cn);
      const chunk = new Uint8Array(cap * NODE);
      chunks.push(chunk);
      this.#words.push(undefined);
      this.capacity = (chunks.length - 1) * cn + cap;
    }
  }

  /** Chunk `c` as 32-bit words. */
  wordsAt(c: number): Int32Array {
    let words = this.#words[c];
    if (words === undefined) {
      const chunk = this.chunks[c]!;
      words = new Int32Array(chunk.buffer, chunk.byteOffset, chunk.length >> 2);
      this.#words[c] = words;
    }
    return words;
  }

  /** The chunk holding node `index`. */
  chunkOf(index: number): Uint8Array {
    return this.chunks[Math.floor(index / this.chunkNodes)]!;
  }

  /** Byte offset of node `index` inside its chunk. */
  offsetOf(index: number): number {
    return (index % this.chunkNodes) * NODE;
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
