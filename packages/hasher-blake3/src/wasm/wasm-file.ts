/**
 * The committed BLAKE3 WASM binary, embedded as base64 by `wasm/build.mjs` (no file system needed:
 * the kernel loads the same way in Node and in browsers).
 * @module
 */
import { BLAKE3_WASM_BASE64 } from './blake3-wasm-base64.js';

/** The bytes of `wasm/blake3.wasm`. */
export function readBlake3Wasm(): Uint8Array {
  const binary = (globalThis as unknown as { atob(data: string): string }).atob(BLAKE3_WASM_BASE64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
