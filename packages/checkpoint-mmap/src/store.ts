/**
 * The file checkpoint store: write-once level segments plus one checksummed manifest published by
 * one atomic rename (see write-checkpoint.ts for the write order, manifest.ts for the format).
 * @module
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import type { CheckpointConfig, CheckpointStore, CheckpointStoreCapabilities, ChunkRun, StoredCheckpoint, TreeView } from '@rotortree/core';
import { NODE_SIZE, RotorTreeError, chunkNodesFor } from '@rotortree/core';
import type { FileSystem } from '@rotortree/core/fs';
import { dirName, joinPath, nodeFileSystem, normalizePath } from '@rotortree/core/fs';
import type { Crc32c } from './checksum.js';
import { bestCrc32c } from './checksum.js';
import { ioError, isNotFound } from './errors.js';
import type { HeldLock } from './lock.js';
import { lockRealDir, lockVirtualDir } from './lock.js';
import { assertLockingSupported } from '@rotortree/native';
import { MANIFEST_NAME, MANIFEST_TMP_NAME, MAX_SEGMENT_BYTES, chunkBytesFor, isOwnedLeftover, parseSegmentName, segmentName } from './layout.js';
import type { Manifest } from './manifest.js';
import { decodeManifest } from './manifest.js';
import { loadMmapAddon, mmapDisabled } from './native.js';
import { MappedResidency, sharedMeter } from './residency.js';
import type { LoadedSegment, SegmentSource } from './segments.js';
import { MappedSegmentSource, ReadSegmentSource } from './segments.js';
import { CheckpointView } from './view.js';
import type { ViewLifetime } from './view.js';
import { writeCheckpoint } from './write-checkpoint.js';

/** Options of {@link mmapCheckpointStore}. */
export interface MmapCheckpointStoreOptions {
  /** The checkpoint directory (created if missing). Give the store a directory of its own. */
  readonly dir: string;
  /**
   * The file system (default: the real one). An injected one (e.g. core's `faultyFileSystem`)
   * cannot be mapped: segments are then read into memory, and the lock is in-process only.
   */
  readonly fs?: FileSystem;
  /**
   * `'auto'` (default): map segments read-only when the addon loads and the file system is the
   * real one (`ROTORTREE_DISABLE_MMAP=1` turns it off); `'off'`: read segments into memory.
   */
  readonly mmap?: 'auto' | 'off';
  /** Check every segment's CRC-32C at open (reads every byte once). Default false: sizes only. */
  readonly verify?: boolean;
  /** Largest segment file in bytes, rounded down to whole chunks (default and maximum 1 GiB). For tests. */
  readonly maxSegmentBytes?: number;
  /**
   * Mapped segments only: about how many bytes of them a tree reading through this store may keep
   * resident (counted in the process's RSS) before the store releases them (`madvise(MADV_DONTNEED)`;
   * they stay readable, later reads map them again from the page cache). Default: no limit (mapped
   * pages stay resident until the kernel needs the memory). A small budget makes random reads over
   * a large tree pay a page fault each time. See {@link MmapCheckpointStore.releaseMappedPages}.
   */
  readonly maxResidentBytes?: number;
}

/** A checkpoint read back by the file store; its view reads through mmap when {@link CheckpointView.mapped}. */
export interface FileStoredCheckpoint extends StoredCheckpoint {
  readonly view: CheckpointView;
}

/** The file checkpoint store. */
export interface MmapCheckpointStore extends CheckpointStore {
  /** Opens the store (lock, config check, recovery, cleanup). See core's `CheckpointStore.open`. */
  open(config: CheckpointConfig): Promise<FileStoredCheckpoint | undefined>;
  /**
   * The last checkpoint this store published (or opened), as a view: for tiering the live tree
   * onto mapped chunks after a write. Shares mappings with earlier views; valid until close.
   */
  latest(): Promise<FileStoredCheckpoint | undefined>;
  /** True once opened with segments read through mmap. */
  readonly mapped: boolean;
  /**
   * Releases the pages of every mapped segment from this process's resident set now (they stay
   * readable; a tree then reads them from the page cache again). Nothing to do without mmap.
   */
  releaseMappedPages(): void;
}

/** Creates a file checkpoint store in `options.dir`; nothing is touched before `open`. */
export function mmapCheckpointStore(options: MmapCheckpointStoreOptions): MmapCheckpointStore {
  if (options === null || typeof options !== 'object' || typeof options.dir !== 'string' || options.dir.length === 0) {
    throw new TypeError('mmapCheckpointStore needs { dir: string }');
  }
  if (options.mmap !== undefined && options.mmap !== 'auto' && options.mmap !== 'off') throw new TypeError("mmap must be 'auto' or 'off'");
  if (options.maxSegmentBytes !== undefined && !(Number.isInteger(options.maxSegmentBytes) && options.maxSegmentBytes > 0)) {
    throw new RangeError('maxSegmentBytes must be a positive integer');
  }
  if (options.maxResidentBytes !== undefined && !(Number.isSafeInteger(options.maxResidentBytes) && options.maxResidentBytes > 0)) {
    throw new RangeError('maxResidentBytes must be a positive integer');
  }
  return new FileCheckpointStore(options);
}

class FileCheckpointStore implements MmapCheckpointStore {
  readonly supports: CheckpointStoreCapabilities = { durable: true };
  readonly #dir: string;
  readonly #fs: FileSystem;
  readonly #real: boolean;
  readonly #options: MmapCheckpointStoreOptions;
  readonly #crc32c: Crc32c;
  #source: SegmentSource | undefined;
  #state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  #config: CheckpointConfig | undefined;
  #lock: HeldLock | undefined;
  #life: ViewLifetime = { closed: false };
  /** Loaded (mapped or read) segments by id, shared by every view of this store. */
  readonly #loaded = new Map<number, LoadedSegment>();
  /** Counts the tree's reads of mapped runs and releases their pages at the budget. */
  readonly #residency: MappedResidency;
  /** The published manifest as this store knows it; `known` is false after a failed write. */
  #base: Manifest | undefined;
  #baseKnown = false;
  /** A failed write may have left files nothing references. */
  #dirty = false;
  #nextId = 1;
  #writing = false;

  constructor(options: MmapCheckpointStoreOptions) {
    this.#options = options;
    this.#dir = options.dir;
    this.#real = options.fs === undefined;
    this.#fs = options.fs ?? nodeFileSystem();
    this.#crc32c = bestCrc32c();
    const budget = options.maxResidentBytes;
    const releasePages = (): void => {
      for (const seg of this.#loaded.values()) seg.dropResident();
    };
    this.#residency = new MappedResidency(budget, releasePages, budget === undefined ? undefined : sharedMeter(loadMmapAddon()?.pageSize));
  }

  get mapped(): boolean {
    return this.#source?.mapped ?? false;
  }

  async open(config: CheckpointConfig): Promise<FileStoredCheckpoint | undefined> {
    if (this.#state !== 'new') throw new RotorTreeError('CLOSED', 'this checkpoint store was opened already', { file: this.#dir });
    checkConfig(config);
    this.#state = 'opening';
    try {
      if (this.#real) assertLockingSupported(this.#dir); // before anything is created
      await this.#mkdir();
      this.#lock = this.#takeLock();
      this.#source = this.#makeSource();
      const manifest = await this.#readManifest();
      if (manifest !== undefined) checkManifestConfig(manifest, config, joinPath(this.#dir, MANIFEST_NAME));
      this.#config = config;
      const view = manifest === undefined ? undefined : await this.#viewOf(manifest, this.#options.verify === true);
      this.#base = manifest;
      this.#baseKnown = true;
      await this.#removeLeftovers(manifest);
      this.#state = 'open';
      return manifest === undefined || view === undefined ? undefined : { seq: manifest.seq, view };
    } catch (err) {
      this.#releaseAll();
      this.#state = 'new';
      this.#life = { closed: false };
      throw err;
    }
  }

  async write(view: TreeView, seq: number): Promise<void> {
    this.#assertOpen();
    if (this.#writing) throw new RotorTreeError('IO', 'a checkpoint write is already running', { file: this.#dir });
    const config = this.#config!;
    if (view.n !== config.n || view.maxDepth !== config.maxDepth) {
      throw new RangeError(`the view has n=${view.n} maxDepth=${view.maxDepth}, the store n=${config.n} maxDepth=${config.maxDepth}`);
    }
    if (!Number.isSafeInteger(seq) || seq < -1) throw new RangeError(`seq must be a safe integer >= -1, got ${seq}`);
    this.#writing = true;
    try {
      const base = this.#baseKnown ? this.#base : await this.#reloadBase();
      if (base !== undefined && (seq < base.seq || view.size < base.size)) {
        throw new RangeError(`checkpoints only grow: have seq ${base.seq} size ${base.size}, got seq ${seq} size ${view.size}`);
      }
      const chunkNodes = chunkNodesFor(config.n);
      const maxBytes = Math.min(this.#options.maxSegmentBytes ?? MAX_SEGMENT_BYTES, MAX_SEGMENT_BYTES);
      let published: Manifest;
      try {
        published = await writeCheckpoint(
          {
            fs: this.#fs,
            dir: this.#dir,
            crc32c: this.#crc32c,
            hasherId: config.hasherId,
            chunkNodes,
            maxSegmentChunks: Math.max(1, Math.floor(maxBytes / chunkBytesFor(config.n))),
            nextSegmentId: () => this.#nextId++,
          },
          view,
          seq,
          base,
        );
      } catch (err) {
        // The rename may or may not have happened: re-read the manifest before the next write.
        this.#baseKnown = false;
        this.#dirty = true;
        throw err;
      }
      this.#base = published;
      this.#baseKnown = true;
      if (this.#dirty) {
        await this.#removeLeftovers(published);
        this.#dirty = false;
      }
    } finally {
      this.#writing = false;
    }
  }

  async latest(): Promise<FileStoredCheckpoint | undefined> {
    this.#assertOpen();
    const manifest = this.#baseKnown ? this.#base : await this.#reloadBase();
    if (manifest === undefined) return undefined;
    return { seq: manifest.seq, view: await this.#viewOf(manifest, false) };
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#releaseAll();
  }

  /** Unmaps everything (views then throw `CLOSED`) and drops the lock. */
  #releaseAll(): void {
    this.#life.closed = true;
    for (const seg of this.#loaded.values()) seg.release();
    this.#loaded.clear();
    this.#lock?.release();
    this.#lock = undefined;
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new RotorTreeError('CLOSED', 'the checkpoint store is not open', { file: this.#dir });
  }

  /**
   * Creates the directory (and missing parents) and makes their names durable: a directory entry
   * lost in a power loss would lose every checkpoint in it, silently, after the WAL was truncated.
   */
  async #mkdir(): Promise<void> {
    try {
      // The common case, cheaply (no Stats object): a path that exists but is no directory fails at the lock.
      if (this.#real && existsSync(this.#dir)) return;
      const created: string[] = [];
      for (let d = normalizePath(this.#dir); !(await this.#isDir(d)); d = dirName(d)) {
        created.push(d);
        if (dirName(d) === d) break;
      }
      if (created.length === 0) return;
      if (this.#real) mkdirSync(this.#dir, { recursive: true });
      else await this.#fs.mkdir(this.#dir, { recursive: true });
      for (let i = created.length - 1; i >= 0; i--) await this.#fs.fsyncDir(dirName(created[i]!));
    } catch (err) {
      throw ioError(err, this.#dir, 'creating the directory');
    }
  }

  async #isDir(path: string): Promise<boolean> {
    if (!this.#real) return (await this.#fs.stat(path))?.isDirectory === true;
    try {
      return statSync(path).isDirectory();
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  #takeLock(): HeldLock {
    if (!this.#real) return lockVirtualDir(this.#fs, this.#dir);
    return lockRealDir(this.#dir);
  }

  #makeSource(): SegmentSource {
    const addon = this.#real && this.#options.mmap !== 'off' && !mmapDisabled() ? loadMmapAddon() : undefined;
    return addon !== undefined ? new MappedSegmentSource(this.#dir, addon, this.#crc32c) : new ReadSegmentSource(this.#fs, this.#dir, this.#crc32c);
  }

  /** The published manifest, or `undefined` when none exists. Damage is `CORRUPTION`. */
  async #readManifest(): Promise<Manifest | undefined> {
    const path = joinPath(this.#dir, MANIFEST_NAME);
    let bytes: Uint8Array;
    try {
      // Real files: one synchronous read (tens of µs) instead of four thread-pool round trips.
      if (this.#real) {
        const buf = readFileSync(path);
        return decodeManifest(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path, this.#crc32c);
      }
      const fh = await this.#fs.open(path, 'r');
      try {
        const size = await fh.size();
        bytes = new Uint8Array(size);
        const got = await fh.read(bytes, 0, size, 0);
        if (got !== size) bytes = bytes.subarray(0, got);
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw ioError(err, path, 'reading');
    }
    return decodeManifest(bytes, path, this.#crc32c);
  }

  async #reloadBase(): Promise<Manifest | undefined> {
    const manifest = await this.#readManifest();
    if (manifest !== undefined) checkManifestConfig(manifest, this.#config!, joinPath(this.#dir, MANIFEST_NAME));
    this.#base = manifest;
    this.#baseKnown = true;
    return manifest;
  }

  /** Checks (sizes, CRCs when `verify`) and loads the segments `m` names, and builds its view. */
  async #viewOf(m: Manifest, verify: boolean): Promise<CheckpointView> {
    const source = this.#source!;
    const missing = m.segments.filter((s) => !this.#loaded.has(s.id));
    const settled = await Promise.allSettled(missing.map((s) => source.load(s, verify)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        if (failed === undefined) this.#loaded.set(missing[i]!.id, r.value);
        else r.value.release();
      }
    });
    if (failed !== undefined) throw failed.reason;
    // One run per extent (a few per segment), not a view per chunk: a level makes those on first read.
    const chunkBytes = m.chunkNodes * NODE_SIZE;
    const runs: ChunkRun[][] = m.levels.map(() => []);
    for (const seg of m.segments) {
      const bytes = this.#loaded.get(seg.id)!.bytes;
      let off = 0;
      for (const e of seg.extents) {
        const len = e.chunkCount * chunkBytes;
        runs[e.level]!.push({ firstChunk: e.firstChunk, bytes: bytes.subarray(off, off + len) });
        off += len;
      }
    }
    for (const level of runs) if (level.length > 1) level.sort((a, b) => a.firstChunk - b.firstChunk);
    return new CheckpointView(
      m.n,
      m.maxDepth,
      m.size,
      m.chunkNodes,
      runs,
      m.levels.map((l) => l.nodes),
      this.#life,
      source.mapped,
      source.mapped ? this.#residency : undefined,
    );
  }

  releaseMappedPages(): void {
    this.#residency.release();
  }

  /**
   * Removes files this store writes that `published` does not reference (segments and the temp
   * manifest of writes that never published), and learns the highest segment id in use. With no
   * manifest nothing but the temp file is removed: segments without a manifest are left for
   * inspection (a deleted manifest must not also lose its data). Unlinks need no directory fsync:
   * a crash brings the names back and the next open removes them again. Never touches a file the
   * manifest names, so nothing a view maps is removed or truncated.
   */
  async #removeLeftovers(published: Manifest | undefined): Promise<void> {
    let names: string[];
    try {
      names = this.#real ? readdirSync(this.#dir) : await this.#fs.readdir(this.#dir);
    } catch (err) {
      throw ioError(err, this.#dir, 'listing');
    }
    const referenced = new Set((published?.segments ?? []).map((s) => segmentName(s.id)));
    for (const name of names) {
      const id = parseSegmentName(name);
      if (id !== undefined) this.#nextId = Math.max(this.#nextId, id + 1);
      if (!isOwnedLeftover(name) || referenced.has(name)) continue;
      if (published === undefined && name !== MANIFEST_TMP_NAME) continue;
      const path = joinPath(this.#dir, name);
      try {
        await this.#fs.unlink(path);
      } catch (err) {
        if (!isNotFound(err)) throw ioError(err, path, 'removing leftover');
      }
    }
  }
}

function checkConfig(config: CheckpointConfig): void {
  if (config === null || typeof config !== 'object') throw new TypeError('config must be an object');
  const { n, maxDepth, hasherId } = config;
  if (!Number.isInteger(n) || n < 2 || n > 256) throw new RangeError(`n must be an integer in 2..256, got ${String(n)}`);
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > 64) throw new RangeError(`maxDepth must be an integer in 1..64, got ${String(maxDepth)}`);
  if (typeof hasherId !== 'string' || hasherId.length === 0) throw new TypeError('hasherId must be a non-empty string');
}

function checkManifestConfig(m: Manifest, config: CheckpointConfig, file: string): void {
  if (m.n !== config.n || m.maxDepth !== config.maxDepth || m.hasherId !== config.hasherId) {
    throw new RotorTreeError(
      'CONFIG_MISMATCH',
      `${file} holds n=${m.n} maxDepth=${m.maxDepth} hasher=${m.hasherId}, opened with n=${config.n} maxDepth=${config.maxDepth} hasher=${config.hasherId}`,
      { file },
    );
  }
}

