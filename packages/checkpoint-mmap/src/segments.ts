/**
 * Getting the bytes of a published segment: mapped read-only (the addon), or read into memory
 * through the {@link FileSystem}. Both check the file's size against the manifest BEFORE mapping
 * (a short mapped file would turn reads into SIGBUS), then its trailer (see segment-format.ts);
 * its chunks are checked when first read, or all at once when asked.
 * @module
 */
import type { FileSystem } from '@rotortree/core/fs';
import { joinPath } from '@rotortree/core/fs';
import type { Crc32c } from './checksum.js';
import { corruption, ioError, isNotFound } from './errors.js';
import { segmentName } from './layout.js';
import type { SegmentEntry } from './manifest.js';
import type { MmapAddon } from './native.js';
import { SegmentChecks } from './segment-format.js';

/** The bytes of one segment, held until {@link LoadedSegment.release}. */
export interface LoadedSegment {
  readonly bytes: Uint8Array;
  /** Its chunks' checksums: call `check(i)` before serving chunk `i`. */
  readonly checks: SegmentChecks;
  /** Unmaps (mapped) or drops the bytes; views of them become empty. */
  release(): void;
  /** Drops the pages it keeps resident; the bytes stay readable (mapped: madvise DONTNEED; in memory: nothing). */
  dropResident(): void;
}

/** Where segment bytes come from. */
export interface SegmentSource {
  /** True when segments are memory-mapped. */
  readonly mapped: boolean;
  /**
   * Checks and loads the segment `entry` names (its trailer; with `verify`, every chunk). Throws
   * `CORRUPTION` (missing, wrong size, bad trailer, another tree's, a bad chunk) or `IO`.
   */
  load(entry: SegmentEntry, expect: SegmentOwner, verify: boolean): Promise<LoadedSegment>;
}

/** Whose segments these are, and their chunk size. */
export interface SegmentOwner {
  readonly treeId: string;
  readonly chunkBytes: number;
}

/** The checks of `bytes` as segment `entry` (throws `CORRUPTION`); all chunks with `verify`. */
function checksOf(path: string, bytes: Uint8Array, entry: SegmentEntry, owner: SegmentOwner, crc32c: Crc32c, verify: boolean): SegmentChecks {
  let chunks = 0;
  for (const e of entry.extents) chunks += e.chunkCount;
  const checks = new SegmentChecks(path, bytes, { id: entry.id, chunks, chunkBytes: owner.chunkBytes, trailerCrc: entry.trailerCrc, treeId: owner.treeId }, crc32c);
  if (verify) checks.checkAll();
  return checks;
}

function sizeMismatch(path: string, actual: number, expected: number): Error {
  return corruption(path, `segment has ${actual} bytes, the manifest names ${expected}`, Math.min(actual, expected));
}

/** Maps segments read-only through the addon (real files only). */
export class MappedSegmentSource implements SegmentSource {
  readonly mapped = true;

  constructor(
    private readonly dir: string,
    private readonly addon: MmapAddon,
    private readonly crc32c: Crc32c,
  ) {}

  async load(entry: SegmentEntry, owner: SegmentOwner, verify: boolean): Promise<LoadedSegment> {
    const path = joinPath(this.dir, segmentName(entry.id));
    let mapped: ArrayBuffer | number;
    try {
      // One native call: the size is checked before anything is mapped.
      mapped = this.addon.mapFile(path, entry.byteLength);
    } catch (err) {
      if (isNotFound(err)) throw corruption(path, 'segment file named by the manifest is missing', 0);
      throw ioError(err, path, 'mapping');
    }
    if (typeof mapped === 'number') throw sizeMismatch(path, mapped, entry.byteLength);
    const buffer = mapped;
    const bytes = new Uint8Array(buffer);
    const release = (): void => void this.addon.unmap(buffer);
    let checks: SegmentChecks;
    try {
      checks = checksOf(path, bytes, entry, owner, this.crc32c, verify);
    } catch (err) {
      release();
      throw err;
    }
    return { bytes, checks, release, dropResident: () => void this.addon.release(buffer) };
  }
}

/** Reads whole segments into memory through a {@link FileSystem} (the fallback, and the crash-test path). */
export class ReadSegmentSource implements SegmentSource {
  readonly mapped = false;

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly crc32c: Crc32c,
  ) {}

  async load(entry: SegmentEntry, owner: SegmentOwner, verify: boolean): Promise<LoadedSegment> {
    const path = joinPath(this.dir, segmentName(entry.id));
    const fh = await this.#open(path);
    let bytes: Uint8Array;
    try {
      const size = await fh.size();
      if (size !== entry.byteLength) throw sizeMismatch(path, size, entry.byteLength);
      bytes = new Uint8Array(size);
      const got = await fh.read(bytes, 0, size, 0);
      if (got !== size) throw sizeMismatch(path, got, entry.byteLength);
    } catch (err) {
      throw ioError(err, path, 'reading');
    } finally {
      await fh.close().catch(() => undefined);
    }
    const checks = checksOf(path, bytes, entry, owner, this.crc32c, verify);
    return { bytes, checks, release: () => undefined, dropResident: () => undefined };
  }

  async #open(path: string): ReturnType<FileSystem['open']> {
    try {
      return await this.fs.open(path, 'r');
    } catch (err) {
      if (isNotFound(err)) throw corruption(path, 'segment file named by the manifest is missing', 0);
      throw ioError(err, path, 'opening');
    }
  }
}
