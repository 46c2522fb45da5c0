/**
 * The S3 checkpoint store on core's {@link CheckpointStoreBase}: write-once segment and manifest
 * objects (write/), one fenced publish through a {@link CheckpointPointer}, views that download the
 * upper levels and read the lower ones on demand (read/).
 *
 * A write, in order: (1) the new segments and (2) the manifest, all create-only and carrying this
 * writer's epoch; (3) the publish: the pointer names the new manifest; (4) garbage collection, in
 * the background (the next write and `close` wait for it). A crash or failure before (3) leaves the
 * old checkpoint published (what was written is garbage); after (3), the new one. A publish whose
 * outcome is unknown (a timeout) is resolved by reading the pointer back before the next write.
 * @module
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { CheckpointConfig, ChunkRun, CheckpointStore, CheckpointStoreCapabilities, StoredCheckpoint, TreeView } from '@rotortree/core';
import { chunkNodesFor, NODE_SIZE } from '@rotortree/core';
import { CheckpointStoreBase } from '@rotortree/core/backend';
import type { PublishedCheckpoint, TreeIdentity } from '@rotortree/core/backend';
import { corruption } from './errors.js';
import type { TreeKeys } from './format/keys.js';
import { treeKeys } from './format/keys.js';
import type { Manifest } from './format/manifest.js';
import { decodeManifest } from './format/manifest.js';
import type { ResolvedOptions, S3CheckpointStoreOptions } from './options.js';
import { resolveOptions } from './options.js';
import { bucketPointer } from './pointer/bucket-pointer.js';
import type { CheckpointPointer, PointerTarget } from './pointer/pointer.js';
import { sameTarget } from './pointer/pointer.js';
import { PageCache } from './read/page-cache.js';
import type { SegmentReader } from './read/segments.js';
import type { LoadedSegment } from './read/segments.js';
import { RemoteSegment, loadSegment, segmentPlace } from './read/segments.js';
import type { LevelSource, ViewLifetime } from './read/view.js';
import { S3CheckpointView } from './read/view.js';
import { warmLazyLevels } from './read/warm-up.js';
import type { ObjectStore } from './s3/objects.js';
import { buildClient, sdkObjectStore } from './s3/sdk-objects.js';
import { collectGarbage } from './write/collect-garbage.js';
import type { SourceView } from './write/copy-nodes.js';
import { runLimited } from './write/limit.js';
import { writeCheckpointObjects } from './write/write-checkpoint.js';

/** A checkpoint read back by the S3 store. */
export interface S3StoredCheckpoint extends StoredCheckpoint {
  readonly view: S3CheckpointView;
}

/** The S3 checkpoint store. */
export interface S3CheckpointStore extends CheckpointStore {
  /** Opens the store: claims the pointer (writer) and loads the published checkpoint. See core's `CheckpointStore.open`. */
  open(config: CheckpointConfig): Promise<S3StoredCheckpoint | undefined>;
  /** A read-only store: the checkpoint published now (a follower reloads it). A writer: `undefined` (no tiering on S3). */
  latest(): Promise<S3StoredCheckpoint | undefined>;
  /** The epoch this writer claimed (after `open`; 0 for a reader). */
  readonly epoch: number;
  /** Waits for the garbage collection a write started (its failure is swallowed: the next one retries). */
  settled(): Promise<void>;
  /** The page cache of lazily read levels: bytes held, pages and bytes fetched since open. */
  cacheStats(): { readonly bytes: number; readonly fetches: number; readonly fetchedBytes: number };
}

/** Creates the S3 checkpoint store; nothing is requested before `open`. */
export function s3CheckpointStore(options: S3CheckpointStoreOptions): S3CheckpointStore {
  const resolved = resolveOptions(options);
  const policy = { timeoutMs: resolved.requestTimeoutMs, retries: resolved.retries };
  const client: S3Client = options.client ?? buildClient(options, policy);
  const objects = sdkObjectStore(client, resolved.bucket, policy);
  return new S3Store(resolved, objects, options.pointer ?? bucketPointer(objects, resolved.prefix), options.client === undefined ? client : undefined);
}

/** For tests: the store over any {@link ObjectStore}. @internal */
export function s3CheckpointStoreOver(objects: ObjectStore, options: Omit<S3CheckpointStoreOptions, 'client' | 'endpoint'>): S3CheckpointStore {
  const resolved = resolveOptions({ ...options, endpoint: 'unused' });
  return new S3Store(resolved, objects, options.pointer ?? bucketPointer(objects, resolved.prefix), undefined);
}

interface Published extends PublishedCheckpoint {
  readonly manifest: Manifest;
  readonly target: PointerTarget;
}

class S3Store extends CheckpointStoreBase<Published> implements S3CheckpointStore {
  readonly supports: CheckpointStoreCapabilities = { durable: true };
  readonly location: string;
  readonly #options: ResolvedOptions;
  readonly #objects: ObjectStore;
  readonly #pointer: CheckpointPointer;
  /** A client built here, destroyed at close. */
  readonly #ownClient: S3Client | undefined;
  readonly #life: ViewLifetime = { closed: false };
  readonly #cache: PageCache;
  #keys: TreeKeys | undefined;
  #epoch = 0;
  /** What is published, as far as this store knows; `known` false after a failed write. */
  #base: { target: PointerTarget; manifest: Manifest } | undefined;
  #baseKnown = false;
  /** Manifests kept by garbage collection: the published one and the one it replaced. */
  #keep: string[] = [];
  /** A full collection (listing) is due: at the first publish after open, and after a failed write. */
  #dirty = true;
  #collecting: Promise<void> = Promise.resolve();
  /** The checkpoint last loaded (open, or a reader's `latest`). */
  #latest: (S3StoredCheckpoint & { readonly target: PointerTarget }) | undefined;
  /** Segments downloaded (levels at or above pinAboveLevel) and segments read by pages, by key: reused by the next view. */
  readonly #loaded = new Map<string, Promise<LoadedSegment>>();
  readonly #remote = new Map<string, RemoteSegment>();

  constructor(options: ResolvedOptions, objects: ObjectStore, pointer: CheckpointPointer, ownClient: S3Client | undefined) {
    super();
    this.#options = options;
    this.#objects = objects;
    this.#pointer = pointer;
    this.#ownClient = ownClient;
    this.#cache = new PageCache(options.cacheBytes);
    this.location = `${objects.location}/${options.prefix}`;
  }

  get epoch(): number {
    return this.#epoch;
  }

  override open(config: CheckpointConfig): Promise<S3StoredCheckpoint | undefined> {
    return super.open(config) as Promise<S3StoredCheckpoint | undefined>;
  }

  override latest(): Promise<S3StoredCheckpoint | undefined> {
    return super.latest() as Promise<S3StoredCheckpoint | undefined>;
  }

  settled(): Promise<void> {
    return this.#collecting;
  }

  cacheStats(): { readonly bytes: number; readonly fetches: number; readonly fetchedBytes: number } {
    return { bytes: this.#cache.bytes, fetches: this.#cache.fetches, fetchedBytes: this.#cache.fetchedBytes };
  }

  protected async _open(tree: TreeIdentity): Promise<Published | undefined> {
    this.#keys = treeKeys(this.#options.prefix, tree.treeId);
    let target: PointerTarget | undefined;
    if (!this.#options.readOnly) {
      const claim = await this.#pointer.claim(tree);
      this.#epoch = claim.epoch;
      target = claim.current;
    } else {
      target = await this.#pointer.read(tree);
    }
    if (target === undefined) {
      this.#base = undefined;
      this.#baseKnown = true;
      return undefined;
    }
    const manifest = await this.#readManifest(target);
    this.#base = { target, manifest };
    this.#baseKnown = true;
    this.#keep = [target.manifestKey];
    return this.#published(target, manifest);
  }

  protected async _load(published: Published): Promise<TreeView> {
    const view = await this.#viewOf(published.manifest, published.location);
    this.#latest = { seq: published.seq, view, location: published.location, target: published.target };
    return view;
  }

  /**
   * A reader's: what the writer published now (the same view while nothing new was published; the
   * segments already downloaded are reused). A writer's: `undefined` (the engine's tiering would
   * download every level again after each checkpoint: not offered on S3, see the README).
   */
  protected override async _latest(): Promise<S3StoredCheckpoint | undefined> {
    if (!this.#options.readOnly) return undefined;
    const target = await this.#pointer.read(this.tree);
    if (target === undefined) return undefined;
    if (this.#latest !== undefined && sameTarget(target, this.#latest.target)) return this.#latest;
    const manifest = await this.#readManifest(target);
    const location = `${this.#objects.location}/${target.manifestKey}`;
    const view = await this.#viewOf(manifest, location);
    this.#latest = { seq: manifest.seq, view, location, target };
    return this.#latest;
  }

  /** The view of `m`: levels at or above `pinAboveLevel` downloaded (segments this store holds already are reused), the others read on demand. */
  async #viewOf(m: Manifest, location: string): Promise<S3CheckpointView> {
    const reader = this.#segmentReader(m);
    const levels: LevelSource[] = [];
    const pinnedRuns: ChunkRun[][] = [];
    const downloads: Array<() => Promise<void>> = [];
    const named = new Set<string>();
    const lazy: RemoteSegment[][] = [];
    for (let k = 0; k < m.levels.length; k++) {
      const segments = m.segments.filter((s) => s.level === k);
      if (k < this.#options.pinAboveLevel) {
        const remotes = segments.map((s) => {
          const key = segmentPlace(reader, s).key;
          named.add(key);
          let remote = this.#remote.get(key);
          if (remote === undefined) this.#remote.set(key, (remote = new RemoteSegment(reader, s)));
          return remote;
        });
        lazy.push(remotes);
        levels.push({ kind: 'lazy', segments: remotes });
        continue;
      }
      const runs: ChunkRun[] = [];
      pinnedRuns.push(runs);
      levels.push({ kind: 'pinned', runs });
      for (const s of segments) {
        const key = segmentPlace(reader, s).key;
        named.add(key);
        downloads.push(async () => {
          let loaded = this.#loaded.get(key);
          if (loaded === undefined) {
            loaded = loadSegment(reader, s);
            this.#loaded.set(key, loaded);
            loaded.catch(() => this.#loaded.delete(key));
          }
          const { chunks, checks } = await loaded;
          const cb = reader.chunkBytes;
          runs.push({ firstChunk: s.firstChunk, bytes: chunks, check: (c) => checks.check(c - s.firstChunk, chunks, (c - s.firstChunk) * cb) });
        });
      }
    }
    // The lazy levels' trailers (and last pages) travel with the pinned downloads, not before the first proof.
    warmLazyLevels(lazy, this.#cache, this.#options.fetchChunks);
    await runLimited(downloads, this.#options.concurrency, (download) => download());
    for (const runs of pinnedRuns) runs.sort((a, b) => a.firstChunk - b.firstChunk);
    // Only what this checkpoint names is kept for the next one (earlier views hold their own references).
    for (const map of [this.#loaded, this.#remote] as Map<string, unknown>[]) for (const key of map.keys()) if (!named.has(key)) map.delete(key);
    return new S3CheckpointView(m, location, levels, this.#cache, this.#options.fetchChunks, this.#life);
  }

  protected async _write(view: TreeView, seq: number, tree: TreeIdentity): Promise<void> {
    if (this.#options.readOnly) throw new TypeError('this checkpoint store was opened read-only');
    await this.#collecting;
    const base = this.#baseKnown ? this.#base : await this.#reloadBase(tree);
    // Already published (a write whose outcome was unknown, or nothing new): nothing to do.
    if (base !== undefined && base.manifest.seq === seq && base.manifest.size === view.size) return;
    const maxChunks = Math.max(1, Math.floor(this.#options.segmentBytes / (chunkNodesFor(tree.n) * NODE_SIZE + 4)));
    let next: { target: PointerTarget; manifest: Manifest };
    try {
      const written = await writeCheckpointObjects(
        {
          objects: this.#objects,
          keys: this.#keys!,
          tree,
          epoch: this.#epoch,
          chunkNodes: chunkNodesFor(tree.n),
          maxSegmentChunks: maxChunks,
          concurrency: this.#options.concurrency,
        },
        view as SourceView,
        seq,
        base?.manifest,
      );
      const target: PointerTarget = {
        manifestKey: written.key,
        seq,
        size: view.size,
        manifestBytes: written.bytes.length,
        manifestCrc: crcOf(written.bytes),
      };
      await this.#pointer.publish(target, base?.target);
      next = { target, manifest: written.manifest };
    } catch (err) {
      this.#baseKnown = false;
      this.#dirty = true;
      throw err;
    }
    this.#base = next;
    this.#baseKnown = true;
    const kept = [next.target.manifestKey, ...this.#keep];
    this.#keep = kept.slice(0, 2);
    if (this.#options.collectGarbage) this.#collecting = this.#collect(next.manifest, kept.slice(2));
  }

  protected async _published(): Promise<{ readonly seq: number; readonly size: number } | undefined> {
    const base = await this.#reloadBase(this.tree);
    return base === undefined ? undefined : { seq: base.manifest.seq, size: base.manifest.size };
  }

  protected async _close(): Promise<void> {
    await this.#collecting;
    this.#life.closed = true;
    this.#cache.clear();
    this.#loaded.clear();
    this.#remote.clear();
    this.#latest = undefined;
    await this.#pointer.close().catch(() => undefined);
    this.#ownClient?.destroy();
  }

  /** Re-reads what is published (after a write whose outcome is unknown). */
  async #reloadBase(tree: TreeIdentity): Promise<{ target: PointerTarget; manifest: Manifest } | undefined> {
    const target = await this.#pointer.read(tree);
    if (sameTarget(target, this.#base?.target)) {
      this.#baseKnown = true;
      return this.#base;
    }
    this.#base = target === undefined ? undefined : { target, manifest: await this.#readManifest(target) };
    this.#baseKnown = true;
    if (target !== undefined && this.#keep[0] !== target.manifestKey) this.#keep = [target.manifestKey, ...this.#keep].slice(0, 2);
    return this.#base;
  }

  /** The manifest `target` names, checked against it: `CORRUPTION` naming the key when missing, changed or not the one named. */
  async #readManifest(target: PointerTarget): Promise<Manifest> {
    const where = `${this.#objects.location}/${target.manifestKey}`;
    const got = await this.#objects.get(target.manifestKey);
    if (got === undefined) throw corruption(where, 'the manifest the pointer names is missing', 0);
    if (got.bytes.length !== target.manifestBytes || crcOf(got.bytes) !== target.manifestCrc) {
      throw corruption(where, `the manifest is not the one the pointer names (${got.bytes.length} bytes, ${target.manifestBytes} named)`, 0);
    }
    const manifest = decodeManifest(got.bytes, where);
    if (manifest.seq !== target.seq || manifest.size !== target.size) {
      throw corruption(where, `the manifest holds seq ${manifest.seq} size ${manifest.size}, the pointer names seq ${target.seq} size ${target.size}`, 24);
    }
    return manifest;
  }

  #published(target: PointerTarget, m: Manifest): Published {
    return {
      tree: { n: m.n, maxDepth: m.maxDepth, hasherId: m.hasherId, treeId: m.treeId },
      seq: m.seq,
      size: m.size,
      location: `${this.#objects.location}/${target.manifestKey}`,
      manifest: m,
      target,
    };
  }

  #segmentReader(m: Manifest): SegmentReader {
    return { objects: this.#objects, keys: this.#keys!, treeId: m.treeId, chunkBytes: m.chunkNodes * NODE_SIZE };
  }

  /** A full collection when due (see {@link #dirty}), else only the manifests no longer kept (no listing). */
  async #collect(published: Manifest, dropped: readonly string[]): Promise<void> {
    const scope = { objects: this.#objects, keys: this.#keys!, epoch: this.#epoch, concurrency: this.#options.concurrency };
    try {
      if (this.#dirty) {
        await collectGarbage(scope, published, new Set(this.#keep));
        this.#dirty = false;
      } else {
        await runLimited(dropped, scope.concurrency, (key) => this.#objects.delete(key));
      }
    } catch {
      // Left for the next collection: garbage is never read, only kept.
    }
  }
}

/** The CRC-32C a manifest or pointer ends with. */
function crcOf(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
}
