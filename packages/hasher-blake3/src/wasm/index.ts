/**
 * The WASM SIMD128 BLAKE3 backend.
 * @module
 */
export { createWasmKernel, loadWasmKernel } from './wasm-kernel.js';
export { readBlake3Wasm } from './wasm-file.js';
