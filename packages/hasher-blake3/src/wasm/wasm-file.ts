/**
 * Locates and reads the committed BLAKE3 WASM binary (`wasm/blake3.wasm` at the package root).
 * @module
 */
import { readFileSync } from 'node:fs';

/**
 * URL of `blake3.wasm`. The same relative path works from `src/wasm/*.ts` (tests) and from
 * `dist/wasm/*.js` (published), both two levels below the package root.
 */
export const BLAKE3_WASM_URL: URL = new URL('../../wasm/blake3.wasm', import.meta.url);

/** The bytes of the committed `blake3.wasm`. */
export function readBlake3Wasm(): Uint8Array {
  return readFileSync(BLAKE3_WASM_URL);
}
