/**
 * The addon of this package (native/src/binding.c), loaded once, with its ABI-specific companion
 * (untracked.cc) adopted when one fits this Node.
 * @module
 */
import { fileURLToPath } from 'node:url';
import type { AddonLoad } from './loader.js';
import { loadAddon, nativeDisabled } from './loader.js';

/** What rotortree_native exports. */
export interface NativeAddon {
  crc32c(bytes: Uint8Array, start: number, end: number, crc: number): number;
  crc32cTable(bytes: Uint8Array, start: number, end: number, crc: number): number;
  readonly crcKernel: string;
  readonly crcHardware: boolean;
  mapReadOnly(fd: number, offset: number, length: number): ArrayBuffer;
  mapFile(path: string, length: number): ArrayBuffer | number;
  unmap(buffer: ArrayBuffer): boolean;
  release(buffer: ArrayBuffer): boolean;
  useUntracked(table: unknown): boolean;
  untrackedInUse(): boolean;
  readonly pageSize: number;
  readonly maxWindow: number;
  lockExclusive(fd: number): boolean;
  startWriteback?(fd: number): Promise<void>;
}

interface UntrackedAddon {
  readonly abi: number;
  readonly table: unknown;
}

/** This package's folder (the same from src/ and dist/). */
export const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));

const FUNCTIONS = ['crc32c', 'crc32cTable', 'mapReadOnly', 'mapFile', 'unmap', 'release', 'useUntracked', 'untrackedInUse', 'lockExclusive'];

let loaded: AddonLoad<NativeAddon> | undefined;

/** The load of rotortree_native (attempted once), whether or not it is disabled. */
export function nativeAddonLoad(): AddonLoad<NativeAddon> {
  if (loaded !== undefined) return loaded;
  loaded = loadAddon<NativeAddon>(PACKAGE_DIR, 'rotortree_native', (e) => FUNCTIONS.every((f) => typeof e[f] === 'function'));
  const companion = loaded.addon === undefined ? undefined : loadAddon<UntrackedAddon>(PACKAGE_DIR, 'rotortree_untracked', (e) => e['table'] !== undefined, { abi: true });
  if (companion?.addon !== undefined) loaded.addon!.useUntracked(companion.addon.table);
  return loaded;
}

/** The addon, or `undefined` when it does not load or `ROTORTREE_DISABLE_NATIVE=1`. */
export function nativeAddon(): NativeAddon | undefined {
  return nativeDisabled() ? undefined : nativeAddonLoad().addon;
}

/** Why the addon is unavailable (for an `UNSUPPORTED` message), or `undefined` when it loads. */
export function nativeAddonProblem(): string | undefined {
  if (nativeDisabled()) return 'ROTORTREE_DISABLE_NATIVE=1';
  const load = nativeAddonLoad();
  return load.addon !== undefined ? undefined : `the addon rotortree_native of @rotortree/native did not load (${load.failures.join('; ')})`;
}
