/**
 * The file checkpoint store: write-once level segments plus one checksummed manifest published by
 * one atomic rename (see write-checkpoint.ts for the write order, manifest.ts for the format).
 * @module
 */
import type { CheckpointConfig, CheckpointStore, CheckpointStoreCapabilities, ChunkRun, StoredCheckpoint, TreeView } from '@rotortree/core';
import { NODE_SIZE, RotorTreeError, chunkNodesFor } from '@rotortree/core';
import { CheckpointStoreBase } from '@rotortree/core/backend';
import type { PublishedCheckpoint, TreeIdentity } from '@rotortree/core/backend';
import type { FileSystem } from '@rotortree/core/fs';
import { joinPath, mkdirDurable, nodeFileSystem, readWholeFile } from '@rotortree/core/fs';
import type { Crc32c } from './checksum.js';
import { bestCrc32c } from './checksum.js';
import { corruption, ioError, isNotFound } from './errors.js';
import type { HeldLock } from './lock.js';
import { lockRealDir, lockVirtualDir } from './lock.js';
import { assertLockingSupported } from '@rotortree/native';
import { MANIFEST_NAME, MANIFEST_TMP_NAME, MAX_SEGMENT_BYTES, chunkBytesFor, isOwnedLeftover, parseSegmentName, segmentName } from './layout.js';
import type { Manifest } from './manifest.js';
import { decodeManifest } from './manifest.js';
import { loadMmapAddon, mmapDisabled } from './native.js';
import { MappedResidency, sharedMeter } from './residency.js';
import { chunksPerSegment } from './segment-format.js';
import type { LoadedSegment, SegmentSource } from './segments.js';
import { MappedSegmentSource, ReadSegmentSource } from './segments.js';
import { CheckpointView } from './view.js';
import type { ViewLifetime } from './view.js';
import { writeCheckpoint } from './write-checkpoint.js';

/** Largest manifest read: far above any tree's (a few KiB per level and segment), far below a damaged file's. */
const MAX_MANIFEST_BYTES = 256 * 2 ** 20;

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
  /**
   * Check every chunk's CRC-32C at open (reads every byte once). Default false: each segment's
   * trailer is checked at open and each chunk when first read, so no damaged byte is ever served
   * either way; `verify` only moves the cost (and the error) to the open.
   */
  readonly verify?: boolean;
  /** Largest segment file in bytes, trailer included, rounded down to whole chunks (default and maximum 1 GiB). For tests. */
  readonly maxSegmentBytes?: number;
  /**
   * Mapped segments only: about how many bytes of them a tree reading through this store may keep
   * resident (counted in the process's RSS) before the store releases them (`madvise(MADV_DONTNEED)`;
   * they stay readable, later reads map them again from the page cache). Default: no limit (mapped
   * pages stay resident until the kernel needs the memory). A small budget makes random reads over
   * a large tree pay a page fault each time. See {@link MmapCheckpointStore.releaseMappedPages}.
   */
  readonly maxResidentBytes?: number;
  /**
   * Open without the lock, for a follower beside the writer (another process, or this one): nothing is
   * created, removed or written (`write` is `TypeError`), and `latest()` reads the manifest the writer
   * published last. Segments are write-once and a published one is never removed, so what a
   * follower maps stays valid.
   */
  readonly readOnly?: boolean;
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
  if (options.verify !== undefined && typeof options.verify !== 'boolean') throw new TypeError('verify must be a boolean');
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') throw new TypeError('readOnly must be a boolean');
  if (options.mmap !== undefined && options.mmap !== 'auto' && options.mmap !== 'off') throw new TypeError("mmap must be 'auto' or 'off'");
  if (options.maxSegmentBytes !== undefined && !(Number.isInteger(options.maxSegmentBytes) && options.maxSegmentBytes > 0)) {
    throw new RangeError('maxSegmentBytes must be a positive integer');
  }
  if (options.maxResidentBytes !== undefined && !(Number.isSafeInteger(options.maxResidentBytes) && options.maxResidentBytes > 0)) {
    throw new RangeError('maxResidentBytes must be a positive integer');
  }
  return new FileCheckpointStore(options);
}

/** The published manifest, as the base sees it. */
interface Published extends PublishedCheckpoint {
  readonly manifest: Manifest;
}

class FileCheckpointStore extends CheckpointStoreBase<Published> implements MmapCheckpointStore {
  readonly supports: CheckpointStoreCapabilities = { durable: true };
  readonly location: string;
  readonly #dir: string;
  readonly #fs: FileSystem;
  readonly #real: boolean;
  readonly #options: MmapCheckpointStoreOptions;
  readonly #crc32c: Crc32c;
  #source: SegmentSource | undefined;
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

  constructor(options: MmapCheckpointStoreOptions) {
    super();
    this.#options = options;
    this.#dir = options.dir;
    // Errors about the store name its commit point (a missing checkpoint is a missing manifest).
    this.location = joinPath(options.dir, MANIFEST_NAME);
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

  override open(config: CheckpointConfig): Promise<FileStoredCheckpoint | undefined> {
    return super.open(config) as Promise<FileStoredCheckpoint | undefined>;
  }

  override latest(): Promise<FileStoredCheckpoint | undefined> {
    return super.latest() as Promise<FileStoredCheckpoint | undefined>;
  }

  protected async _open(): Promise<Published | undefined> {
    this.#life = { closed: false };
    if (this.#options.readOnly === true) {
      this.#source = this.#makeSource();
      const manifest = await this.#readManifest();
      this.#base = manifest;
      this.#baseKnown = true;
      return manifest === undefined ? undefined : this.#published(manifest);
    }
    if (this.#real) assertLockingSupported(this.#dir); // before anything is created
    await this.#mkdir();
    this.#lock = this.#takeLock();
    this.#source = this.#makeSource();
    const manifest = await this.#readManifest();
    if (manifest === undefined) await this.#removeLeftovers(undefined);
    this.#base = manifest;
    this.#baseKnown = true;
    return manifest === undefined ? undefined : this.#published(manifest);
  }

  protected async _load(published: Published): Promise<TreeView> {
    const view = await this.#viewOf(published.manifest, this.#options.verify === true);
    if (this.#options.readOnly !== true) await this.#removeLeftovers(published.manifest);
    return view;
  }

  protected async _write(view: TreeView, seq: number, tree: TreeIdentity): Promise<void> {
    if (this.#options.readOnly === true) throw new TypeError('this checkpoint store was opened read-only');
    const base = this.#baseKnown ? this.#base : await this.#reloadBase();
    const chunkNodes = chunkNodesFor(tree.n);
    const maxBytes = Math.min(this.#options.maxSegmentBytes ?? MAX_SEGMENT_BYTES, MAX_SEGMENT_BYTES);
    let published: Manifest;
    try {
      published = await writeCheckpoint(
        {
          fs: this.#fs,
          dir: this.#dir,
          crc32c: this.#crc32c,
          hasherId: tree.hasherId,
          treeId: tree.treeId,
          chunkNodes,
          maxSegmentChunks: chunksPerSegment(maxBytes, chunkBytesFor(tree.n)),
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
  }

  protected async _published(): Promise<{ seq: number; size: number } | undefined> {
    return this.#baseKnown ? this.#base : this.#reloadBase();
  }

  protected override async _latest(): Promise<FileStoredCheckpoint | undefined> {
    // A follower's store sees what the writer published since.
    const manifest = this.#baseKnown && this.#options.readOnly !== true ? this.#base : await this.#reloadBase();
    if (manifest === undefined) return undefined;
    return { seq: manifest.seq, view: await this.#viewOf(manifest, false), location: this.location };
  }

  protected async _close(): Promise<void> {
    this.#releaseAll();
  }

  #published(m: Manifest): Published {
    return { tree: { n: m.n, maxDepth: m.maxDepth, hasherId: m.hasherId, treeId: m.treeId }, seq: m.seq, size: m.size, location: this.location, manifest: m };
  }

  /** Unmaps everything (views then throw `CLOSED`) and drops the lock. */
  #releaseAll(): void {
    this.#life.closed = true;
    for (const seg of this.#loaded.values()) seg.release();
    this.#loaded.clear();
    this.#lock?.release();
    this.#lock = undefined;
  }

  /**
   * Creates the directory (and missing parents) and makes their names durable: a directory entry
   * lost in a power loss would lose every checkpoint in it, silently, after the WAL was truncated.
   */
  async #mkdir(): Promise<void> {
    try {
      await mkdirDurable(this.#fs, this.#dir);
    } catch (err) {
      throw ioError(err, this.#dir, 'creating the directory');
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
    const path = this.location;
    let bytes: Uint8Array;
    try {
      const size = (await this.#fs.stat(path))?.size;
      if (size === undefined) return undefined;
      // Checked before reading: a manifest grown by damage (zeros appended) is never read whole.
      if (size > MAX_MANIFEST_BYTES) throw corruption(path, `${size} bytes is more than a manifest can hold`, MAX_MANIFEST_BYTES);
      bytes = await readWholeFile(this.#fs, path);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw ioError(err, path, 'reading');
    }
    return decodeManifest(bytes, path, this.#crc32c);
  }

  async #reloadBase(): Promise<Manifest | undefined> {
    const manifest = await this.#readManifest();
    if (manifest !== undefined) {
      const tree = this.tree;
      if (manifest.treeId !== tree.treeId || manifest.n !== tree.n || manifest.maxDepth !== tree.maxDepth || manifest.hasherId !== tree.hasherId) {
        throw new RotorTreeError('CORRUPTION', `${this.location} changed behind the store: it now belongs to another tree`, { file: this.location });
      }
    }
    this.#base = manifest;
    this.#baseKnown = true;
    return manifest;
  }

  /** Checks (sizes and trailers; every chunk when `verify`) and loads the segments `m` names, and builds its view. */
  async #viewOf(m: Manifest, verify: boolean): Promise<CheckpointView> {
    const source = this.#source!;
    const owner = { treeId: m.treeId, chunkBytes: m.chunkNodes * NODE_SIZE };
    const missing = m.segments.filter((s) => !this.#loaded.has(s.id));
    const settled = await Promise.allSettled(missing.map((s) => source.load(s, owner, verify)));
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
      const loaded = this.#loaded.get(seg.id)!;
      if (verify) loaded.checks.checkAll();
      const bytes = loaded.bytes;
      let off = 0;
      for (const e of seg.extents) {
        const len = e.chunkCount * chunkBytes;
        // Chunk c of the level is chunk `base + c - firstChunk` of the segment.
        const base = off / chunkBytes;
        const first = e.firstChunk;
        const checks = loaded.checks;
        runs[e.level]!.push({ firstChunk: first, bytes: bytes.subarray(off, off + len), check: (c) => checks.check(base + c - first) });
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
   * manifest names, so nothing a view maps is removed or truncated; never touches what is not a
   * file (a stray directory with a segment's name is left alone, as any name this store does not own).
   */
  async #removeLeftovers(published: Manifest | undefined): Promise<void> {
    let names: string[];
    try {
      names = await this.#fs.readdir(this.#dir);
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
        if ((await this.#fs.stat(path))?.isFile !== true) continue;
        await this.#fs.unlink(path);
      } catch (err) {
        if (!isNotFound(err)) throw ioError(err, path, 'removing leftover');
      }
    }
  }
}

