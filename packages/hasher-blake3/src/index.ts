/**
 * BLAKE3 hashers for rotortree (Node entry; bundlers for browsers get `browser.ts`, without the
 * native addon).
 *
 * `blake3()` gives the hasher the Rust crate `rotortree` 0.19 uses: parent = BLAKE3(c_0 || ... || c_{k-1}),
 * no domain separation, so the same leaves give the same root in both. `blake3({ legacy: true })`
 * gives rotortree 0.12-0.15's rule, parent = BLAKE3(0x01 || k || children).
 * @module
 */
import type { Hasher } from '@rotortree/core';
import { availableBackendsWith, blake3With } from './api.js';
import type { Blake3Options } from './api.js';
import { loadNativeKernel } from './native/loader.js';

export type { Blake3Kernel } from './kernel.js';
export { referenceKernel } from './reference.js';
export { loadNativeKernel, nativeSimdLevels } from './native/loader.js';
export type { NativeBlake3Kernel, NativeKernelOptions } from './native/loader.js';
export { loadWasmKernel } from './wasm/index.js';
export { BLAKE3_ID, BLAKE3_LEGACY_ID, hasherFromKernel } from './api.js';
export type { Blake3Backend, Blake3Options, NativeSimdLevel } from './api.js';

/**
 * The backends that load here, fastest first: `"native"` (N-API addon built at install; SSE4.1/AVX2/
 * AVX-512 chosen at run time), `"wasm"` (WebAssembly SIMD), `"js"` (the `@noble/hashes` reference).
 */
export function availableBackends(): ('native' | 'wasm' | 'js')[] {
  return availableBackendsWith(loadNativeKernel);
}

/**
 * A BLAKE3 `Hasher`. With no options: the fastest backend that loads here (native, else WASM, else
 * JS); which one is in `hasher.backend`. A forced backend that cannot load throws a `RangeError`.
 * Every backend gives identical bytes.
 */
export function blake3(options: Blake3Options = {}): Hasher {
  return blake3With(loadNativeKernel, options);
}
