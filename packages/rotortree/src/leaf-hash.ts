/**
 * BLAKE3 of arbitrary bytes, for turning data into 32-byte leaves (the tree stores leaves as given).
 * @module
 */
import type { Blake3Kernel } from '@rotortree/hasher-blake3';
import { loadNativeKernel, loadWasmKernel, referenceKernel } from '@rotortree/hasher-blake3';

/** Hashes `data` into a 32-byte leaf: into `out[outOffset..+32]` when given, else a new array. */
export type LeafHasher = (data: Uint8Array, out?: Uint8Array, outOffset?: number) => Uint8Array;

function fastestKernel(): Blake3Kernel {
  const native = loadNativeKernel();
  if (native !== undefined) return native;
  try {
    return loadWasmKernel();
  } catch {
    return referenceKernel; // no WebAssembly SIMD here
  }
}

/**
 * A function computing the plain BLAKE3-256 digest of a byte string (no key, no domain
 * separation), on the fastest backend that loads. `leafHasher().backend` tells which.
 */
export function leafHasher(): LeafHasher & { readonly backend: string } {
  const kernel = fastestKernel();
  const hash = (data: Uint8Array, out: Uint8Array = new Uint8Array(32), outOffset = 0): Uint8Array => {
    kernel.hashMany(data, 0, data.length, 1, out, outOffset);
    return out;
  };
  return Object.assign(hash, { backend: kernel.backend });
}
