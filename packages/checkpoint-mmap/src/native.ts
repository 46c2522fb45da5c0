/**
 * Loads the N-API addon built from `native/` at install time (read-only mmap windows, flock,
 * hardware CRC-32C). Loading never throws: a missing, broken or disabled addon gives `undefined`
 * and the store reads segments without mmap.
 * @module
 */
import { createRequire } from 'node:module';

/** What the compiled addon exports (native/src/mmap.c). */
export interface MmapAddon {
  /**
   * Maps `length` bytes (1 .. {@link MmapAddon.maxWindow}) of the open file `fd` from `offset`
   * (any offset; above 4 GiB too) read-only and shared. Throws if the file is shorter than
   * `offset + length` (a mapped page past the end of file would be SIGBUS). The mapping stays
   * valid after `fd` is closed. Never write through it (SIGSEGV), never transfer it (postMessage or
   * structuredClone with a transfer list: a fatal error). V8 does not count it as external memory,
   * so mapping gigabytes does not make the garbage collector run.
   */
  mapReadOnly(fd: number, offset: number, length: number): ArrayBuffer;
  /**
   * Opens, checks and maps a whole file in one call (open + fstat + mmap + close, no thread-pool hop):
   * the mapping when the file has exactly `length` bytes (1 .. {@link MmapAddon.maxWindow}), else the
   * file's size without mapping it. A failed open throws with the system `code` (e.g. `ENOENT`).
   */
  mapFile(path: string, length: number): ArrayBuffer | number;
  /** munmap + detach: later views of the buffer are empty. False if it was unmapped already. */
  unmap(buffer: ArrayBuffer): boolean;
  /**
   * madvise(MADV_DONTNEED) over the mapping: its pages leave the process's resident set and stay in
   * the page cache (a later read maps them again, same bytes). False if it was unmapped already.
   */
  release(buffer: ArrayBuffer): boolean;
  /** flock(LOCK_EX | LOCK_NB) on `fd`: true when taken, false when another open file holds it. */
  lockExclusive(fd: number): boolean;
  /** CRC-32C of all of `bytes`, continuing from `crc` (0 to start); same results as core's `crc32c`. */
  crc32c(bytes: Uint8Array, crc: number): number;
  /** The system page size. */
  readonly pageSize: number;
  /** Largest window {@link MmapAddon.mapReadOnly} accepts (1 GiB). */
  readonly maxWindow: number;
  /** True when CRC-32C runs on the SSE4.2 instruction. */
  readonly crcHardware: boolean;
}

/** Options of {@link loadMmapAddon}. */
export interface LoadMmapAddonOptions {
  /** Report the addon as unavailable. Defaults to `ROTORTREE_DISABLE_MMAP === "1"` at the time of the call. */
  readonly disabled?: boolean;
}

/** Same relative path from src/ and dist/. */
const ADDON_PATH = '../native/build/Release/rotortree_mmap.node';

let cached: MmapAddon | null | undefined;

function loadOnce(): MmapAddon | null {
  if (cached !== undefined) return cached;
  try {
    const loaded = createRequire(import.meta.url)(ADDON_PATH) as Partial<MmapAddon>;
    cached =
      typeof loaded.mapReadOnly === 'function' &&
      typeof loaded.mapFile === 'function' &&
      typeof loaded.unmap === 'function' &&
      typeof loaded.release === 'function' &&
      typeof loaded.lockExclusive === 'function' &&
      typeof loaded.crc32c === 'function'
        ? (loaded as MmapAddon)
        : null;
  } catch {
    cached = null;
  }
  return cached;
}

/** True when `ROTORTREE_DISABLE_MMAP=1` or `options.disabled` asks for the fallback. */
export function mmapDisabled(options: LoadMmapAddonOptions = {}): boolean {
  return options.disabled ?? process.env['ROTORTREE_DISABLE_MMAP'] === '1';
}

/** The addon, or `undefined` when it is missing, fails to load, or is disabled. */
export function loadMmapAddon(options: LoadMmapAddonOptions = {}): MmapAddon | undefined {
  if (mmapDisabled(options)) return undefined;
  return loadOnce() ?? undefined;
}
