/**
 * The read-only view of a tree that proofs are generated from. Implemented by snapshots
 * (and by any backend-level view, e.g. a tiered tree reading lower levels through mmap).
 * @module
 */

/** A read-only, immutable view of one state of the tree. */
export interface TreeView {
  /** Branching factor. */
  readonly n: number;
  /** Maximum depth (capacity n^maxDepth). */
  readonly maxDepth: number;
  /** Number of leaves. */
  readonly size: number;
  /** 0 for 0 or 1 leaves, else ceil(log_n(size)). */
  readonly depth: number;
  /** The root (a copy), or `undefined` for an empty tree. */
  readonly root: Uint8Array | undefined;
  /** Number of nodes at `level` (0 = leaves); 0 above the root. */
  levelLength(level: number): number;
  /** Copies node `index` of `level` into `out[outOffset..+32]`. Throws `INDEX_OUT_OF_RANGE`. */
  readNode(level: number, index: number, out: Uint8Array, outOffset: number): void;
  /** Node `index` of `level`, as a new 32-byte array. Throws `INDEX_OUT_OF_RANGE`. */
  getNode(level: number, index: number): Uint8Array;
}

/**
 * @internal Fast copies for proof generation, offered by {@link TreeSnapshot}: writes the root, the
 * leaf `index` and the siblings of its path (level k: the group members around the path node,
 * `positions[k]` being its place and `counts[k]` the others, as `inclusionPath` gives them) into
 * `dst` from byte `at` (a multiple of 8; `dstLongs` = `dst` as 64-bit words): root, leaf, then the
 * siblings level by level. The caller has checked the index.
 */
export interface NodeWordSource {
  copyProofNodes(index: number, positions: Uint8Array, counts: Uint8Array, levels: number, dst: Uint8Array, dstLongs: BigInt64Array, at: number): void;
}

/**
 * Optional zero-copy access to a stored tree's levels (e.g. memory-mapped checkpoint segments), used by
 * {@link LeanIMT.restore}: the chunks are adopted as they are instead of being copied node by node.
 */
export interface ChunkSource {
  /**
   * The leading chunks of `level`, each exactly `chunkNodes` nodes (chunkNodes * 32 bytes, 4-byte
   * aligned), holding nodes [i * chunkNodes, (i + 1) * chunkNodes). Only chunks whose nodes are all
   * settled are used (the tree never writes into them; they may be read-only mappings). Returns
   * fewer (or none) when the store cannot provide them; the rest is read with `readNode`.
   */
  settledChunks(level: number, chunkNodes: number): readonly Uint8Array[];
  /**
   * Optional: the same chunks as {@link settledChunks}, as runs of consecutive chunks in larger buffers
   * (e.g. one per segment extent), so that a restore creates no view per chunk: a level then makes a
   * chunk's view on its first read. Runs are sorted and tile chunks [0, total) without gap or overlap.
   */
  settledRuns?(level: number, chunkNodes: number): readonly ChunkRun[];
  /**
   * Optional: chunk `c` of {@link settledChunks} (`undefined` past them) without building the whole list:
   * a checkpoint writer that needs only the chunks added since the last checkpoint should use it.
   */
  settledChunkAt?(level: number, chunkNodes: number, c: number): Uint8Array | undefined;
  /** Optional: copies nodes `index .. index + count - 1` of `level` into `out` from `outOffset` in bulk. */
  readNodes?(level: number, index: number, count: number, out: Uint8Array, outOffset: number): void;
  /**
   * Optional: where a tree that adopted this source's runs reports its reads of them, so that the
   * source can bound the memory they keep resident (e.g. mapped pages, which count in the RSS).
   */
  readonly residency?: RunResidency;
}

/**
 * The residency protocol between a tree and the store whose runs it adopted (see
 * {@link ChunkSource.residency}). A level reports each chunk view it makes from a run; the store may
 * then release the runs' resident pages (e.g. `madvise(MADV_DONTNEED)`: the bytes stay readable) and
 * calls every watcher, whose level drops its chunk views so that later reads are reported again.
 */
export interface RunResidency {
  /** A level made a view of one run chunk (its first read since it adopted the runs or since the last release). */
  noteChunkRead(): void;
  /** Calls `forget` after each release (once per distinct function, however often it is registered). */
  watch(forget: () => void): void;
}

/** The run of sorted, tiling `runs` that holds chunk `c`, or `undefined` when there are none (binary search). */
export function runHoldingChunk(runs: readonly ChunkRun[], c: number): ChunkRun | undefined {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid]!.firstChunk <= c) lo = mid;
    else hi = mid - 1;
  }
  return runs[lo];
}

/** Consecutive whole chunks of one level in one buffer (see {@link ChunkSource.settledRuns}). */
export interface ChunkRun {
  /** Index of the first chunk. */
  readonly firstChunk: number;
  /** Chunks `firstChunk .. firstChunk + chunkCount - 1`, back to back: chunkCount * chunkNodes * 32 bytes, 4-byte aligned. */
  readonly bytes: Uint8Array;
  /**
   * Optional: checks chunk `c` (the level's chunk index) before a reader first uses it, and throws
   * (`CORRUPTION`) when its bytes fail their checksum. Stores whose bytes can be damaged behind their
   * back (files) provide it; a tree calls it each time it makes a view of a run chunk, so no damaged
   * byte is ever read (a store remembers what passed, so a repeated call is cheap).
   */
  readonly check?: (c: number) => void;
}
