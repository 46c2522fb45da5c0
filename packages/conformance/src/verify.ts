/**
 * The invariants checked after every recovery: acknowledged leaves kept, leaves a prefix of what
 * was inserted (whole records only), the root equal to the reference recomputation, and sampled
 * inclusion proofs verifying against that root.
 * @module
 */
import { bytesEqual, generateProof, verifyProof } from '@rotortree/core';
import type { Hasher, TreeView } from '@rotortree/core';
import type { Prng } from '@rotortree/core/fs';
import type { Invariant } from './types.js';
import { leafAt, shortHex } from './workload.js';
import type { ReferenceRoots } from './workload.js';

/** What a recovered tree must satisfy. */
export interface RecoveryExpectation {
  /** Leaves the engine reported durable (a resolved token or `durableSeq`) before the crash. */
  readonly minSize: number;
  /** Leaves inserted before the crash (acknowledged or not). */
  readonly maxSize: number;
  /** True when `size` ends a record (an insert or a whole insertMany). */
  readonly isBoundary: (size: number) => boolean;
  /**
   * The reference model the root must equal. Without it (a child process of the kill harness,
   * whose parent keeps the model and judges the printed root) proofs verify against the tree's root.
   */
  readonly reference?: ReferenceRoots;
  readonly hasher: Hasher;
  /** Inclusion proofs to check (random leaves). */
  readonly proofs: number;
  readonly prng: Prng;
}

/** A broken invariant found by {@link checkRecovered}. */
export interface Problem {
  readonly invariant: Invariant;
  readonly message: string;
}

/** Checks a recovered tree (`view`: a snapshot of it) against `e`; returns what is wrong. */
export function checkRecovered(view: TreeView, e: RecoveryExpectation): Problem[] {
  const problems: Problem[] = [];
  const size = view.size;
  if (size < e.minSize) {
    problems.push({ invariant: 'ackedSurvives', message: `recovered ${size} leaves, but ${e.minSize} were acknowledged durable` });
  }
  if (size > e.maxSize) problems.push({ invariant: 'prefix', message: `recovered ${size} leaves, but only ${e.maxSize} were inserted` });
  else if (!e.isBoundary(size)) problems.push({ invariant: 'prefix', message: `recovered ${size} leaves: not a record boundary (a batch was split)` });
  const leaf = new Uint8Array(32);
  for (let i = 0; i < size; i++) {
    view.readNode(0, i, leaf, 0);
    if (!bytesEqual(leaf, leafAt(i))) {
      problems.push({ invariant: 'prefix', message: `leaf ${i} is ${shortHex(leaf)}, expected ${shortHex(leafAt(i))}` });
      return problems; // the rest compares against the wrong prefix
    }
  }
  const root = view.root;
  const expected = e.reference === undefined ? root : e.reference.root(size);
  const rootProblem = compareRoot(size, root, expected);
  if (rootProblem !== undefined) {
    problems.push(rootProblem);
    return problems;
  }
  for (let p = 0; p < e.proofs && size > 0 && expected !== undefined; p++) {
    const index = e.prng.below(size);
    const proof = generateProof(view, index);
    if (!verifyProof(e.hasher, proof, { root: expected, size, n: view.n })) {
      problems.push({ invariant: 'proofs', message: `the inclusion proof of leaf ${index} of ${size} does not verify` });
    }
  }
  return problems;
}

/** The `root` problem when `root` (of a tree of `size` leaves) is not `expected`. */
export function compareRoot(size: number, root: Uint8Array | undefined, expected: Uint8Array | undefined): Problem | undefined {
  const same = root === undefined || expected === undefined ? root === expected : bytesEqual(root, expected);
  if (same) return undefined;
  return { invariant: 'root', message: `root of ${size} leaves is ${shortHex(root)}, the reference gives ${shortHex(expected)}` };
}
