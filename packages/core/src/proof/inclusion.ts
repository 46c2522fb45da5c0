/**
 * Inclusion proofs: generating them from a {@link TreeView} straight into their binary form, and
 * verifying them with one call into the hasher's climb kernel.
 * @module
 */
import { NODE_SIZE, writeNodes } from '../bytes.js';
import { RotorTreeError } from '../errors.js';
import type { Hasher } from '../hasher.js';
import { CLIMB_STRIDE } from '../hasher.js';
import type { NodeWordSource, TreeView } from '../tree/view.js';
import { depthForSize } from '../tree/shape.js';
import { ceilDiv } from './arith.js';
import { proofArena } from './arena.js';
import { assertHasher, assertTrustedInclusion } from './args.js';
import type { TrustedInclusion } from './args.js';
import { CLIMB, climb, climbedRootIs } from './climb.js';
import { EncodedInclusionProof, encodedPlace } from './encoded.js';
import { MAX_PATH_LEVELS, inclusionPath, siblingCount } from './shape.js';
import { assertInclusionShape } from './validate.js';
import { INCLUSION_LEAF, INCLUSION_NODES, INCLUSION_ROOT, KIND_INCLUSION, writeHeader } from './wire.js';
import type { InclusionProof } from './types.js';

const POSITIONS = new Uint8Array(MAX_PATH_LEVELS);
const COUNTS = new Uint8Array(MAX_PATH_LEVELS);

/** Throws `INDEX_OUT_OF_RANGE` unless `index` is a leaf of a tree of `size` leaves. */
export function assertLeafIndex(index: number, size: number): void {
  if (size === 0) throw new RotorTreeError('INDEX_OUT_OF_RANGE', `the tree is empty: there is no leaf ${String(index)} to prove`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RotorTreeError('INDEX_OUT_OF_RANGE', `leaf index ${String(index)} is not in 0..${size - 1}`);
  }
}

/** Bytes of the binary form of the proof of leaf `index` (its shape in POSITIONS/COUNTS afterwards). */
function proofLength(n: number, index: number, size: number): number {
  const levels = inclusionPath(n, index, size, POSITIONS, COUNTS, 0);
  return INCLUSION_NODES + siblingCount(COUNTS, 0, levels) * NODE_SIZE;
}

/**
 * Writes the proof of leaf `index` of `length` bytes at `bytes[at]` (`at` a multiple of 8; `longs` =
 * `bytes` as 64-bit words), its shape being in POSITIONS/COUNTS (see {@link proofLength}).
 */
function writeProof(view: TreeView, index: number, length: number, bytes: Uint8Array, longs: BigInt64Array, at: number): void {
  const n = view.n;
  const levels = depthForSize(view.size, n);
  writeHeader(bytes, at, KIND_INCLUSION, n, levels, (length - INCLUSION_NODES) / NODE_SIZE, view.size, index);
  const fast = view as Partial<NodeWordSource>;
  if (typeof fast.copyProofNodes === 'function') {
    fast.copyProofNodes(index, POSITIONS, COUNTS, levels, bytes, longs, at + INCLUSION_ROOT);
    return;
  }
  view.readNode(levels, 0, bytes, at + INCLUSION_ROOT);
  view.readNode(0, index, bytes, at + INCLUSION_LEAF);
  let o = at + INCLUSION_NODES;
  for (let k = 0, idx = index; k < levels; k++) {
    const start = idx - POSITIONS[k]!;
    const end = start + COUNTS[k]! + 1;
    for (let j = start; j < end; j++) {
      if (j === idx) continue;
      view.readNode(k, j, bytes, o);
      o += NODE_SIZE;
    }
    idx = start / n;
  }
}

/**
 * The inclusion proof of leaf `index` in `view`, written straight into its binary form: one small
 * object over a shared buffer (see {@link EncodedInclusionProof}), whose `bytes` are the wire form
 * (no separate encode step). Reads exactly the root, the leaf and the proof's siblings.
 * Throws `INDEX_OUT_OF_RANGE` unless `index` is an integer in `0..view.size-1` (and says so when the
 * tree is empty).
 */
export function generateProof(view: TreeView, index: number): EncodedInclusionProof {
  const size = view.size;
  assertLeafIndex(index, size);
  const length = proofLength(view.n, index, size);
  const at = proofArena.take(length);
  const bytes = proofArena.bytes;
  writeProof(view, index, length, bytes, proofArena.longs, at);
  return new EncodedInclusionProof(bytes, at, length, view.n, index, size);
}

/**
 * Many inclusion proofs back to back in one buffer: what {@link generateProofs} returns and
 * {@link decodeInclusionProofs} reads. `bytes` is the proofs' binary forms concatenated (each one
 * decodes alone with `decodeInclusionProof`); {@link proof} gives proof i as a view into it.
 */
export class InclusionProofBatch implements Iterable<EncodedInclusionProof> {
  /** The proofs' binary forms, back to back (format version 2). */
  readonly bytes: Uint8Array;
  /** Number of proofs. */
  readonly count: number;
  /** `offsets[i]` = where proof i starts in `bytes`; `offsets[count]` = `bytes.length`. */
  readonly #offsets: Float64Array;
  readonly #n: Uint16Array;
  readonly #leafIndex: Float64Array;
  readonly #treeSize: Float64Array;

  /** @internal Made by {@link generateProofs} and {@link decodeInclusionProofs}. */
  constructor(bytes: Uint8Array, offsets: Float64Array, n: Uint16Array, leafIndex: Float64Array, treeSize: Float64Array) {
    this.bytes = bytes;
    this.count = n.length;
    this.#offsets = offsets;
    this.#n = n;
    this.#leafIndex = leafIndex;
    this.#treeSize = treeSize;
  }

  /** Proof `i` (0 .. count-1), a view into {@link bytes}. Throws `RangeError` for another `i`. */
  proof(i: number): EncodedInclusionProof {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`no proof ${i} in a batch of ${this.count}`);
    const at = this.#offsets[i]!;
    return new EncodedInclusionProof(this.bytes, at, this.#offsets[i + 1]! - at, this.#n[i]!, this.#leafIndex[i]!, this.#treeSize[i]!);
  }

  *[Symbol.iterator](): Iterator<EncodedInclusionProof> {
    for (let i = 0; i < this.count; i++) yield this.proof(i);
  }

  /** @internal Proof i's fields, for the batch verifier (no object per proof). */
  entry(i: number): { n: number; leafIndex: number; treeSize: number; offset: number; end: number } {
    return { n: this.#n[i]!, leafIndex: this.#leafIndex[i]!, treeSize: this.#treeSize[i]!, offset: this.#offsets[i]!, end: this.#offsets[i + 1]! };
  }
}

/**
 * The inclusion proofs of leaves `indices` (in that order) in one buffer: for a server answering
 * many at once. Throws `INDEX_OUT_OF_RANGE` (nothing generated) if any index is not a leaf.
 */
export function generateProofs(view: TreeView, indices: ArrayLike<number>): InclusionProofBatch {
  const size = view.size;
  const n = view.n;
  const count = indices.length;
  const offsets = new Float64Array(count + 1);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const index = indices[i]!;
    assertLeafIndex(index, size);
    offsets[i] = total;
    total += proofLength(n, index, size);
  }
  offsets[count] = total;
  const bytes = new Uint8Array(total);
  const longs = new BigInt64Array(bytes.buffer);
  const ns = new Uint16Array(count).fill(n);
  const leafIndex = new Float64Array(count);
  const treeSize = new Float64Array(count).fill(size);
  for (let i = 0; i < count; i++) {
    const index = indices[i]!;
    const at = offsets[i]!;
    writeProof(view, index, proofLength(n, index, size), bytes, longs, at);
    leafIndex[i] = index;
  }
  return new InclusionProofBatch(bytes, offsets, ns, leafIndex, treeSize);
}

/** Size of the group around node `index` of a level holding `length` nodes. */
function groupSize(index: number, length: number, n: number): number {
  const start = index - (index % n);
  return Math.min(n, length - start);
}

/**
 * True when the levels of `proof` have exactly the shape of a tree of `proof.treeSize` leaves:
 * the level count is its depth, each position is the leaf index's digit at that level, and each
 * sibling count is one less than the real group size there.
 */
export function inclusionShapeFits(proof: InclusionProof): boolean {
  const { n, leafIndex, treeSize, levels } = proof;
  if (treeSize === 0 || leafIndex >= treeSize) return false;
  if (levels.length !== depthForSize(treeSize, n)) return false;
  for (let k = 0, idx = leafIndex, len = treeSize; k < levels.length; k++) {
    const level = levels[k]!;
    const position = idx % n;
    if (level.position !== position) return false;
    if (level.siblings.length !== groupSize(idx, len, n) - 1) return false;
    idx = (idx - position) / n;
    len = ceilDiv(len, n);
  }
  return true;
}

/** Leaf and siblings of plain proofs laid out for the climb kernel (grown as needed). */
let packed = new Uint8Array(64 * 1024);

function packRoom(bytes: number): void {
  if (packed.length < bytes) packed = new Uint8Array(Math.max(bytes, packed.length * 2));
}

/** Copies the leaf and the siblings of a shape-checked plain proof to `packed[at]`; returns the end. */
function packPlain(proof: InclusionProof, at: number): number {
  packed.set(proof.leaf, at);
  let o = at + NODE_SIZE;
  for (const level of proof.levels) o = writeNodes(packed, o, level.siblings);
  return o;
}

/**
 * Puts path `slot` of the climb scratch in place for a proof of these values whose leaf is at
 * `offset` of the climb's input with `siblings` nodes after it: false when a proof of these sizes
 * cannot have that many siblings (or `leafIndex` is not below `treeSize`).
 */
function stagePath(slot: number, n: number, leafIndex: number, treeSize: number, offset: number, siblings: number): boolean {
  if (treeSize === 0 || leafIndex >= treeSize) return false;
  const base = slot * CLIMB_STRIDE;
  const levels = inclusionPath(n, leafIndex, treeSize, CLIMB.positions, CLIMB.counts, base);
  if (siblings !== siblingCount(CLIMB.counts, base, levels)) return false;
  CLIMB.levels[slot] = levels;
  CLIMB.offsets[slot] = offset;
  return true;
}

/** The siblings a plain proof holds. */
function plainSiblings(proof: InclusionProof): number {
  let total = 0;
  for (const level of proof.levels) total += level.siblings.length;
  return total;
}

/**
 * Recomputes the root of one proof (any well-typed one); true when it equals `proof.root` and
 * the shape fits. Does not look at trusted values; the root stays in `CLIMB.out[0..32]`.
 */
export function inclusionVerifies(hasher: Hasher, proof: InclusionProof): boolean {
  if (proof instanceof EncodedInclusionProof) {
    const { buffer, at, length } = encodedPlace(proof);
    if (!stagePath(0, proof.n, proof.leafIndex, proof.treeSize, at + INCLUSION_LEAF, encodedSiblingsOf(length))) return false;
    climb(hasher, buffer, 1);
    return climbedRootIs(0, buffer, at + INCLUSION_ROOT);
  }
  if (!inclusionShapeFits(proof)) return false;
  const siblings = plainSiblings(proof);
  packRoom((siblings + 1) * NODE_SIZE);
  packPlain(proof, 0);
  stagePath(0, proof.n, proof.leafIndex, proof.treeSize, 0, siblings);
  climb(hasher, packed, 1);
  return climbedRootIs(0, proof.root, 0);
}

/**
 * Verifies an inclusion proof: recomputes the path from the leaf (one call into the hasher's
 * climb kernel when it has one) and checks that
 * - `leafIndex < treeSize`, the level count is the depth of a tree of `treeSize` leaves,
 *   every `position` is the leaf index's digit at that level and every group has exactly the
 *   size a tree of `treeSize` leaves has there;
 * - the recomputed root equals `proof.root`, and `trusted.root` when given;
 * - `treeSize` and `n` equal `trusted.size` and `trusted.n`.
 *
 * **`trusted.size` and `trusted.n` are required.** Parents are plain hashes of their children (no
 * domain separation), so an inner node of the real tree, presented as the leaf of a smaller (or
 * differently branching) tree, leads to the same root: a proof is only as good as what the verifier
 * binds. Pass `{ root, size, n }` with values you trust (and check `proof.leafIndex` is the index you
 * asked about); opting out takes `unboundSize: true` / `unboundN: true`, by name.
 *
 * Returns `false` for a well-typed proof that does not verify. Throws `INVALID_PROOF` for a
 * malformed one (not an object, a missing field, a number that is not a safe non-negative
 * integer, n outside 2..256, a node that is not a 32-byte `Uint8Array`, a position >= n, more than
 * n-1 siblings or more than 255 levels) and `TypeError` for a malformed `hasher` or `trusted`
 * (a missing size or n included).
 */
export function verifyProof(hasher: Hasher, proof: InclusionProof, trusted: TrustedInclusion): boolean {
  assertHasher(hasher);
  if (!(proof instanceof EncodedInclusionProof)) assertInclusionShape(proof);
  assertTrustedInclusion(trusted);
  if (trusted.n !== undefined && trusted.n !== proof.n) return false;
  if (trusted.size !== undefined && trusted.size !== proof.treeSize) return false;
  if (!inclusionVerifies(hasher, proof)) return false;
  return trusted.root === undefined || climbedRootIs(0, trusted.root, 0);
}

/**
 * Verifies many inclusion proofs against the same trusted values, in as few calls into the climb
 * kernel as it takes (one per 512 proofs): `result[i]` is what `verifyProof(hasher, proofs[i],
 * trusted)` returns. Takes a batch ({@link generateProofs}, {@link decodeInclusionProofs}), climbed
 * in place, or an array of proofs, whose nodes are first copied together. Throws as
 * {@link verifyProof} does, before verifying anything.
 */
export function verifyProofs(hasher: Hasher, proofs: InclusionProofBatch | readonly InclusionProof[], trusted: TrustedInclusion): boolean[] {
  assertHasher(hasher);
  const batch = proofs instanceof InclusionProofBatch ? proofs : undefined;
  const list = batch === undefined ? (proofs as readonly InclusionProof[]) : [];
  if (batch === undefined) {
    if (!Array.isArray(proofs)) throw new TypeError('proofs must be an InclusionProofBatch or an array of inclusion proofs');
    for (const p of list) if (!(p instanceof EncodedInclusionProof)) assertInclusionShape(p);
  }
  assertTrustedInclusion(trusted);
  const count = batch?.count ?? list.length;
  const results = new Array<boolean>(count).fill(false);
  const slots = new Int32Array(CLIMB.levels.length);
  for (let first = 0; first < count; first += slots.length) {
    const end = Math.min(count, first + slots.length);
    let staged = 0;
    let packEnd = 0;
    if (batch === undefined) {
      let need = 0;
      for (let i = first; i < end; i++) {
        const p = list[i]!;
        need += p instanceof EncodedInclusionProof ? p.bytes.length : (plainSiblings(p) + 1) * NODE_SIZE;
      }
      packRoom(need);
    }
    for (let i = first; i < end; i++) {
      let ok: boolean;
      if (batch !== undefined) {
        const e = batch.entry(i);
        ok = trustedFit(trusted, e.n, e.treeSize) && stagePath(staged, e.n, e.leafIndex, e.treeSize, e.offset + INCLUSION_LEAF, encodedSiblingsOf(e.end - e.offset));
      } else {
        const p = list[i]!;
        if (!trustedFit(trusted, p.n, p.treeSize)) ok = false;
        else if (p instanceof EncodedInclusionProof) {
          ok = stagePath(staged, p.n, p.leafIndex, p.treeSize, packEnd, encodedSiblingsOf(p.bytes.length));
          if (ok) {
            packed.set(p.bytes.subarray(INCLUSION_LEAF), packEnd);
            packEnd += p.bytes.length - INCLUSION_LEAF;
          }
        } else {
          ok = inclusionShapeFits(p) && stagePath(staged, p.n, p.leafIndex, p.treeSize, packEnd, plainSiblings(p));
          if (ok) packEnd = packPlain(p, packEnd);
        }
      }
      slots[i - first] = ok ? staged++ : -1;
    }
    if (staged > 0) climb(hasher, batch?.bytes ?? packed, staged);
    for (let i = first; i < end; i++) {
      const slot = slots[i - first]!;
      if (slot < 0) continue;
      let rootOk: boolean;
      if (batch !== undefined) rootOk = climbedRootIs(slot, batch.bytes, batch.entry(i).offset + INCLUSION_ROOT);
      else {
        const p = list[i]!;
        rootOk = p instanceof EncodedInclusionProof ? climbedRootIs(slot, p.bytes, INCLUSION_ROOT) : climbedRootIs(slot, p.root, 0);
      }
      results[i] = rootOk && (trusted.root === undefined || climbedRootIs(slot, trusted.root, 0));
    }
  }
  return results;
}

/** Whether a proof of `n` and `treeSize` passes the trusted values' n and size. */
function trustedFit(trusted: TrustedInclusion, n: number, treeSize: number): boolean {
  return (trusted.n === undefined || trusted.n === n) && (trusted.size === undefined || trusted.size === treeSize);
}

/** The siblings an encoded proof of `byteLength` bytes holds (not an integer when the length is wrong). */
function encodedSiblingsOf(byteLength: number): number {
  return (byteLength - INCLUSION_NODES) / NODE_SIZE;
}
