/**
 * The mmap primitives of `@rotortree/native` (read-only windows over segments, page release),
 * prebuilt in that package or compiled at install. Loading never throws: a missing, broken or
 * disabled addon gives `undefined` and the store reads segments without mmap.
 * @module
 */
import type { FileMapper } from '@rotortree/native';
import { fileMapper } from '@rotortree/native';

/**
 * What the store maps segments with: `@rotortree/native`'s {@link FileMapper} (`mapFile`,
 * `mapReadOnly`, `unmap`, `release`, `pageSize`, `maxWindow`, `untracked`).
 */
export type MmapAddon = FileMapper;

/** Options of {@link loadMmapAddon}. */
export interface LoadMmapAddonOptions {
  /** Report the addon as unavailable. Defaults to `ROTORTREE_DISABLE_MMAP === "1"` at the time of the call. */
  readonly disabled?: boolean;
}

/** True when `ROTORTREE_DISABLE_MMAP=1` or `options.disabled` asks for the fallback. */
export function mmapDisabled(options: LoadMmapAddonOptions = {}): boolean {
  return options.disabled ?? process.env['ROTORTREE_DISABLE_MMAP'] === '1';
}

/**
 * The mapper, or `undefined` when the addon is missing, fails to load, or is disabled
 * (`ROTORTREE_DISABLE_MMAP=1`, `ROTORTREE_DISABLE_NATIVE=1`, or `options.disabled`).
 */
export function loadMmapAddon(options: LoadMmapAddonOptions = {}): MmapAddon | undefined {
  if (mmapDisabled(options)) return undefined;
  return fileMapper();
}
