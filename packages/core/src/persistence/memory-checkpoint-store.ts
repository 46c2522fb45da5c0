/**
 * An in-memory {@link CheckpointStore} over a {@link MemoryDisk}, laid out like the file store:
 * write-once segments of settled nodes per level, and a manifest (published by one assignment)
 * holding the sequence number, the size and the unsettled tail. It can simulate crashes (through
 * its disk) and write failures.
 * @module
 */
import { NODE_SIZE } from '../bytes.js';
import { RotorTreeError } from '../errors.js';
import { depthForSize, levelLengthFor } from '../tree/shape.js';
import type { TreeView } from '../tree/view.js';
import type { CheckpointConfig, CheckpointStore, CheckpointStoreCapabilities, StoredCheckpoint } from './checkpoint-store.js';
import { settledLength } from '../tree/shape.js';
import type { MemoryCheckpointManifest } from './memory-disk.js';
import { MemoryDisk, microtaskPause } from './memory-disk.js';

/** Options of {@link memoryCheckpointStore}. */
export interface MemoryCheckpointStoreOptions {
  /** The simulated disk; share it with a later instance to "reopen" (default: a private one). */
  readonly disk?: MemoryDisk;
  /** Awaited between the steps of a write (segments, manifest); default: one microtask turn. */
  readonly pause?: () => Promise<void>;
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
  return new MemoryCheckpointStoreImpl(options.disk ?? new MemoryDisk(), options.pause ?? microtaskPause);
}

class MemoryCheckpointStoreImpl implements MemoryCheckpointStore {
  readonly supports: CheckpointStoreCapabilities = { durable: false };
  readonly disk: MemoryDisk;
  completedWrites = 0;
  readonly #pause: () => Promise<void>;
  #config: CheckpointConfig | undefined;
  #state: 'new' | 'open' | 'closed' = 'new';
  #generation = -1;
  #failNext: { cause: unknown } | undefined;

  constructor(disk: MemoryDisk, pause: () => Promise<void>) {
    this.disk = disk;
    this.#pause = pause;
  }

  failNextWrite(cause: unknown = new Error('injected checkpoint write failure')): void {
    this.#failNext = { cause };
  }

  async open(config: CheckpointConfig): Promise<StoredCheckpoint | undefined> {
    if (this.#state !== 'new') throw new RotorTreeError('CLOSED', 'this memory checkpoint store was opened already');
    const disk = this.disk;
    if (disk.checkpointHolder !== null) throw new RotorTreeError('FILE_LOCKED', 'the memory checkpoint store is open elsewhere', { file: FILE });
    const stored = disk.checkpointConfig;
    if (stored !== undefined && (stored.n !== config.n || stored.maxDepth !== config.maxDepth || stored.hasherId !== config.hasherId)) {
      throw new RotorTreeError('CONFIG_MISMATCH', `the checkpoint holds n=${stored.n} maxDepth=${stored.maxDepth} hasher=${stored.hasherId}`, { file: FILE });
    }
    disk.checkpointConfig = stored ?? { n: config.n, maxDepth: config.maxDepth, hasherId: config.hasherId };
    disk.checkpointHolder = this;
    this.#config = config;
    this.#generation = disk.generation;
    this.#state = 'open';
    this.#dropLeftovers();
    const manifest = disk.checkpointManifest;
    if (manifest === undefined) return undefined;
    return { seq: manifest.seq, view: this.#viewOf(manifest, config) };
  }

  async write(view: TreeView, seq: number): Promise<void> {
    this.#assertOpen();
    const config = this.#config!;
    const disk = this.disk;
    const old = disk.checkpointManifest;
    if (old !== undefined && (seq < old.seq || view.size < old.size)) {
      throw new RangeError(`checkpoints only grow: have seq ${old.seq} size ${old.size}, got seq ${seq} size ${view.size}`);
    }
    this.#dropLeftovers();
    const n = config.n;
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
    const manifest: MemoryCheckpointManifest = { seq, size: view.size, segmentCounts: counts, tail };
    disk.checkpointManifest = manifest;
    this.completedWrites++;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#generation === this.disk.generation && this.disk.checkpointHolder === this) this.disk.checkpointHolder = null;
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

  #viewOf(manifest: MemoryCheckpointManifest, config: CheckpointConfig): TreeView {
    const n = config.n;
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
    return new MemoryCheckpointView(n, config.maxDepth, size, depth, settled, manifest.tail);
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new RotorTreeError('CLOSED', 'the memory checkpoint store is not open', { file: FILE });
    this.#assertAlive();
  }

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
