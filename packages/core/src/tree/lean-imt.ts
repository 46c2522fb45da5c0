/**
 * The in-memory lean incremental Merkle tree with branching factor n (LeanIMT).
 *
 * Rules (identical to the Rust crate rotortree 0.19): level 0 holds the leaves as given; node j of
 * level k+1 covers children jn .. min(jn+n, len_k)-1; a lone child is lifted unchanged, 2..n children
 * are hashed at their real length (no padding, no zero values); depth = ceil(log_n size).
 * @module
 */
import type { BoundPathKernel, Hasher } from '../hasher.js';
import { hashPathWithGroups } from '../hasher.js';
import { NODE_SIZE, assertNode, copyNode, leafCount, transferLeaves } from '../bytes.js';
import { RotorTreeError } from '../errors.js';
import { Level } from './level.js';
import { assertTreeParams, capacityFor, depthForSize, levelLengthFor } from './shape.js';
import { TreeSnapshot, nodeOutOfRange } from './snapshot.js';
import type { ChunkSource, TreeView } from './view.js';

/** Options of `insertMany` ({@link LeanIMT.insertMany}, `RotorTree.insertMany`). */
export interface InsertManyOptions {
  /**
   * Take the flat buffer's memory instead of copying it (an array of leaves is always copied once):
   * the Uint8Array must span its whole, transferable ArrayBuffer (byteOffset 0, every byte; not a
   * SharedArrayBuffer, not WebAssembly memory, not a slice of Node's Buffer pool), else `TypeError`
   * and nothing changes. Once the batch is accepted, the buffer is transferred to the tree (as by
   * `structuredClone` with `transfer`): the caller's array and every view of its buffer are
   * detached (length 0) from then on, even if the batch then fails (a hasher error; for
   * `RotorTree`, the WAL refusing it). Saves the copy of the leaves and the memory for it: for a
   * batch of 1M leaves, ~5 ms and 32 MiB.
   */
  readonly transfer?: boolean;
}

/** Options of {@link LeanIMT}. */
export interface LeanIMTOptions<N extends number = number, D extends number = number> {
  /** The parent-hash function. */
  readonly hasher: Hasher;
  /** Branching factor, 2..256. */
  readonly n: N;
  /** Maximum depth, 1..64: the tree holds at most n^maxDepth leaves. */
  readonly maxDepth: D;
}

/**
 * An append-only n-ary Merkle tree kept in flat chunked arenas.
 *
 * @typeParam N - the branching factor as a literal type (e.g. `LeanIMT<4, 20>`).
 * @typeParam D - the maximum depth as a literal type.
 */
export class LeanIMT<N extends number = number, D extends number = number> implements TreeView {
  readonly hasher: Hasher;
  readonly n: N;
  readonly maxDepth: D;
  /** Leaves the tree can hold: n^maxDepth (saturated at 2^53 - 1). */
  readonly capacity: number;

  readonly #levels: Level[];
  /** Length of each level 0..maxDepth. */
  readonly #lens: number[];
  #depth = 0;
  /**
   * Leaves the upper levels (and depth, path counters) account for. Below `size` after
   * {@link append}: the levels above 0 are then brought up to date in one pass by {@link #settle},
   * which every method reading or changing them calls first.
   */
  #hashed = 0;
  /** During an insertMany: `#ahead[k]` (k >= 1) = nodes of level k final already (see {@link #hashAhead}). */
  #ahead: number[] = NO_AHEAD;
  /** A leaf being hashed by {@link #settle}. */
  readonly #leafScratch = new Uint8Array(NODE_SIZE);
  // The position of the next leaf's path, per level k: its node index floor(size / n^k), that index's
  // digit in base n (its position in its group), and its chunk and place in that chunk. Kept as
  // counters so that a single insert does no division (a float division and modulo cost more than the
  // rest of the bookkeeping together).
  readonly #pathIdx: Float64Array;
  readonly #digits: Int32Array;
  readonly #pathChunk: Int32Array;
  readonly #pathWithin: Int32Array;
  /** n^depth: the size past which the next insert deepens the tree. */
  #depthCapacity = 1;

  // Scratch for single inserts: siblings per level, counts per level, the path's new nodes.
  readonly #pathSiblings: Uint8Array;
  readonly #pathSiblingWords: Int32Array;
  readonly #pathCounts: Uint8Array;
  readonly #pathOut: Uint8Array;
  readonly #pathOutWords: Int32Array;
  readonly #group: Uint8Array;
  // The hasher's bound path kernel (bound on the first insert; null when the hasher has none), its
  // per-level groups of n nodes, and the tree size the groups' siblings match (-1: none yet).
  #boundPath: BoundPathKernel | null | undefined;
  #groups: Uint8Array | undefined;
  #groupWords: Int32Array | undefined;
  #groupsSize = -1;
  /** The last single insert's path nodes are in the groups only (not yet in their levels): see {@link #writePath}. */
  #pathDirty = false;

  constructor(options: LeanIMTOptions<N, D>) {
    if (options === null || typeof options !== 'object') throw new TypeError('LeanIMT options must be an object');
    const { hasher, n, maxDepth } = options;
    assertTreeParams(n, maxDepth);
    if (hasher === null || typeof hasher !== 'object' || typeof hasher.hashGroup !== 'function' || typeof hasher.hashGroups !== 'function') {
      throw new TypeError('hasher must implement the Hasher interface (hashGroup, hashGroups)');
    }
    this.hasher = hasher;
    this.n = n;
    this.maxDepth = maxDepth;
    this.capacity = capacityFor(n, maxDepth);
    this.#levels = [];
    this.#lens = [];
    for (let k = 0; k <= maxDepth; k++) {
      this.#levels.push(new Level(n));
      this.#lens.push(0);
    }
    this.#pathIdx = new Float64Array(maxDepth + 1);
    this.#digits = new Int32Array(maxDepth + 1);
    this.#pathChunk = new Int32Array(maxDepth + 1);
    this.#pathWithin = new Int32Array(maxDepth + 1);
    this.#pathSiblings = new Uint8Array(maxDepth * (n - 1) * NODE_SIZE);
    this.#pathSiblingWords = new Int32Array(this.#pathSiblings.buffer);
    this.#pathCounts = new Uint8Array(maxDepth);
    this.#pathOut = new Uint8Array(maxDepth * NODE_SIZE);
    this.#pathOutWords = new Int32Array(this.#pathOut.buffer);
    this.#group = new Uint8Array(n * NODE_SIZE);
  }

  /** Number of leaves. */
  get size(): number {
    return this.#lens[0]!;
  }

  /** 0 for 0 or 1 leaves, else ceil(log_n(size)). */
  get depth(): number {
    this.#settle();
    return this.#depth;
  }

  /** The root (a copy), or `undefined` while the tree is empty. */
  get root(): Uint8Array | undefined {
    if (this.size === 0) return undefined;
    this.#settle();
    return this.getNode(this.#depth, 0);
  }

  /** Number of nodes at `level` (0 = leaves); 0 above the root or past maxDepth. */
  levelLength(level: number): number {
    if (level !== 0) this.#settle();
    return this.#lens[level] ?? 0;
  }

  /** Copies node `index` of `level` into `out[outOffset..+32]`. Throws `INDEX_OUT_OF_RANGE`. */
  readNode(level: number, index: number, out: Uint8Array, outOffset: number): void {
    if (level !== 0) this.#settle();
    this.#checkIndex(level, index);
    const lvl = this.#levels[level]!;
    copyNode(readableChunk(lvl, index), lvl.offsetOf(index), out, outOffset);
  }

  /** Node `index` of `level` as a new 32-byte array. Throws `INDEX_OUT_OF_RANGE`. */
  getNode(level: number, index: number): Uint8Array {
    const out = new Uint8Array(NODE_SIZE);
    this.readNode(level, index, out, 0);
    return out;
  }

  /**
   * Appends one leaf (32 bytes, stored as given) and returns the new root.
   * Throws `INVALID_NODE` or `MAX_DEPTH_EXCEEDED`; the tree is unchanged on any error.
   */
  insert(leaf: Uint8Array): Uint8Array {
    assertNode(leaf);
    this.#catchUp();
    if (this.#lens[0]! >= this.capacity) {
      throw new RotorTreeError('MAX_DEPTH_EXCEEDED', `the tree is full: n=${this.n}, maxDepth=${this.maxDepth}`);
    }
    return this.#insertPath(leaf, true)!;
  }

  /**
   * Adds `leaf` at index `size` (room checked by the caller; upper levels up to date) by hashing its
   * path: the root (a copy) if `wantRoot`. Atomic: a hasher error changes nothing.
   */
  #insertPath(leaf: Uint8Array, wantRoot: boolean): Uint8Array | undefined {
    const index = this.#lens[0]!;
    const levels = this.#levels;
    const newDepth = index + 1 > this.#depthCapacity ? this.#depth + 1 : this.#depth;
    const digits = this.#digits;
    const chunkAt = this.#pathChunk;
    const withinAt = this.#pathWithin;
    const bound = this.#boundPath === undefined ? this.#bindPath() : this.#boundPath;

    // 1. Compute the new path into scratch (nothing in the tree changes yet: atomic on a hasher error).
    // At level k the new node's left siblings are the digits[k] nodes before it, final and contiguous
    // in one chunk (chunks hold whole groups).
    // With a bound kernel the new nodes land in the per-level groups (level k+1's at position
    // digits[k+1]), where they stay as the next appends' siblings: only after another change of the
    // tree (a batch, a restore) are the groups filled from the levels again.
    let src: Int32Array;
    let stride: number;
    let srcBase: number;
    if (bound !== null) {
      const groupWords = this.#groupWords!;
      stride = this.n * 8;
      if (this.#groupsSize !== index) this.#fillGroups(newDepth);
      this.#groups!.set(leaf, digits[0]! * NODE_SIZE);
      bound(newDepth);
      this.#groupsSize = index + 1;
      src = groupWords;
      srcBase = stride;
    } else {
      const counts = this.#pathCounts;
      const sibWords = this.#pathSiblingWords;
      let sw = 0;
      for (let k = 0; k < newDepth; k++) {
        const pos = digits[k]!;
        counts[k] = pos;
        if (pos > 0) {
          const words = levels[k]!.wordsAt(chunkAt[k]!);
          let w = (withinAt[k]! - pos) * 8;
          const end = w + pos * 8;
          while (w < end) sibWords[sw++] = words[w++]!;
        }
      }
      if (this.hasher.hashPath !== undefined) {
        this.hasher.hashPath(leaf, 0, this.#pathSiblings, counts, newDepth, this.#pathOut);
      } else {
        hashPathWithGroups(this.hasher, leaf, 0, this.#pathSiblings, counts, newDepth, this.#pathOut, this.#group);
      }
      src = this.#pathOutWords;
      stride = 8;
      srcBase = 0;
    }

    // 2. Commit. The leaf goes to level 0. With a bound kernel an upper node is written to its level
    // only once it is final (the insert completed its subtree: the carry of the digits below it), at
    // most once per node; the path's other nodes stay in the groups, and are written when something
    // reads the upper levels (#settle, #writePath). Without one, each level's new node from pathOut.
    const leaves = levels[0]!;
    if (index >= leaves.capacity) leaves.reserve(index + 1);
    if (bound !== null) {
      const words = leaves.wordsAt(chunkAt[0]!);
      const w = withinAt[0]! * 8;
      const o = digits[0]! * 8;
      for (let j = 0; j < 8; j++) words[w + j] = src[o + j]!;
      const last = this.n - 1;
      for (let k = 0; k < newDepth && digits[k] === last; k++) this.#writeNode(k + 1, this.#pathIdx[k + 1]!, src, (k + 1) * stride + digits[k + 1]! * 8);
      this.#pathDirty = true;
    } else {
      copyNode(leaf, 0, leaves.chunks[chunkAt[0]!]!, withinAt[0]! * NODE_SIZE);
      for (let k = 0; k < newDepth; k++) this.#writeNode(k + 1, this.#pathIdx[k + 1]!, src, k * stride);
    }
    this.#lens[0] = index + 1;
    this.#setDepth(newDepth);
    this.#hashed = index + 1;
    this.#advancePath();
    if (!wantRoot) return undefined;
    if (newDepth === 0) return leaf.slice();
    const rootAt = (srcBase + (newDepth - 1) * stride) * 4; // digits[newDepth] is 0: the root is alone
    return (bound !== null ? this.#groups! : this.#pathOut).slice(rootAt, rootAt + NODE_SIZE);
  }

  /**
   * Appends leaves (an array of 32-byte arrays, or one flat buffer of k*32 bytes) and returns the new
   * root. Atomic: on any error (`EMPTY_BATCH`, `INVALID_NODE`, `MAX_DEPTH_EXCEEDED`, a hasher error)
   * the tree is unchanged. Each affected node is computed once, with whole runs of full groups handed
   * to the hasher in one call; a long batch goes in by slices of 32768 leaves, each hashed up as far as
   * its full groups allow while it is still in cache.
   *
   * The leaves are copied (an array's straight into the tree's chunks, a slice at a time; leaves that
   * are consecutive views of one buffer in one copy per run). With `options.transfer`, a flat buffer
   * is taken instead: see {@link InsertManyOptions.transfer}.
   */
  insertMany(leaves: Uint8Array | readonly Uint8Array[], options?: InsertManyOptions): Uint8Array {
    const take: Take = !(leaves instanceof Uint8Array) ? 'gather' : options?.transfer === true ? 'transfer' : 'copy';
    return this.#insertMany(leaves, undefined, take);
  }

  /**
   * Package-internal (the engine's write-ahead path): {@link insertMany} of a flat buffer, calling
   * `onStored` as each slice of about 1 MiB is stored in level 0, before the slice is hashed, with
   * views of the level-0 chunk ranges now holding it (in order; `last` on the final one). Those
   * bytes are never rewritten while the batch stays in the tree (a stored leaf is final). With
   * `owned`, the tree may keep `flat`'s memory (the caller never changes it again). If `onStored` or
   * hashing throws, the tree is unchanged (atomic); the views' bytes stay as they are until a later
   * insert reuses their place.
   * @internal
   */
  insertManyStaged(flat: Uint8Array, onStored: ((stored: readonly Uint8Array[], last: boolean) => void) | undefined, owned = false): Uint8Array {
    return this.#insertMany(flat, onStored, owned ? 'own' : 'copy');
  }

  #insertMany(leaves: Uint8Array | readonly Uint8Array[], onStored: ((stored: readonly Uint8Array[], last: boolean) => void) | undefined, take: Take): Uint8Array {
    const count = leafCount(leaves);
    this.#settle();
    const oldSize = this.size;
    if (oldSize + count > this.capacity) {
      throw new RotorTreeError(
        'MAX_DEPTH_EXCEEDED',
        `${count} leaves do not fit: size ${oldSize}, capacity ${this.capacity} (n=${this.n}, maxDepth=${this.maxDepth})`,
      );
    }
    // An array's leaves are checked as they are copied (a bad one undoes the batch); a flat buffer is whole.
    let flat = leaves instanceof Uint8Array ? leaves : EMPTY;
    if (take === 'transfer') flat = transferLeaves(flat); // once nothing is left to refuse but the hasher
    const saved = this.#saveTail();
    try {
      const leavesLevel = this.#levels[0]!;
      if (take === 'copy' || take === 'gather') leavesLevel.reserve(oldSize + count, false, oldSize);
      // The leaves go in by slices, and the full groups of each slice are hashed up while it is still
      // in cache: a second pass over a large level 0 reads it back from memory (~1/3 slower hashing).
      this.#ahead = this.#lens.map((_, k) => Math.floor(oldSize / this.n ** k));
      for (let done = 0; done < count; ) {
        const slice = Math.min(count - done, STORE_SLICE_NODES);
        if (take === 'gather') leavesLevel.gather(oldSize + done, leaves as readonly Uint8Array[], done, slice);
        else if (take === 'copy') leavesLevel.write(oldSize + done, flat, done * NODE_SIZE, slice);
        else leavesLevel.storeOwned(oldSize + done, flat, done * NODE_SIZE, slice);
        done += slice;
        onStored?.(storedViews(leavesLevel, oldSize + done - slice, slice), done === count);
        if (done < count) this.#hashAhead(oldSize + done);
      }
      this.#lens[0] = oldSize + count;
      this.#hashUpFrom(oldSize);
    } catch (err) {
      this.#restoreTail(saved);
      throw err;
    } finally {
      this.#ahead = NO_AHEAD;
      this.#hashed = this.size;
      this.#resetPath();
    }
    return this.getNode(this.#depth, 0);
  }

  /**
   * During a batch, once leaves `.. stored-1` are in level 0: hashes every group whose children are all
   * final and not yet hashed, level by level, recording in {@link #ahead} how far each level is done.
   */
  #hashAhead(stored: number): void {
    const n = this.n;
    const ahead = this.#ahead;
    let final = stored;
    for (let k = 0; k + 1 < ahead.length; k++) {
      const from = ahead[k + 1]!;
      const full = Math.floor(final / n);
      if (full <= from) return;
      this.#levels[k + 1]!.reserve(full, false, from);
      this.#hashFullGroups(k, from, full);
      ahead[k + 1] = full;
      final = full;
    }
  }

  /**
   * Appends one leaf (32 bytes, stored as given) without hashing: the levels above the leaves are
   * brought up to date by the next call that needs them (`root`, `depth`, a read above level 0,
   * `insert`, `insertMany`, `snapshot`, {@link rootAt}), in one pass for every leaf appended since,
   * which costs about what `insertMany` of those leaves costs. A hasher error then surfaces from that
   * call (and the next one retries). Throws `INVALID_NODE` or `MAX_DEPTH_EXCEEDED` (nothing changed).
   */
  append(leaf: Uint8Array): void {
    assertNode(leaf);
    const index = this.#lens[0]!;
    if (index >= this.capacity) {
      throw new RotorTreeError('MAX_DEPTH_EXCEEDED', `the tree is full: n=${this.n}, maxDepth=${this.maxDepth}`);
    }
    const leaves = this.#levels[0]!;
    if (index >= leaves.capacity) leaves.reserve(index + 1);
    const cn = leaves.chunkNodes;
    const c = Math.floor(index / cn);
    copyNode(leaf, 0, leaves.chunks[c]!, (index - c * cn) * NODE_SIZE);
    this.#lens[0] = index + 1;
  }

  /**
   * The root the tree had when it held its first `size` leaves (1 <= size <= this.size), recomputed
   * from the nodes that have not changed since: at most one group hash per level.
   * Throws `INDEX_OUT_OF_RANGE` for another size.
   */
  rootAt(size: number): Uint8Array {
    if (!Number.isInteger(size) || size < 1 || size > this.size) {
      throw new RotorTreeError('INDEX_OUT_OF_RANGE', `no root at size ${size} (the tree holds ${this.size} leaves)`);
    }
    this.#settle();
    if (size === this.size) return this.getNode(this.#depth, 0);
    // The right edge at `size`: on each level, the nodes left of the last one covered only leaves
    // below `size` and are the same now; the last one is recomputed from its group.
    const n = this.n;
    const group = this.#group;
    const last = this.getNode(0, size - 1);
    let len = size;
    for (let k = 0; len > 1; k++) {
      const p = Math.floor((len - 1) / n);
      const first = p * n;
      const count = len - first;
      if (count > 1) {
        const level = this.#levels[k]!;
        for (let i = 0; i < count - 1; i++) copyNode(readableChunk(level, first + i), level.offsetOf(first + i), group, i * NODE_SIZE);
        copyNode(last, 0, group, (count - 1) * NODE_SIZE);
        this.hasher.hashGroup(group, 0, count, last, 0);
      }
      len = p + 1;
    }
    return last;
  }

  /** Brings the upper levels up to date: hashes the leaves appended since, writes the last insert's path. */
  #settle(): void {
    this.#catchUp();
    if (this.#pathDirty) this.#writePath();
  }

  /** Hashes the leaves appended since the upper levels were last up to date (see {@link append}). */
  #catchUp(): void {
    const from = this.#hashed;
    const size = this.#lens[0]!;
    if (from === size) return;
    if (size - from <= SETTLE_BY_PATH) {
      // A few leaves: hash each one's path, as insert does (the batch pass costs a hasher call per level).
      const leaves = this.#levels[0]!;
      const leaf = this.#leafScratch;
      try {
        for (let i = from; i < size; i++) {
          copyNode(leaves.chunkOf(i), leaves.offsetOf(i), leaf, 0);
          this.#lens[0] = i;
          this.#insertPath(leaf, false);
        }
      } finally {
        this.#lens[0] = size;
      }
      return;
    }
    if (this.#pathDirty) this.#writePath();
    this.#hashUpFrom(from);
    this.#hashed = this.#lens[0]!;
    this.#resetPath();
  }

  /** Writes node `index` of `level` (growing the level; its length at least index + 1) from `src` words at `at`. */
  #writeNode(level: number, index: number, src: Int32Array, at: number): void {
    const lvl = this.#levels[level]!;
    if (index >= lvl.capacity) lvl.reserve(index + 1);
    const cn = lvl.chunkNodes;
    const c = Math.floor(index / cn);
    const words = lvl.wordsAt(c);
    const w = (index - c * cn) * 8;
    words[w] = src[at]!;
    words[w + 1] = src[at + 1]!;
    words[w + 2] = src[at + 2]!;
    words[w + 3] = src[at + 3]!;
    words[w + 4] = src[at + 4]!;
    words[w + 5] = src[at + 5]!;
    words[w + 6] = src[at + 6]!;
    words[w + 7] = src[at + 7]!;
    this.#lens[level] = index + 1;
  }

  /**
   * Writes the nodes of the last insert's path, kept in the bound kernel's groups (level k's node
   * `floor((size-1) / n^k)` at its group position), into their levels, and sets their lengths.
   */
  #writePath(): void {
    this.#pathDirty = false;
    const n = this.n;
    const groupWords = this.#groupWords!;
    for (let k = 1, j = this.#hashed - 1; k <= this.#depth; k++) {
      j = Math.floor(j / n);
      this.#writeNode(k, j, groupWords, (k * n + (j % n)) * 8);
    }
  }

  /**
   * Loads a stored state (e.g. a checkpoint) into this empty tree without rehashing anything. Settled
   * chunks that `view` offers through {@link ChunkSource.settledRuns} (preferred: no view per chunk until
   * it is read) or {@link ChunkSource.settledChunks} are adopted without a copy (they may be read-only
   * mappings); everything else is copied (`readNodes` in bulk if offered, else `readNode`). The view must be of a tree
   * with the same n; its level lengths must be those of its size (`CORRUPTION` otherwise). The caller
   * vouches for the content: use a verifying store, or recompute (see `RotorTree`'s `verifyCheckpoint`).
   * @param pinAboveLevel - levels at or above it are always copied into memory, never adopted.
   */
  restore(view: TreeView & Partial<ChunkSource>, pinAboveLevel = Number.POSITIVE_INFINITY): void {
    if (this.size !== 0) throw new RangeError('restore needs an empty tree');
    if (view.n !== this.n) throw new RangeError(`the stored tree has n=${view.n}, this tree n=${this.n}`);
    const size = view.size;
    if (size > this.capacity) {
      throw new RotorTreeError('MAX_DEPTH_EXCEEDED', `the stored tree holds ${size} leaves, more than the capacity ${this.capacity}`);
    }
    if (size === 0) return;
    const n = this.n;
    const depth = depthForSize(size, n);
    if (view.depth !== depth) throw new RotorTreeError('CORRUPTION', `a stored tree of ${size} leaves has depth ${view.depth}, expected ${depth}`);
    let settled = size;
    for (let k = 0; k <= depth; k++, settled = Math.floor(settled / n)) {
      const len = levelLengthFor(size, n, k);
      if (view.levelLength(k) !== len) {
        throw new RotorTreeError('CORRUPTION', `stored level ${k} holds ${view.levelLength(k)} nodes, expected ${len}`);
      }
      const level = this.#levels[k]!;
      const cn = level.chunkNodes;
      const whole = Math.floor(settled / cn);
      const runs = view.settledRuns?.(k, cn);
      let done = 0;
      if (k < pinAboveLevel && runs !== undefined) {
        level.adoptRuns(runs, whole, view.residency); // no view per chunk: made on first read
        done = level.chunks.length * cn;
        level.reserve(len, true);
      } else if (runs !== undefined) {
        // Pinned: copied into memory, a run at a time.
        level.reserve(len, true);
        for (const run of runs) {
          const take = Math.min(run.bytes.length / NODE_SIZE, whole * cn - done);
          if (take <= 0 || run.firstChunk * cn !== done) break;
          if (run.check !== undefined) for (let c = 0; c * cn < take; c++) run.check(run.firstChunk + c);
          level.write(done, run.bytes, 0, take);
          done += take;
        }
      } else {
        const views = view.settledChunks === undefined ? [] : view.settledChunks(k, cn).slice(0, whole);
        if (k < pinAboveLevel) {
          level.adopt(views);
          done = views.length * cn;
          level.reserve(len, true);
        } else {
          // Pinned: copied into memory, whole chunks at a time where the view offers them.
          level.reserve(len, true);
          for (const chunk of views) {
            level.write(done, chunk, 0, cn);
            done += cn;
          }
        }
      }
      // The rest (a partial chunk, the unsettled last node): in bulk where the view can.
      for (let i = done; i < len; ) {
        const take = view.readNodes === undefined ? 1 : Math.min(len - i, cn - (i % cn));
        if (view.readNodes === undefined) view.readNode(k, i, level.chunkOf(i), level.offsetOf(i));
        else view.readNodes(k, i, take, level.chunkOf(i), level.offsetOf(i));
        i += take;
      }
      this.#lens[k] = len;
    }
    this.#setDepth(depth);
    this.#hashed = size;
    this.#resetPath();
  }

  /**
   * Tiering: for each level below `pinAboveLevel`, replaces the in-memory full chunks whose nodes are
   * all settled by the views `source` offers (a checkpoint of this tree, e.g. mmap'd segments holding
   * the same bytes), so that they leave the heap. Chunks already taken from `source` are skipped.
   * The views must stay readable as long as this tree and its snapshots are used.
   */
  adoptSettled(source: ChunkSource, pinAboveLevel: number): void {
    this.#settle();
    let settled = this.size;
    for (let k = 0; k <= this.#depth && k < pinAboveLevel; k++, settled = Math.floor(settled / this.n)) {
      const level = this.#levels[k]!;
      const cn = level.chunkNodes;
      const runs = source.settledRuns?.(k, cn);
      if (runs !== undefined) {
        level.replaceByRuns(runs, Math.floor(settled / cn), source.residency); // no view per chunk: made on first read
        continue;
      }
      const views = source.settledChunks(k, cn);
      const full = Math.min(views.length, Math.floor(settled / cn));
      for (let c = 0; c < full; c++) {
        if (level.chunks[c] !== views[c]) level.swap(c, views[c]!);
      }
    }
  }

  /** An immutable view of the current state, O(depth); later inserts never change it. */
  snapshot(): TreeSnapshot {
    this.#settle();
    const depth = this.#depth;
    const lens = this.#lens.slice(0, depth + 1);
    const lastNodes = new Uint8Array((depth + 1) * NODE_SIZE);
    if (this.size > 0) {
      for (let k = 0; k <= depth; k++) this.readNode(k, lens[k]! - 1, lastNodes, k * NODE_SIZE);
    }
    return new TreeSnapshot(
      this.hasher,
      this.n,
      this.maxDepth,
      this.#levels.slice(0, depth + 1), // shared: see level.ts for why no copy is needed
      lens,
      lastNodes,
    );
  }

  /** Recomputes every level above the leaves from leaf `first` on (the levels below hold the new leaves), and the depth. */
  #hashUpFrom(first: number): void {
    let k = 0;
    while (this.#lens[k]! > 1) {
      first = this.#recomputeParents(k, Math.floor(first / this.n));
      k++;
    }
    this.#setDepth(k);
  }

  /**
   * Recomputes parents `pFirst ..` of level k+1 from level k and sets level k+1's length.
   * Returns pFirst (the first changed node of level k+1).
   */
  #recomputeParents(k: number, pFirst: number): number {
    const n = this.n;
    const hasher = this.hasher;
    const child = this.#levels[k]!;
    const parent = this.#levels[k + 1]!;
    const len = this.#lens[k]!;
    const fullGroups = Math.floor(len / n);
    const rem = len - fullGroups * n;
    const parentLen = fullGroups + (rem > 0 ? 1 : 0);
    parent.reserve(parentLen, false, pFirst);
    // Groups hashed ahead during this batch are final already.
    this.#hashFullGroups(k, Math.max(pFirst, this.#ahead[k + 1] ?? 0), fullGroups);
    if (rem > 0) {
      const start = fullGroups * n;
      const chunk = child.chunkOf(start);
      const off = child.offsetOf(start);
      if (rem === 1) copyNode(chunk, off, parent.chunkOf(fullGroups), parent.offsetOf(fullGroups));
      else hasher.hashGroup(chunk, off, rem, parent.chunkOf(fullGroups), parent.offsetOf(fullGroups));
    }
    this.#lens[k + 1] = parentLen;
    return pFirst;
  }

  /** Hashes the full groups of level k under parents `from .. to-1` into level k+1 (room reserved). */
  #hashFullGroups(k: number, from: number, to: number): void {
    const n = this.n;
    const child = this.#levels[k]!;
    const parent = this.#levels[k + 1]!;
    const cn = child.chunkNodes;
    for (let p = from; p < to; ) {
      const start = p * n;
      const ci = Math.floor(start / cn);
      const within = start - ci * cn;
      const groups = Math.min(to - p, (cn - within) / n);
      this.hasher.hashGroups(child.chunks[ci]!, within * NODE_SIZE, n, groups, parent.chunkOf(p), parent.offsetOf(p));
      p += groups;
    }
  }

  /**
   * What `insertMany` may overwrite: every level's length and its last node when that node is
   * unsettled (a settled node never changes, and may live in a read-only mapping), and the depth.
   */
  #saveTail(): { lens: number[]; last: Uint8Array; unsettled: boolean[]; depth: number } {
    const lens = this.#lens.slice();
    const last = new Uint8Array(lens.length * NODE_SIZE);
    const unsettled: boolean[] = [];
    let settled = this.size;
    for (let k = 0; k < lens.length; k++, settled = Math.floor(settled / this.n)) {
      const len = lens[k]!;
      unsettled.push(len > settled);
      if (len > settled) this.readNode(k, len - 1, last, k * NODE_SIZE);
    }
    return { lens, last, unsettled, depth: this.#depth };
  }

  #restoreTail(saved: { lens: number[]; last: Uint8Array; unsettled: boolean[]; depth: number }): void {
    for (let k = 0; k < saved.lens.length; k++) {
      const len = saved.lens[k]!;
      this.#lens[k] = len;
      if (saved.unsettled[k]) {
        const lvl = this.#levels[k]!;
        copyNode(saved.last, k * NODE_SIZE, lvl.chunkOf(len - 1), lvl.offsetOf(len - 1));
      }
    }
    this.#setDepth(saved.depth);
  }

  /** Moves the path counters from size-1 to size: a base-n increment with carry. */
  #advancePath(): void {
    const n = this.n;
    const pathIdx = this.#pathIdx;
    const digits = this.#digits;
    const chunkAt = this.#pathChunk;
    const withinAt = this.#pathWithin;
    const top = this.maxDepth;
    for (let k = 0; k <= top; k++) {
      pathIdx[k]!++;
      if (++withinAt[k]! === this.#levels[k]!.chunkNodes) {
        withinAt[k] = 0;
        chunkAt[k]!++;
      }
      if (++digits[k]! < n) return;
      digits[k] = 0;
    }
  }

  /** Binds the hasher's path kernel to this tree's groups, or records that it has none. */
  #bindPath(): BoundPathKernel | null {
    const hasher = this.hasher;
    if (typeof hasher.bindPath !== 'function') return (this.#boundPath = null);
    const groups = new Uint8Array((this.maxDepth + 1) * this.n * NODE_SIZE);
    this.#groups = groups;
    this.#groupWords = new Int32Array(groups.buffer);
    return (this.#boundPath = hasher.bindPath(groups, this.n, this.#digits, this.maxDepth));
  }

  /** Fills each level's group with the next path's left siblings, from the levels. */
  #fillGroups(newDepth: number): void {
    const groupWords = this.#groupWords!;
    const stride = this.n * 8;
    for (let k = 0; k < newDepth; k++) {
      const pos = this.#digits[k]!;
      if (pos === 0) continue;
      const words = this.#levels[k]!.wordsAt(this.#pathChunk[k]!);
      const from = (this.#pathWithin[k]! - pos) * 8;
      groupWords.set(words.subarray(from, from + pos * 8), k * stride);
    }
  }

  /** Recomputes the path counters from the size (after a batch or a restore). */
  #resetPath(): void {
    this.#groupsSize = -1; // the bound kernel's groups no longer match the levels
    const n = this.n;
    let idx = this.size;
    for (let k = 0; k <= this.maxDepth; k++) {
      const cn = this.#levels[k]!.chunkNodes;
      const chunk = Math.floor(idx / cn);
      this.#pathIdx[k] = idx;
      this.#digits[k] = idx % n;
      this.#pathChunk[k] = chunk;
      this.#pathWithin[k] = idx - chunk * cn;
      idx = Math.floor(idx / n);
    }
  }

  #setDepth(depth: number): void {
    if (depth === this.#depth) return;
    this.#depth = depth;
    let cap = 1;
    for (let k = 0; k < depth; k++) cap *= this.n;
    this.#depthCapacity = cap;
  }

  #checkIndex(level: number, index: number): void {
    const len = this.#lens[level];
    if (len === undefined || !Number.isInteger(index) || index < 0 || index >= len) nodeOutOfRange(level, index, len, this.size);
  }
}

/** The chunk holding node `index`; `CLOSED` if it was adopted from a store whose files are now closed (detached). */
function readableChunk(level: Level, index: number): Uint8Array {
  const chunk = level.chunkOf(index);
  if (chunk.length === 0) throw new RotorTreeError('CLOSED', 'this node was read from checkpoint files that were closed');
  return chunk;
}

/** Pending appended leaves up to which {@link LeanIMT} catches up one path at a time, not by a batch pass. */
const SETTLE_BY_PATH = 2;

/**
 * How a batch reaches level 0: a flat buffer copied, or kept (whole chunks of it become chunks) when
 * the tree made it (`own`) or takes it from the caller (`transfer`: detached from them first); an
 * array's leaves copied straight into the chunks (`gather`).
 */
type Take = 'copy' | 'own' | 'transfer' | 'gather';

/** The flat buffer of a batch given as an array (not used). */
const EMPTY = new Uint8Array(0);

/** No batch running: nothing hashed ahead. */
const NO_AHEAD: number[] = [];

/** Leaves stored (and their groups hashed) per slice by {@link LeanIMT.insertMany} (1 MiB). */
const STORE_SLICE_NODES = 32_768;

/** Views of nodes `index .. index+count-1` of `level`, one per chunk they touch (handed out of the tree). */
function storedViews(level: Level, index: number, count: number): Uint8Array[] {
  level.exposeChunks();
  const views: Uint8Array[] = [];
  const cn = level.chunkNodes;
  while (count > 0) {
    const ci = Math.floor(index / cn);
    const within = index - ci * cn;
    const take = Math.min(count, cn - within);
    views.push(level.chunks[ci]!.subarray(within * NODE_SIZE, (within + take) * NODE_SIZE));
    index += take;
    count -= take;
  }
  return views;
}
