/**
 * The contract between the BLAKE3 kernels (WASM SIMD, native) and the `Hasher` they become.
 * @module
 */
import type { BoundClimbKernel, ClimbPaths } from '@rotortree/core';

/** A batch BLAKE3 implementation: many equal-length messages per call. */
export interface Blake3Kernel {
  /** `"wasm"`, `"native"` or `"js"`. */
  readonly backend: string;
  /**
   * BLAKE3-256 of `count` independent messages of `msgLen` bytes each, stored back to back from
   * `input[inOffset]`; digest i goes to `out[outOffset + 32 * i]`. `msgLen` may be any length
   * (messages longer than one 1 KiB chunk use BLAKE3's chunk tree). `count` may be 0.
   */
  hashMany(input: Uint8Array, inOffset: number, msgLen: number, count: number, out: Uint8Array, outOffset: number): void;
  /**
   * The path kernel, with the semantics of `Hasher.hashPath` from `@rotortree/core`
   * (parent = BLAKE3(left siblings || node); count 0 lifts the node unchanged).
   */
  hashPath(
    node: Uint8Array,
    nodeOffset: number,
    siblings: Uint8Array,
    counts: Uint8Array,
    levels: number,
    out: Uint8Array,
  ): void;
  /**
   * Optional bound path kernel, with the semantics of `Hasher.bindPath` from `@rotortree/core`
   * (one per tree; each call passes only the number of levels).
   */
  bindPath?(groups: Uint8Array, width: number, digits: Int32Array, maxLevels: number): (levels: number) => void;
  /**
   * Optional climb kernel for proof verifiers, with the semantics of `Hasher.bindClimb` from
   * `@rotortree/core`: bound once to the caller's scratch arrays, each call climbs a batch of paths.
   */
  bindClimb?(paths: ClimbPaths): BoundClimbKernel;
}
