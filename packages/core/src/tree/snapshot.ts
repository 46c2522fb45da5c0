/**
 * An immutable view of one state of a {@link LeanIMT}, sharing its chunks (see level.ts for why no
 * copy is needed): O(depth) to take, and later inserts never change what it reads.
 * @module
 */
import { NODE_SIZE, copyNode } from '../bytes.js';
import type { Hasher } from '../hasher.js';
import { RotorTreeError } from '../errors.js';
import type { ConsistencyProof, InclusionProof } from '../proof/index.js';
import { generateConsistencyProof, generateProof } from '../proof/index.js';
import { settledLength } from './shape.js';
import type { ChunkSource, TreeView } from './view.js';

/** The chunk storage of one level as a snapshot sees it (core's `Level`). */
export interface SnapshotLevel {
  /** Nodes per chunk. */
  readonly chunkNodes: number;
  /** Chunk `c` (made on first use for chunks adopted from a store), `undefined` past the last one. */
  chunkAt(c: number): Uint8Array | undefined;
}

/** An immutable tree state: proofs are generated from here. */
export class TreeSnapshot implements TreeView, ChunkSource {
  readonly n: number;
  readonly maxDepth: number;
  /** The hasher of the tree this snapshot was taken from. */
  readonly hasher: Hasher;
  readonly size: number;
  readonly depth: number;
  readonly #levels: readonly SnapshotLevel[];
  readonly #lens: readonly number[];
  /** Each level's last node as it was when the snapshot was taken (the only node the live tree may rewrite). */
  readonly #lastNodes: Uint8Array;

  /** @internal Built by `LeanIMT.snapshot()` and by backends; not meant to be called by users. */
  constructor(
    hasher: Hasher,
    n: number,
    maxDepth: number,
    levels: readonly SnapshotLevel[],
    lens: readonly number[],
    lastNodes: Uint8Array,
  ) {
    this.hasher = hasher;
    this.n = n;
    this.maxDepth = maxDepth;
    this.#levels = levels;
    this.#lens = lens;
    this.#lastNodes = lastNodes;
    this.size = lens[0] ?? 0;
    this.depth = Math.max(0, lens.length - 1);
  }

  /** The root (a copy), or `undefined` for an empty tree. */
  get root(): Uint8Array | undefined {
    return this.size === 0 ? undefined : this.getNode(this.depth, 0);
  }

  /** Number of nodes at `level`; 0 above the root. */
  levelLength(level: number): number {
    return this.#lens[level] ?? 0;
  }

  /** Copies node `index` of `level` into `out[outOffset..+32]`. Throws `INDEX_OUT_OF_RANGE`. */
  readNode(level: number, index: number, out: Uint8Array, outOffset: number): void {
    const len = this.#lens[level];
    if (len === undefined || !Number.isInteger(index) || index < 0 || index >= len) {
      throw new RotorTreeError('INDEX_OUT_OF_RANGE', `no node ${index} at level ${level} (length ${len ?? 0})`);
    }
    if (index === len - 1) {
      copyNode(this.#lastNodes, level * NODE_SIZE, out, outOffset);
      return;
    }
    const cn = this.#levels[level]!.chunkNodes;
    copyNode(this.#chunkHolding(level, index), (index % cn) * NODE_SIZE, out, outOffset);
  }

  /**
   * The leading full chunks of `level` whose nodes are all settled, without copying (a checkpoint
   * store writes them straight to its segments). Empty when `chunkNodes` is not this tree's chunk size.
   */
  settledChunks(level: number, chunkNodes: number): readonly Uint8Array[] {
    const lvl = this.#levels[level];
    if (lvl === undefined || chunkNodes !== lvl.chunkNodes) return [];
    const full = Math.floor(settledLength(this.size, this.n, level) / chunkNodes);
    const out: Uint8Array[] = [];
    for (let c = 0; c < full; c++) {
      const chunk = lvl.chunkAt(c);
      if (chunk === undefined || chunk.length !== chunkNodes * NODE_SIZE) break;
      out.push(chunk);
    }
    return out;
  }

  /** Chunk `c` of {@link settledChunks} (`undefined` past them), without building the list (or the other views). */
  settledChunkAt(level: number, chunkNodes: number, c: number): Uint8Array | undefined {
    const lvl = this.#levels[level];
    if (lvl === undefined || chunkNodes !== lvl.chunkNodes || !Number.isInteger(c) || c < 0) return undefined;
    if (c >= Math.floor(settledLength(this.size, this.n, level) / chunkNodes)) return undefined;
    const chunk = lvl.chunkAt(c);
    return chunk !== undefined && chunk.length === chunkNodes * NODE_SIZE ? chunk : undefined;
  }

  /** Node `index` of `level` as a new 32-byte array. */
  getNode(level: number, index: number): Uint8Array {
    const len = this.#lens[level];
    if (len === undefined || !Number.isInteger(index) || index < 0 || index >= len - 1) {
      const out = new Uint8Array(NODE_SIZE); // the last node, or an error: the general path
      this.readNode(level, index, out, 0);
      return out;
    }
    const off = (index % this.#levels[level]!.chunkNodes) * NODE_SIZE;
    return this.#chunkHolding(level, index).slice(off, off + NODE_SIZE); // one native copy: cheaper than allocating and a byte loop
  }

  /** The shared chunk holding node `index` of `level` (a node before the level's last one). */
  #chunkHolding(level: number, index: number): Uint8Array {
    const lvl = this.#levels[level]!;
    const chunk = lvl.chunkAt(Math.floor(index / lvl.chunkNodes));
    // A chunk adopted from a checkpoint store is detached (length 0) once the store is closed.
    if (chunk === undefined || chunk.length === 0) throw new RotorTreeError('CLOSED', 'this snapshot reads checkpoint files that were closed');
    return chunk;
  }

  /** The inclusion proof of leaf `index`. Throws `INDEX_OUT_OF_RANGE`. */
  generateProof(index: number): InclusionProof {
    return generateProof(this, index);
  }

  /** The proof that the tree of the first `oldSize` leaves is a prefix of this one. */
  generateConsistencyProof(oldSize: number): ConsistencyProof {
    return generateConsistencyProof(this, oldSize, this.hasher);
  }
}
