/**
 * The tree state of a published checkpoint as a {@link TreeView}: the whole chunks of each level
 * come from segment bytes (mmap windows, or buffers read into memory), the rest of each level
 * (a partial chunk of settled nodes, then the unsettled last node) from the manifest. Every chunk
 * is checked against its CRC before it is first served (see segment-format.ts): damaged bytes
 * throw `CORRUPTION`, they are never returned.
 * @module
 */
import type { ChunkRun, ChunkSource, RunResidency, TreeView } from '@rotortree/core';
import { NODE_SIZE, RotorTreeError, depthForSize, levelLengthFor, runHoldingChunk } from '@rotortree/core';

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
  /** Nodes `tailStart .. levelLength - 1` (fewer than a chunk plus one). READ-ONLY: shared with the store. */
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
  /** Core's {@link ChunkSource.residency}: a tree adopting these runs reports its reads here (mapped stores). */
  readonly residency?: RunResidency;
  readonly #chunkNodes: number;
  readonly #lens: number[];
  /** Per level, its whole chunks as runs of segment bytes (sorted, tiling from chunk 0). */
  readonly #runs: ReadonlyArray<readonly ChunkRun[]>;
  /** Per level, one view per chunk: made on the first `settledChunks`/`chunksOf` of the level. */
  readonly #chunks: (readonly Uint8Array[] | undefined)[] = [];
  readonly #tails: readonly Uint8Array[];
  readonly #tailStarts: number[];
  readonly #life: ViewLifetime;

  /** @internal Built by the store. `runs[k]` and `tails[k]` per level 0..depth. */
  constructor(
    n: number,
    maxDepth: number,
    size: number,
    chunkNodes: number,
    runs: ReadonlyArray<readonly ChunkRun[]>,
    tails: readonly Uint8Array[],
    life: ViewLifetime,
    mapped: boolean,
    residency?: RunResidency,
  ) {
    this.n = n;
    this.maxDepth = maxDepth;
    this.size = size;
    this.depth = depthForSize(size, n);
    this.mapped = mapped;
    if (residency !== undefined) this.residency = residency;
    this.#chunkNodes = chunkNodes;
    this.#runs = runs;
    this.#tails = tails;
    this.#life = life;
    this.#lens = [];
    this.#tailStarts = [];
    for (let k = 0; k <= this.depth; k++) {
      this.#lens.push(levelLengthFor(size, n, k));
      const last = runs[k]![runs[k]!.length - 1];
      this.#tailStarts.push(last === undefined ? 0 : last.firstChunk * chunkNodes + last.bytes.length / NODE_SIZE);
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
      const c = Math.floor(index / this.#chunkNodes);
      const run = runHoldingChunk(this.#runs[level]!, c)!;
      run.check?.(c);
      src = run.bytes;
      off = (index - run.firstChunk * this.#chunkNodes) * NODE_SIZE;
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
      const run = this.#runHolding(level, index);
      const within = index - run.firstChunk * cn;
      const take = Math.min(count, run.bytes.length / NODE_SIZE - within);
      if (run.check !== undefined) for (let c = Math.floor(index / cn); c * cn < index + take; c++) run.check(c);
      out.set(run.bytes.subarray(within * NODE_SIZE, (within + take) * NODE_SIZE), at);
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
      chunks: this.#chunkViews(level),
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
    return this.#chunkViews(level);
  }

  /**
   * Core's {@link ChunkSource.settledRuns}: the same chunks as {@link settledChunks}, as one run per
   * segment extent (a restore then makes a chunk's view only when the tree first reads it).
   */
  settledRuns(level: number, chunkNodes: number): readonly ChunkRun[] {
    this.#assertOpen();
    if (chunkNodes !== this.#chunkNodes || !Number.isInteger(level) || level < 0 || level > this.depth) return [];
    return this.#runs[level]!;
  }

  /** Chunk `c` of {@link settledChunks} (`undefined` past them), made without the others. */
  settledChunkAt(level: number, chunkNodes: number, c: number): Uint8Array | undefined {
    this.#assertOpen();
    if (chunkNodes !== this.#chunkNodes || !Number.isInteger(level) || level < 0 || level > this.depth) return undefined;
    if (!Number.isInteger(c) || c < 0 || c * chunkNodes >= this.#tailStarts[level]!) return undefined;
    const made = this.#chunks[level];
    if (made !== undefined) return made[c];
    const run = this.#runHolding(level, c * chunkNodes);
    run.check?.(c);
    const at = (c - run.firstChunk) * chunkNodes * NODE_SIZE;
    return run.bytes.subarray(at, at + chunkNodes * NODE_SIZE);
  }

  /** One view per whole chunk of `level`, made once. */
  #chunkViews(level: number): readonly Uint8Array[] {
    let views = this.#chunks[level];
    if (views === undefined) {
      const chunkBytes = this.#chunkNodes * NODE_SIZE;
      const out: Uint8Array[] = [];
      for (const run of this.#runs[level]!) {
        for (let off = 0; off < run.bytes.length; off += chunkBytes) {
          run.check?.(run.firstChunk + off / chunkBytes);
          out.push(run.bytes.subarray(off, off + chunkBytes));
        }
      }
      this.#chunks[level] = views = out;
    }
    return views;
  }

  /** The run holding node `index` of `level` (an index below the level's tail). */
  #runHolding(level: number, index: number): ChunkRun {
    return runHoldingChunk(this.#runs[level]!, Math.floor(index / this.#chunkNodes))!;
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
