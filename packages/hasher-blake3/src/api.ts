/**
 * The BLAKE3 hashers, parametrised by how the native kernel loads: the Node entry (index.ts) passes
 * the N-API loader, the browser entry (browser.ts) passes none.
 * @module
 */
import type { Hasher } from '@rotortree/core';
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import type { Blake3Kernel } from './kernel.js';
import { referenceKernel } from './reference.js';
import { loadWasmKernel } from './wasm/index.js';

/** The SIMD levels of the native kernel, narrowest first. */
export type NativeSimdLevel = 'scalar' | 'sse41' | 'avx2' | 'avx512';

/** Loads the native kernel (at `simd`, or the widest level), or gives `undefined` where it cannot. */
export type NativeLoader = (options: { readonly simd?: NativeSimdLevel }) => Blake3Kernel | undefined;

/** Which implementation computes the hashes. `"auto"` picks the fastest that loads. */
export type Blake3Backend = 'auto' | 'native' | 'wasm' | 'js';

/** Options of {@link blake3}. */
export interface Blake3Options {
  /** Force an implementation (default `"auto"`). All give identical bytes. */
  readonly backend?: Blake3Backend;
  /**
   * Use rotortree 0.12-0.15's parent rule `BLAKE3(0x01 || k || children)` (k = child count as
   * one byte). Its `id` is `"blake3-v015"`, so directories of the two rules never mix.
   * Computed by the reference kernel only.
   */
  readonly legacy?: boolean;
  /** With the native backend: use this SIMD level instead of the widest the CPU supports (for tests and benchmarks). */
  readonly simd?: NativeSimdLevel;
}

/** Hasher id of the plain rule (rotortree 0.19). */
export const BLAKE3_ID = 'blake3';
/** Hasher id of the legacy rule (rotortree 0.12-0.15). */
export const BLAKE3_LEGACY_ID = 'blake3-v015';

/** A `Hasher` whose every call goes through `kernel`. */
export function hasherFromKernel(kernel: Blake3Kernel): Hasher {
  const hasher: { -readonly [K in keyof Hasher]: Hasher[K] } = {
    id: BLAKE3_ID,
    backend: kernel.backend,
    hashGroup(input, inOffset, count, out, outOffset) {
      kernel.hashMany(input, inOffset, count * 32, 1, out, outOffset);
    },
    hashGroups(input, inOffset, width, groups, out, outOffset) {
      kernel.hashMany(input, inOffset, width * 32, groups, out, outOffset);
    },
    hashPath(node, nodeOffset, siblings, counts, levels, out) {
      kernel.hashPath(node, nodeOffset, siblings, counts, levels, out);
    },
  };
  // Added last (not spread in first): the hasher keeps the plain object shape of the other backends.
  if (kernel.bindPath !== undefined) hasher.bindPath = kernel.bindPath.bind(kernel);
  if (kernel.bindClimb !== undefined) hasher.bindClimb = kernel.bindClimb.bind(kernel);
  return hasher;
}

function legacyHasher(): Hasher {
  const prefix = new Uint8Array([0x01, 0]);
  const hashGroup: Hasher['hashGroup'] = (input, inOffset, count, out, outOffset) => {
    if (count > 255) throw new RangeError('the legacy rule encodes the child count in one byte (n <= 255)');
    prefix[1] = count;
    const h = nobleBlake3.create();
    h.update(prefix);
    h.update(input.subarray(inOffset, inOffset + count * 32));
    out.set(h.digest(), outOffset);
  };
  return {
    id: BLAKE3_LEGACY_ID,
    backend: 'js',
    hashGroup,
    hashGroups(input, inOffset, width, groups, out, outOffset) {
      for (let g = 0; g < groups; g++) hashGroup(input, inOffset + g * width * 32, width, out, outOffset + g * 32);
    },
  };
}

export function tryWasmKernel(): Blake3Kernel | undefined {
  try {
    return loadWasmKernel();
  } catch {
    return undefined; // no WebAssembly SIMD in this runtime
  }
}

/** The backends that load with `loadNative`, fastest first. */
export function availableBackendsWith(loadNative: NativeLoader): ('native' | 'wasm' | 'js')[] {
  const out: ('native' | 'wasm' | 'js')[] = [];
  if (loadNative({}) !== undefined) out.push('native');
  if (tryWasmKernel() !== undefined) out.push('wasm');
  out.push('js');
  return out;
}

/** {@link blake3} with the native kernel loaded by `loadNative`. */
export function blake3With(loadNative: NativeLoader, options: Blake3Options = {}): Hasher {
  if (options.legacy) {
    if (options.backend !== undefined && options.backend !== 'js' && options.backend !== 'auto') {
      throw new RangeError('the legacy rule is computed by the "js" backend only');
    }
    return legacyHasher();
  }
  const backend = options.backend ?? 'auto';
  switch (backend) {
    case 'auto':
      return hasherFromKernel(loadNative({}) ?? tryWasmKernel() ?? referenceKernel);
    case 'native': {
      const kernel = loadNative(options.simd === undefined ? {} : { simd: options.simd });
      if (kernel === undefined) {
        throw new RangeError('the native BLAKE3 backend is not available (addon not built, disabled, or SIMD level unsupported)');
      }
      return hasherFromKernel(kernel);
    }
    case 'wasm': {
      const kernel = tryWasmKernel();
      if (kernel === undefined) throw new RangeError('the wasm BLAKE3 backend is not available (no WebAssembly SIMD)');
      return hasherFromKernel(kernel);
    }
    case 'js':
      return hasherFromKernel(referenceKernel);
    default:
      throw new RangeError(`unknown BLAKE3 backend: ${String(backend)}`);
  }
}
