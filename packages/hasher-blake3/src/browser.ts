/**
 * BLAKE3 hashers for rotortree, browser entry (the `browser` export condition): the same API as the
 * Node entry without the native addon, so nothing here imports a Node module. `blake3()` gives the
 * WebAssembly SIMD kernel (or the `@noble/hashes` reference where WebAssembly SIMD is missing).
 * @module
 */
import type { Hasher } from '@rotortree/core';
import { availableBackendsWith, blake3With } from './api.js';
import type { Blake3Options } from './api.js';

export type { Blake3Kernel } from './kernel.js';
export { referenceKernel } from './reference.js';
export { loadWasmKernel } from './wasm/index.js';
export { BLAKE3_ID, BLAKE3_LEGACY_ID, hasherFromKernel } from './api.js';
export type { Blake3Backend, Blake3Options, NativeSimdLevel } from './api.js';

const noNative = (): undefined => undefined;

/** The backends that load in this runtime, fastest first (`"wasm"`, `"js"`). */
export function availableBackends(): ('native' | 'wasm' | 'js')[] {
  return availableBackendsWith(noNative);
}

/** A BLAKE3 `Hasher`: WASM SIMD where available, else JS; `backend: 'native'` throws a `RangeError` here. */
export function blake3(options: Blake3Options = {}): Hasher {
  return blake3With(noNative, options);
}
