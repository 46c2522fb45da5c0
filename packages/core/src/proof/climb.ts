/**
 * Recomputing roots for the verifiers: one call into the hasher's climb kernel per batch of paths
 * (see `Hasher.bindClimb`), or the reference climb over `hashGroup` for hashers without one. The
 * kernels are bound once per hasher to this module's scratch arrays. Safe to share because
 * verification is synchronous and never re-entered (a hasher does not verify proofs).
 * @module
 */
import type { BoundClimbKernel, ClimbPaths, Hasher } from '../hasher.js';
import { CLIMB_STRIDE, bindClimbWithGroups } from '../hasher.js';
import { NODE_SIZE } from '../bytes.js';

/** Most paths one kernel call climbs (a longer batch takes several calls). */
export const CLIMB_BATCH = 512;

/**
 * The scratch arrays every kernel is bound to: the caller fills paths 0 .. count-1, then calls
 * {@link climb}. One ArrayBuffer under all of them (a native kernel checks each distinct one per call).
 */
export const CLIMB: ClimbPaths = ((): ClimbPaths => {
  const stride = CLIMB_BATCH * CLIMB_STRIDE;
  const memory = new ArrayBuffer(CLIMB_BATCH * 8 + CLIMB_BATCH * NODE_SIZE + 2 * stride + CLIMB_BATCH);
  let at = 0;
  const take = (bytes: number): number => {
    const start = at;
    at += bytes;
    return start;
  };
  return {
    offsets: new Float64Array(memory, take(CLIMB_BATCH * 8), CLIMB_BATCH),
    out: new Uint8Array(memory, take(CLIMB_BATCH * NODE_SIZE), CLIMB_BATCH * NODE_SIZE),
    positions: new Uint8Array(memory, take(stride), stride),
    counts: new Uint8Array(memory, take(stride), stride),
    levels: new Uint8Array(memory, take(CLIMB_BATCH), CLIMB_BATCH),
  };
})();

const kernels = new WeakMap<Hasher, BoundClimbKernel>();
let lastHasher: Hasher | undefined;
let lastKernel: BoundClimbKernel | undefined;

function kernelFor(hasher: Hasher): BoundClimbKernel {
  if (hasher === lastHasher) return lastKernel!;
  let kernel = kernels.get(hasher);
  if (kernel === undefined) {
    kernel = typeof hasher.bindClimb === 'function' ? hasher.bindClimb(CLIMB) : bindClimbWithGroups(hasher, CLIMB);
    kernels.set(hasher, kernel);
  }
  lastHasher = hasher;
  lastKernel = kernel;
  return kernel;
}

/** Climbs paths 0 .. count-1 of {@link CLIMB} over `input`: root i lands in `CLIMB.out[32 i]`. */
export function climb(hasher: Hasher, input: Uint8Array, count: number): void {
  kernelFor(hasher)(input, count);
}

/** True when root i of the last climb equals the 32 bytes at `bytes[at]`. */
export function climbedRootIs(i: number, bytes: Uint8Array, at: number): boolean {
  const out = CLIMB.out;
  const o = i * NODE_SIZE;
  let diff = 0;
  for (let j = 0; j < NODE_SIZE; j++) diff |= out[o + j]! ^ bytes[at + j]!;
  return diff === 0;
}
