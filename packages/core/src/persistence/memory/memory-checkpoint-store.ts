/**
 * An in-memory {@link CheckpointStore} over a {@link MemoryDisk}, laid out like the file store:
 * write-once segments of settled nodes per level, and a manifest (published by one assignment)
 * holding the sequence number, the size and the unsettled tail. It can simulate crashes (through
 * its disk) and write failures.
 * @module
 */
import { NODE_SIZE } from '../../bytes.js';
import { RotorTreeError } from '../../errors.js';
import { depthForSize, levelLengthFor, settledLength } from '../../tree/shape.js';
import type { TreeView } from '../../tree/view.js';
import type { CheckpointStore, CheckpointStoreCapabilities, StoredCheckpoint } from '../checkpoint-store.js';
import type { PublishedCheckpoint } from '../kit/checkpoint-store-base.js';
import { CheckpointStoreBase } from '../kit/checkpoint-store-base.js';
import type { TreeIdentity } from '../tree-identity.js';
import type { MemoryCheckpointManifest } from './memory-disk.js';
import { MemoryDisk, microtaskPause } from './memory-disk.js';

/** Options of {@link memoryCheckpointStore}. */
export interface MemoryCheckpointStoreOptions {
  /** The simulated disk; share it with a later instance to "reopen" (default: a private one). */
  readonly disk?: MemoryDisk;
  /** Awaited between the steps of a write (segments, manifest); default: one microtask turn. */
  readonly pause?: () => Promise<void>;
  /** Open without the lock, for a follower beside the writer: `write` is refused (`TypeError`), `latest` sees what the writer published. */
  readonly readOnly?: boolean;
}

/** A {@link CheckpointStore} in memory, with fault injection for tests. */
export interface MemoryCheckpointStore extends CheckpointStore {
  /** The disk this store lives on. */
  readonly disk: MemoryDisk;
  /** The next write fails with `IO` after writing its segments, before publishing the manifest. */
  failNextWrite(cause?: unknown): void;
  /** Number of checkpoints published by this instance (for tests). */
  readonly completedWrites: number;
}

const FILE = 'memory-checkpoint';

/** Creates an in-memory checkpoint store. Not durable beyond its disk object. */
export function memoryCheckpointStore(options: MemoryCheckpointStoreOptions = {}): MemoryCheckpointStore {
  return new MemoryCheckpointStoreImpl(options.disk ?? new MemoryDisk(), options.pause ?? microtaskPause, options.readOnly === true);
}

/** The published manifest, as the base sees it. */
interface Published extends PublishedCheckpoint {
  readonly manifest: MemoryCheckpointManifest;
}

class MemoryCheckpointStoreImpl extends CheckpointStoreBase<Published> implements MemoryCheckpointStore {
  readonly supports: CheckpointStoreCapabilities = { durable: false };
  readonly location = FILE;
  readonly disk: MemoryDisk;
  completedWrites = 0;
  readonly #pause: () => Promise<void>;
  readonly #readOnly: boolean;
  #generation = -1;
  #failNext: { cause: unknown } | undefined;

  constructor(disk: MemoryDisk, pause: () => Promise<void>, readOnly: boolean) {
    super();
    this.disk = disk;
    this.#pause = pause;
    this.#readOnly = readOnly;
  }

  failNextWrite(cause: unknown = new Error('injected checkpoint write failure')): void {
    this.#failNext = { cause };
  }

  protected async _open(): Promise<Published | undefined> {
    const disk = this.disk;
    this.#generation = disk.generation;
    if (this.#readOnly) return this.#published();
    if (disk.checkpointHolder !== null) throw new RotorTreeError('FILE_LOCKED', 'the memory checkpoint store is open elsewhere', { file: FILE });
    disk.checkpointHolder = this;
    this.#dropLeftovers();
    return this.#published();
  }

  protected async _load(published: Published): Promise<TreeView> {
    return this.#viewOf(published.manifest);
  }

  protected async _published(): Promise<{ seq: number; size: number } | undefined> {
    return this.disk.checkpointManifest;
  }

  protected override async _latest(): Promise<StoredCheckpoint | undefined> {
    const published = this.#published();
    return published === undefined ? undefined : { seq: published.seq, view: this.#viewOf(published.manifest), location: FILE };
  }

  protected async _write(view: TreeView, seq: number, tree: TreeIdentity): Promise<void> {
    if (this.#readOnly) throw new TypeError('this checkpoint store was opened read-only');
    this.#assertAlive();
    const disk = this.disk;
    const old = disk.checkpointManifest;
    this.#dropLeftovers();
    const n = tree.n;
    const depth = view.depth;
    const counts: number[] = [];
    const tail = new Uint8Array((depth + 1) * NODE_SIZE);
    // 1. Write-once segments: only the nodes that became settled since the last checkpoint.
    for (let k = 0; k <= depth; k++) {
      const segments = (disk.checkpointSegments[k] ??= []);
      const before = old === undefined ? 0 : settledLength(old.size, n, k);
      const now = settledLength(view.size, n, k);
      if (now > before) {
        const segment = new Uint8Array((now - before) * NODE_SIZE);
        for (let i = before; i < now; i++) view.readNode(k, i, segment, (i - before) * NODE_SIZE);
        segments.push(segment);
      }
      counts.push(segments.length);
      // 2. The unsettled last node, if the level has one, goes with the manifest.
      const len = view.levelLength(k);
      if (len > now) view.readNode(k, len - 1, tail, k * NODE_SIZE);
    }
    await this.#pause();
    this.#assertAlive();
    const fail = this.#failNext;
    if (fail !== undefined) {
      this.#failNext = undefined;
      throw new RotorTreeError('IO', 'injected checkpoint write failure', { file: FILE, cause: fail.cause });
    }
    // 3. Publish: one assignment, the old checkpoint or the new one.
    disk.checkpointManifest = { tree, seq, size: view.size, segmentCounts: counts, tail };
    this.completedWrites++;
  }

  protected async _close(): Promise<void> {
    if (!this.#readOnly && this.#generation === this.disk.generation && this.disk.checkpointHolder === this) this.disk.checkpointHolder = null;
  }

  #published(): Published | undefined {
    const manifest = this.disk.checkpointManifest;
    return manifest === undefined ? undefined : { tree: manifest.tree, seq: manifest.seq, size: manifest.size, location: FILE, manifest };
  }

  /** Segments past the manifest's counts belong to a write that never published: remove them. */
  #dropLeftovers(): void {
    const disk = this.disk;
    const counts = disk.checkpointManifest?.segmentCounts ?? [];
    for (let k = 0; k < disk.checkpointSegments.length; k++) {
      const segments = disk.checkpointSegments[k]!;
      segments.length = Math.min(segments.length, counts[k] ?? 0);
    }
  }

  #viewOf(manifest: MemoryCheckpointManifest): TreeView {
    const { n, maxDepth } = manifest.tree;
    const size = manifest.size;
    const depth = depthForSize(size, n);
    const settled: Uint8Array[] = [];
    for (let k = 0; k <= depth; k++) {
      const segments = this.disk.checkpointSegments[k] ?? [];
      const count = manifest.segmentCounts[k] ?? 0;
      let bytes = 0;
      for (let s = 0; s < count; s++) bytes += segments[s]?.length ?? 0;
      const want = settledLength(size, n, k) * NODE_SIZE;
      if (count > segments.length || bytes !== want) {
        throw new RotorTreeError('CORRUPTION', `level ${k}: segments hold ${bytes} bytes, the manifest needs ${want}`, { file: `${FILE}/level_${k}` });
      }
      const flat = new Uint8Array(bytes);
      let off = 0;
      for (let s = 0; s < count; s++) {
        flat.set(segments[s]!, off);
        off += segments[s]!.length;
      }
      settled.push(flat);
    }
    return new MemoryCheckpointView(n, maxDepth, size, depth, settled, manifest.tail);
  }

  /** After a simulated crash this instance is dead: its I/O fails. */
  #assertAlive(): void {
    if (this.#generation !== this.disk.generation) throw new RotorTreeError('IO', 'the simulated machine crashed', { file: FILE });
  }
}

/** A stored checkpoint read back: settled nodes from the segments, each level's unsettled last node from the tail. */
class MemoryCheckpointView implements TreeView {
  constructor(
    readonly n: number,
    readonly maxDepth: number,
    readonly size: number,
    readonly depth: number,
    readonly settled: readonly Uint8Array[],
    readonly tail: Uint8Array,
  ) {}

  get root(): Uint8Array | undefined {
    return this.size === 0 ? undefined : this.getNode(this.depth, 0);
  }

  levelLength(level: number): number {
    return level > this.depth ? 0 : levelLengthFor(this.size, this.n, level);
  }

  readNode(level: number, index: number, out: Uint8Array, outOffset: number): void {
    const len = this.levelLength(level);
    if (!Number.isInteger(index) || index < 0 || index >= len) {
      throw new RotorTreeError('INDEX_OUT_OF_RANGE', `no node ${index} at level ${level} (length ${len})`);
    }
    const flat = this.settled[level]!;
    const off = index * NODE_SIZE;
    if (off < flat.length) out.set(flat.subarray(off, off + NODE_SIZE), outOffset);
    else out.set(this.tail.subarray(level * NODE_SIZE, level * NODE_SIZE + NODE_SIZE), outOffset);
  }

  getNode(level: number, index: number): Uint8Array {
    const out = new Uint8Array(NODE_SIZE);
    this.readNode(level, index, out, 0);
    return out;
  }
}
