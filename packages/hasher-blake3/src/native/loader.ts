/**
 * Loads the native (N-API) batch BLAKE3 kernel built from `native/`: prebuilt in the package
 * (linux-x64, linux-arm64) or compiled at install, through `@rotortree/native`'s loader.
 *
 * The addon hashes many equal-length messages per call with SIMD across messages (SSE4.1: 4
 * lanes, AVX2: 8, AVX-512: 16), chosen at run time from what the CPU supports. Loading never
 * throws: a missing or broken addon gives `undefined`, and the caller falls back to another kernel.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { loadAddon as loadPackageAddon } from '@rotortree/native';
import type { NativeSimdLevel } from '../api.js';
import type { Blake3Kernel } from '../kernel.js';

export type { NativeSimdLevel } from '../api.js';

/** A native kernel; `simd` tells which SIMD level computes its hashes. */
export interface NativeBlake3Kernel extends Blake3Kernel {
  readonly backend: 'native';
  readonly simd: NativeSimdLevel;
  /**
   * The bound path kernel (`Hasher.bindPath`): keeps the two buffers' memory for its lifetime (they
   * must not be transferred; a detached one makes each call throw) and caches, per level, the
   * chaining value of the group's leading sibling-only blocks, checked against the bytes on every use.
   * Throws `TypeError`/`RangeError` for bad arguments; `run(levels)` throws `RangeError` when `levels`
   * exceeds `maxLevels` or a digit read is outside 0..width-1, before writing anything.
   */
  bindPath(groups: Uint8Array, width: number, digits: Int32Array, maxLevels: number): (levels: number) => void;
}

/** Options of {@link loadNativeKernel}. */
export interface NativeKernelOptions {
  /**
   * Use this SIMD level instead of the widest the CPU supports (all give identical bytes).
   * A level this CPU or build does not support gives `undefined`.
   */
  readonly simd?: NativeSimdLevel;
  /**
   * Report the kernel as unavailable. Defaults to `true` when the environment variable
   * `ROTORTREE_DISABLE_NATIVE` is `"1"` at the time of the call.
   */
  readonly disabled?: boolean;
}

/** What the compiled addon exports (native/src/binding.c). */
interface NativeAddon {
  readonly levels: readonly NativeSimdLevel[];
  readonly best: NativeSimdLevel;
  createKernel(level: NativeSimdLevel): NativeBlake3Kernel;
}

/** This package's folder (the same from src/native/ and dist/native/). */
const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));

let addon: NativeAddon | null | undefined;

function loadAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  const complete = (e: Record<string, unknown>): boolean => typeof e['createKernel'] === 'function' && Array.isArray(e['levels']) && typeof e['best'] === 'string';
  addon = loadPackageAddon<NativeAddon>(PACKAGE_DIR, 'rotortree_blake3', complete).addon ?? null;
  return addon;
}

function isDisabled(options: NativeKernelOptions): boolean {
  return options.disabled ?? process.env['ROTORTREE_DISABLE_NATIVE'] === '1';
}

/**
 * The native kernel at the widest SIMD level this CPU supports (or at `options.simd`), or
 * `undefined` when the addon is missing, fails to load, is disabled, or lacks the requested level.
 */
export function loadNativeKernel(options: NativeKernelOptions = {}): NativeBlake3Kernel | undefined {
  if (isDisabled(options)) return undefined;
  const native = loadAddon();
  if (native === null) return undefined;
  const level = options.simd ?? native.best;
  if (!native.levels.includes(level)) return undefined;
  return native.createKernel(level);
}

/** The SIMD levels the native kernel can use on this machine, narrowest first; empty when unavailable. */
export function nativeSimdLevels(options: Pick<NativeKernelOptions, 'disabled'> = {}): readonly NativeSimdLevel[] {
  if (isDisabled(options)) return [];
  return loadAddon()?.levels ?? [];
}
