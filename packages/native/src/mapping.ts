/**
 * Read-only memory maps of write-once files (native/src/mapping.c), for checkpoint segments.
 * @module
 */
import { nativeAddon } from './addon.js';

/** Mapping files read-only, as ArrayBuffers. */
export interface FileMapper {
  /**
   * Maps `length` bytes (1 .. {@link FileMapper.maxWindow}) of the open file `fd` from `offset`
   * (any offset; above 4 GiB too) read-only and shared. Throws if the file is shorter than
   * `offset + length` (a mapped page past the end of file would be SIGBUS). The mapping stays
   * valid after `fd` is closed. Never write through it (SIGSEGV), never transfer it (postMessage or
   * structuredClone with a transfer list: a fatal error where the buffer is untracked).
   */
  mapReadOnly(fd: number, offset: number, length: number): ArrayBuffer;
  /**
   * Opens, checks and maps a whole file in one call (open + statx + mmap + close, no thread-pool hop):
   * the mapping when the file has exactly `length` bytes (1 .. {@link FileMapper.maxWindow}), else
   * the file's size without mapping it. A failed open throws with the system `code` (e.g. `ENOENT`).
   */
  mapFile(path: string, length: number): ArrayBuffer | number;
  /** munmap + detach: later views of the buffer are empty. False if it was unmapped already. */
  unmap(buffer: ArrayBuffer): boolean;
  /**
   * madvise(MADV_DONTNEED) over the mapping: its pages leave the process's resident set and stay in
   * the page cache (a later read maps them again, same bytes). False if it was unmapped already.
   */
  release(buffer: ArrayBuffer): boolean;
  /** The system page size. */
  readonly pageSize: number;
  /** Largest window {@link FileMapper.mapReadOnly} accepts (1 GiB). */
  readonly maxWindow: number;
  /**
   * True when mappings are not counted as V8 external memory (the companion addon built for this
   * Node's ABI loaded), so that mapping gigabytes does not make the garbage collector run; false
   * when they are N-API external buffers (same bytes, more collections).
   */
  readonly untracked: boolean;
}

let mapper: FileMapper | undefined;

/** The file mapper (one object per process), or `undefined` when the addon does not load or `ROTORTREE_DISABLE_NATIVE=1`. */
export function fileMapper(): FileMapper | undefined {
  const addon = nativeAddon();
  if (addon === undefined) return undefined;
  return (mapper ??= {
    mapReadOnly: addon.mapReadOnly,
    mapFile: addon.mapFile,
    unmap: addon.unmap,
    release: addon.release,
    pageSize: addon.pageSize,
    maxWindow: addon.maxWindow,
    untracked: addon.untrackedInUse(),
  });
}
