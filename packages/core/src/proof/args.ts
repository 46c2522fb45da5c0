/**
 * Checks of the caller's own arguments (misuse of arguments is a `TypeError`, not `INVALID_PROOF`),
 * and what a verifier must be told: the values it trusts.
 * @module
 */
import type { Hasher } from '../hasher.js';
import { isBranching, isCount, isNode, isRecord } from './arith.js';

/** Values the verifier knows independently of an inclusion proof; each one given is enforced. */
export interface TrustedInclusion {
  /** The root the proof must lead to. */
  readonly root?: Uint8Array;
  /** The tree size the proof must be for. Required unless {@link unboundSize}. */
  readonly size?: number;
  /** The branching factor the proof must be for. Required unless {@link unboundN}. */
  readonly n?: number;
  /**
   * Accept a proof of any tree size (when `size` is not given). Unsafe: parents are plain hashes of
   * their children, so an inner node of the real tree passes as the leaf of a smaller tree.
   */
  readonly unboundSize?: boolean;
  /** Accept a proof of any branching factor (when `n` is not given). Unsafe for the same reason. */
  readonly unboundN?: boolean;
}

/** Values the verifier knows independently of a consistency proof; each one given is enforced. */
export interface TrustedConsistency {
  readonly oldRoot?: Uint8Array;
  /** Required unless {@link unboundSize}. */
  readonly oldSize?: number;
  readonly newRoot?: Uint8Array;
  /** Required unless {@link unboundSize}. */
  readonly newSize?: number;
  /** Required unless {@link unboundN}. */
  readonly n?: number;
  /** Accept proofs of sizes not given (unsafe: sizes in other units, inner nodes as leaves, prove something else). */
  readonly unboundSize?: boolean;
  /** Accept a proof of any branching factor when `n` is not given (unsafe, as above). */
  readonly unboundN?: boolean;
}

/** Throws `TypeError` unless `hasher` has a `hashGroup` method. */
export function assertHasher(hasher: unknown): asserts hasher is Hasher {
  if (hasher === null || typeof hasher !== 'object' || typeof (hasher as Hasher).hashGroup !== 'function') {
    throw new TypeError('hasher must implement the Hasher interface');
  }
}

function assertNodeField(value: unknown, key: string): void {
  if (value !== undefined && !isNode(value)) throw new TypeError(`trusted.${key} must be a 32-byte Uint8Array`);
}

function assertFlag(value: unknown, key: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`trusted.${key} must be a boolean`);
}

/** A trusted size: given and valid, or absent with `unboundSize: true`. */
function assertSizeField(value: unknown, key: string, unbound: unknown): void {
  if (value === undefined) {
    if (unbound !== true) {
      throw new TypeError(
        `trusted.${key} is required: bind the tree size you trust (or pass unboundSize: true, which lets an inner node pass as a leaf of a smaller tree)`,
      );
    }
  } else if (!isCount(value)) {
    throw new TypeError(`trusted.${key} must be a safe non-negative integer`);
  }
}

function assertBranchingField(value: unknown, unbound: unknown): void {
  if (value === undefined) {
    if (unbound !== true) throw new TypeError('trusted.n is required: bind the branching factor you trust (or pass unboundN: true)');
  } else if (!isBranching(value)) {
    throw new TypeError('trusted.n must be an integer in 2..256');
  }
}

function assertRecord(trusted: unknown): asserts trusted is Record<string, unknown> {
  if (!isRecord(trusted)) throw new TypeError('trusted must be an object of the values you trust');
}

/** Throws `TypeError` unless `trusted` is a valid {@link TrustedInclusion} binding size and n (or opting out by name). */
export function assertTrustedInclusion(trusted: unknown): asserts trusted is TrustedInclusion {
  assertRecord(trusted);
  assertFlag(trusted['unboundSize'], 'unboundSize');
  assertFlag(trusted['unboundN'], 'unboundN');
  assertNodeField(trusted['root'], 'root');
  assertSizeField(trusted['size'], 'size', trusted['unboundSize']);
  assertBranchingField(trusted['n'], trusted['unboundN']);
}

/** Throws `TypeError` unless `trusted` is a valid {@link TrustedConsistency} binding both sizes and n (or opting out by name). */
export function assertTrustedConsistency(trusted: unknown): asserts trusted is TrustedConsistency {
  assertRecord(trusted);
  assertFlag(trusted['unboundSize'], 'unboundSize');
  assertFlag(trusted['unboundN'], 'unboundN');
  assertNodeField(trusted['oldRoot'], 'oldRoot');
  assertNodeField(trusted['newRoot'], 'newRoot');
  assertSizeField(trusted['oldSize'], 'oldSize', trusted['unboundSize']);
  assertSizeField(trusted['newSize'], 'newSize', trusted['unboundSize']);
  assertBranchingField(trusted['n'], trusted['unboundN']);
}
