/**
 * An immutable view of one state of a {@link LeanIMT}, sharing its chunks (see level.ts for why no
 * copy is needed): O(depth) to take, and later inserts never change what it reads.
 * @module
 */
import { NODE_SIZE, copyNode } from '../bytes.js';
import type { Hasher } from '../hasher.js';
import { RotorTreeError } from '../errors.js';
import type { EncodedConsistencyProof, EncodedInclusionProof, InclusionProofBatch } from '../proof/index.js';
import { generateConsistencyProof, generateProof, generateProofs } from '../proof/index.js';
import { settledLength } from './shape.js';
import type { ChunkSource, NodeWordSource, TreeView } from './view.js';

/** The chunk storage of one level as a snapshot sees it (core's `Level`). */
export interface SnapshotLevel {
  /** Nodes per chunk. */
  readonly chunkNodes: number;
  /** Chunk `c` (made on first use for chunks adopted from a store), `undefined` past the last one. */
  chunkAt(c: number): Uint8Array | undefined;
  /**
   * Optional: chunk `c` as 64-bit words (cached by core's `Level`), `undefined` when the chunk is not
   * 8-byte aligned; made from {@link chunkAt} without it.
   */
  longsAt?(c: number): BigInt64Array | undefined;
  /** Optional: notes that chunks are handed out of the tree (core's `Level` then never reuses their memory). */
  exposeChunks?(): void;
}

/** Throws `INDEX_OUT_OF_RANGE` for node `index` outside `level` (of `len` nodes) of a tree of `size` leaves. */
export function nodeOutOfRange(level: number, index: number, len: number | undefined, size: number): never {
  if (size === 0) throw new RotorTreeError('INDEX_OUT_OF_RANGE', `the tree is empty: it has no node ${String(index)} at level ${level}`);
  throw new RotorTreeError('INDEX_OUT_OF_RANGE', `no node ${String(index)} at level ${level} (length ${len ?? 0})`);
}

/**
 * Per level of the proof being generated: its group's chunk as 64-bit words (`undefined`: not
 * aligned), the group's first word there, its first node, and which member is the level's last node.
 */
const GROUP_LONGS: (BigInt64Array | undefined)[] = [];
const GROUP_OFFSET = new Int32Array(64);
const GROUP_START = new Float64Array(64);
const GROUP_LAST = new Float64Array(64);
/** Where the first words of the groups are read to (so that the loads are not optimized away). */
const TOUCHED = new BigInt64Array(64);

/** Copies one node (4 longs) from `src[s]` to `dst[d]`. */
function copyLongs(src: BigInt64Array, s: number, dst: BigInt64Array, d: number): void {
  dst[d] = src[s]!;
  dst[d + 1] = src[s + 1]!;
  dst[d + 2] = src[s + 2]!;
  dst[d + 3] = src[s + 3]!;
}

/** An immutable tree state: proofs are generated from here. */
export class TreeSnapshot implements TreeView, ChunkSource, NodeWordSource {
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
  readonly #lastLongs: BigInt64Array;

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
    const aligned = lastNodes.byteOffset % 8 === 0 ? lastNodes : lastNodes.slice();
    this.#lastLongs = new BigInt64Array(aligned.buffer, aligned.byteOffset, aligned.length >> 3);
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
    if (len === undefined || !Number.isInteger(index) || index < 0 || index >= len) nodeOutOfRange(level, index, len, this.size);
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
    lvl.exposeChunks?.();
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
    lvl.exposeChunks?.();
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

  /** @internal See {@link NodeWordSource}: proof generation copies nodes 8 bytes at a time from the shared chunks. */
  copyProofNodes(index: number, positions: Uint8Array, counts: Uint8Array, levels: number, dst: Uint8Array, dstLongs: BigInt64Array, at: number): void {
    const n = this.n;
    const lastLongs = this.#lastLongs;
    const d = at >> 3;
    // First find every level's group and read its first word: the loads are independent, so the
    // cache misses of the levels overlap instead of coming one after another during the copies.
    for (let k = 0, idx = index; k < levels; k++) {
      const start = idx - positions[k]!;
      const lastMember = this.#lens[k]! - 1 - start;
      GROUP_LAST[k] = lastMember;
      GROUP_START[k] = start;
      idx = start / n;
      // A group whose only needed member is the level's last node reads nothing from the chunks.
      if (counts[k] === 0 && (k > 0 || lastMember === 0)) {
        GROUP_LONGS[k] = lastLongs;
        continue;
      }
      const lvl = this.#levels[k]!;
      const cn = lvl.chunkNodes;
      const c = Math.floor(start / cn);
      let longs = lvl.longsAt?.(c);
      if (longs === undefined || longs.length === 0) longs = this.#longsOf(lvl, c);
      GROUP_LONGS[k] = longs;
      if (longs === undefined) continue; // not 8-byte aligned: copied by readNode below
      const offset = (start - c * cn) * 4;
      GROUP_OFFSET[k] = offset;
      TOUCHED[k] = longs[offset]!;
    }
    copyLongs(lastLongs, levels * 4, dstLongs, d); // the root: the top level's only node
    if (levels === 0) {
      copyLongs(lastLongs, 0, dstLongs, d + 4); // one leaf: it is the root
      return;
    }
    let w = d + 8;
    for (let k = 0; k < levels; k++) {
      const count = counts[k]!;
      const position = positions[k]!;
      const last = GROUP_LAST[k]!;
      const src = GROUP_LONGS[k];
      if (src === undefined) {
        // A chunk that is not 8-byte aligned: the general node reads.
        const start = GROUP_START[k]!;
        if (k === 0) this.readNode(0, index, dst, at + NODE_SIZE);
        for (let m = 0, o = w * 8; m <= count; m++) {
          if (m === position) continue;
          this.readNode(k, start + m, dst, o);
          o += NODE_SIZE;
        }
        w += count * 4;
        continue;
      }
      const from = GROUP_OFFSET[k]!;
      for (let m = 0; m <= count; m++) {
        if (m === position) {
          if (k === 0) copyLongs(m === last ? lastLongs : src, m === last ? 0 : from + m * 4, dstLongs, d + 4); // the leaf
          continue;
        }
        // The level's last node may have been rewritten by the live tree since: the snapshot's copy.
        if (m === last) copyLongs(lastLongs, k * 4, dstLongs, w);
        else copyLongs(src, from + m * 4, dstLongs, w);
        w += 4;
      }
    }
  }

  /**
   * Chunk `c` of `lvl` as 64-bit words when the level does not offer them, or `undefined` if it is not
   * 8-byte aligned; `CLOSED` for a chunk of checkpoint files closed since (detached: length 0).
   */
  #longsOf(lvl: SnapshotLevel, c: number): BigInt64Array | undefined {
    const chunk = lvl.chunkAt(c);
    if (chunk === undefined || chunk.length === 0) throw new RotorTreeError('CLOSED', 'this snapshot reads checkpoint files that were closed');
    return chunk.byteOffset % 8 === 0 ? new BigInt64Array(chunk.buffer, chunk.byteOffset, chunk.length >> 3) : undefined;
  }

  /**
   * The inclusion proof of leaf `index`, in its binary form (see `generateProof`). Throws
   * `INDEX_OUT_OF_RANGE`.
   */
  generateProof(index: number): EncodedInclusionProof {
    return generateProof(this, index);
  }

  /** The inclusion proofs of leaves `indices` in one buffer (see `generateProofs`). Throws `INDEX_OUT_OF_RANGE`. */
  generateProofs(indices: ArrayLike<number>): InclusionProofBatch {
    return generateProofs(this, indices);
  }

  /** The proof that the tree of the first `oldSize` leaves is a prefix of this one. */
  generateConsistencyProof(oldSize: number): EncodedConsistencyProof {
    return generateConsistencyProof(this, oldSize, this.hasher);
  }
}
