/**
 * Exact integer arithmetic and shape checks shared by the proof modules.
 * All values are safe integers; divisions avoid floating-point rounding near 2^53.
 * @module
 */
import { NODE_SIZE } from '../bytes.js';

/** Largest branching factor a proof can carry (positions and counts fit in one byte). */
export const MAX_N = 256;

/** floor(a / n) for non-negative safe integers, exact. */
export function floorDiv(a: number, n: number): number {
  return (a - (a % n)) / n;
}

/** ceil(a / n) for non-negative safe integers, exact. */
export function ceilDiv(a: number, n: number): number {
  const r = a % n;
  return (a - r) / n + (r === 0 ? 0 : 1);
}

/** True for an integer in 0..2^53-1. */
export function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** True for a valid branching factor (2..256). */
export function isBranching(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 2 && x <= MAX_N;
}

/** True for a 32-byte Uint8Array. */
export function isNode(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === NODE_SIZE;
}

/** True for an array whose every element is a 32-byte Uint8Array. */
export function isNodeArray(x: unknown): x is readonly Uint8Array[] {
  if (!Array.isArray(x)) return false;
  for (let i = 0; i < x.length; i++) if (!isNode(x[i])) return false;
  return true;
}

/** True for a non-null object (not an array). */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
