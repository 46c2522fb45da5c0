/**
 * The tree state of a published checkpoint as a {@link TreeView}: the whole chunks of each level
 * come from segment bytes (mmap windows, or buffers read into memory), the rest of each level
 * (a partial chunk of settled nodes, then the unsettled last node) from the manifest.
 * @module
 */
import type { ChunkSource, TreeView } from '@rotortree/core';
import { NODE_SIZE, RotorTreeError, depthForSize, levelLengthFor } from '@rotortree/core';

/**
 * One level of a checkpoint in the in-memory tree's chunk layout (core's `Level`): node `i` is in
 * `chunks[floor(i / chunkNodes)]` at byte `(i % chunkNodes) * 32` while `i < tailStart`, else in
 * `tail` at byte `(i - tailStart) * 32`.
 */
export interface CheckpointLevelChunks {
  /** Nodes per chunk: n * ceil(1024 / n), the same as core's `Level.chunkNodes`. */
  readonly chunkNodes: number;
  /**
   * Whole chunks of settled nodes, each exactly `chunkNodes * 32` bytes: zero-copy views of the
   * mapped segments (or of buffers read into memory). READ-ONLY: a mapped page written to kills
   * the process (SIGSEGV). They stop being readable (length 0) once the store is closed.
   */
  readonly chunks: readonly Uint8Array[];
  /** First node index held by `tail`: `chunks.length * chunkNodes`. */
  readonly tailStart: number;
  /** Nodes `tailStart .. levelLength - 1` (fewer than a chunk plus one), a private copy. */
  readonly tail: Uint8Array;
}

/** Shared by a store and its views: set once the store closes (mapped chunks are gone then). */
export interface ViewLifetime {
  closed: boolean;
}

/** A {@link TreeView} of a stored checkpoint, with bulk and chunk-level access. */
export class CheckpointView implements TreeView, ChunkSource {
  readonly n: number;
  readonly maxDepth: number;
  readonly size: number;
  readonly depth: number;
  /** Whether settled chunks are read through mmap (`true`) or from memory. */
  readonly mapped: boolean;
  readonly #chunkNodes: number;
  readonly #lens: number[];
  readonly #chunks: ReadonlyArray<readonly Uint8Array[]>;
  readonly #tails: readonly Uint8Array[];
  readonly #tailStarts: number[];
  readonly #life: ViewLifetime;

  /** @internal Built by the store. `chunks[k]` and `tails[k]` per level 0..depth. */
  constructor(
    n: number,
    maxDepth: number,
    size: number,
    chunkNodes: number,
    chunks: ReadonlyArray<readonly Uint8Array[]>,
    tails: readonly Uint8Array[],
    life: ViewLifetime,
    mapped: boolean,
  ) {
    this.n = n;
    this.maxDepth = maxDepth;
    this.size = size;
    this.depth = depthForSize(size, n);
    this.mapped = mapped;
    this.#chunkNodes = chunkNodes;
    this.#chunks = chunks;
    this.#tails = tails;
    this.#life = life;
    this.#lens = [];
    this.#tailStarts = [];
    for (let k = 0; k <= this.depth; k++) {
      this.#lens.push(levelLengthFor(size, n, k));
      this.#tailStarts.push(chunks[k]!.length * chunkNodes);
    }
  }

  /** The root (a copy), or `undefined` for an empty tree. */
  get root(): Uint8Array | undefined {
    return this.size === 0 ? undefined : this.getNode(this.depth, 0);
  }

  /** Number of nodes at `level`; 0 above the root. */
  levelLength(level: number): number {
    return this.#lens[level] ?? 0;
  }

  /** Copies node `index` of `level` into `out[outOffset..+32]`. Throws `INDEX_OUT_OF_RANGE`, or `CLOSED` after the store closed. */
  readNode(level: number, index: number, out: Uint8Array, outOffset: number): void {
    this.#check(level, index, 1);
    const tailStart = this.#tailStarts[level]!;
    let src: Uint8Array;
    let off: number;
    if (index >= tailStart) {
      src = this.#tails[level]!;
      off = (index - tailStart) * NODE_SIZE;
    } else {
      const cn = this.#chunkNodes;
      const c = Math.floor(index / cn);
      src = this.#chunks[level]![c]!;
      off = (index - c * cn) * NODE_SIZE;
    }
    for (let i = 0; i < NODE_SIZE; i++) out[outOffset + i] = src[off + i]!;
  }

  /** Node `index` of `level` as a new 32-byte array. */
  getNode(level: number, index: number): Uint8Array {
    const out = new Uint8Array(NODE_SIZE);
    this.readNode(level, index, out, 0);
    return out;
  }

  /** Copies nodes `index .. index + count - 1` of `level` into `out` from `outOffset` (bulk copies). */
  readNodes(level: number, index: number, count: number, out: Uint8Array, outOffset: number): void {
    this.#check(level, index, count);
    const cn = this.#chunkNodes;
    const tailStart = this.#tailStarts[level]!;
    let at = outOffset;
    while (count > 0 && index < tailStart) {
      const c = Math.floor(index / cn);
      const within = index - c * cn;
      const take = Math.min(count, cn - within, tailStart - index);
      out.set(this.#chunks[level]![c]!.subarray(within * NODE_SIZE, (within + take) * NODE_SIZE), at);
      index += take;
      count -= take;
      at += take * NODE_SIZE;
    }
    if (count > 0) {
      const off = (index - tailStart) * NODE_SIZE;
      out.set(this.#tails[level]!.subarray(off, off + count * NODE_SIZE), at);
    }
  }

  /** `level` in the in-memory tree's chunk layout (zero-copy; see {@link CheckpointLevelChunks}). */
  chunksOf(level: number): CheckpointLevelChunks {
    this.#assertOpen();
    if (!Number.isInteger(level) || level < 0 || level > this.depth) {
      throw new RotorTreeError('INDEX_OUT_OF_RANGE', `no level ${level} (depth ${this.depth})`);
    }
    return {
      chunkNodes: this.#chunkNodes,
      chunks: this.#chunks[level]!,
      tailStart: this.#tailStarts[level]!,
      tail: this.#tails[level]!,
    };
  }

  /**
   * Core's {@link ChunkSource} (used by `LeanIMT.restore` to adopt chunks without a copy): the whole
   * settled chunks of `level` when `chunkNodes` is this store's chunk size, else none. Mapped chunks
   * are read-only and stop being readable when the store closes: keep the store open while a tree
   * uses them.
   */
  settledChunks(level: number, chunkNodes: number): readonly Uint8Array[] {
    this.#assertOpen();
    if (chunkNodes !== this.#chunkNodes || !Number.isInteger(level) || level < 0 || level > this.depth) return [];
    return this.#chunks[level]!;
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
