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
}
