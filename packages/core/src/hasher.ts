/**
 * The hash function seen by the tree: batch-first.
 *
 * Measured on our machines, the cost of *calling* a hash from JavaScript (copy in, call, copy out)
 * is most of the cost of hashing one 64-byte node. So the tree never asks for one hash at a time
 * when it can avoid it: `hashGroups` takes a whole run of equal-width groups from one contiguous
 * buffer and writes all the parents in one call, which lets a SIMD kernel hash many groups at once.
 * The core decides the tree's shape; the hasher decides the bytes of a parent.
 * @module
 */
import { NODE_SIZE, copyNode } from './bytes.js';

/**
 * A parent-hash function for the tree. All offsets are byte offsets; every node is 32 bytes.
 * Implementations must not keep references to the buffers they are given, and must produce
 * output that depends only on the children's bytes (no state between calls).
 */
export interface Hasher {
  /**
   * A stable identifier of the function (e.g. `"blake3"`), written into WAL and checkpoint
   * headers so that a directory is never reopened with another hash function. Two hashers with
   * the same id must give identical bytes; kernels of one function share its id.
   */
  readonly id: string;

  /** Which implementation computes the bytes (e.g. `"js"`, `"wasm"`, `"native"`), for diagnostics. */
  readonly backend?: string;

  /**
   * Hashes `count` children (2 <= count, `count * 32` bytes at `input[inOffset]`) into one
   * 32-byte parent at `out[outOffset]`. `out` may alias `input` only outside the read range.
   */
  hashGroup(input: Uint8Array, inOffset: number, count: number, out: Uint8Array, outOffset: number): void;

  /**
   * Hashes `groups` consecutive groups of `width` children each (`groups * width * 32` bytes from
   * `input[inOffset]`) into `groups * 32` bytes at `out[outOffset]`: parent g covers children
   * g*width .. g*width+width-1. This is the call a SIMD kernel accelerates.
   */
  hashGroups(
    input: Uint8Array,
    inOffset: number,
    width: number,
    groups: number,
    out: Uint8Array,
    outOffset: number,
  ): void;

  /**
   * Optional path kernel for single appends: recomputes a whole root path in one call.
   *
   * `node` (32 bytes at `nodeOffset`) rises through `levels` levels. At level k it is the last
   * child of its group, preceded by `counts[k]` left siblings taken in order from `siblings`
   * (level 0's first, each level's siblings contiguous). With `counts[k] === 0` the node is lifted
   * unchanged; otherwise the parent is the hash of `siblings || node`. The node reached after
   * level k is written to `out[k * 32]`.
   */
  hashPath?(
    node: Uint8Array,
    nodeOffset: number,
    siblings: Uint8Array,
    counts: Uint8Array,
    levels: number,
    out: Uint8Array,
  ): void;

  /**
   * Optional path kernel bound to one tree's scratch buffers, for single appends: made once per
   * tree, so that each append passes only a count (no sibling gather, no buffer unwrapping per
   * call). Prefer it to {@link hashPath} when present.
   *
   * `groups` holds `maxLevels + 1` groups of `width` nodes (level k's group at byte
   * `k * width * 32`); `digits[k]` is the position of the path's node in level k's group. The
   * caller writes the leaf at group 0 position `digits[0]`; the returned kernel `run(levels)` then,
   * for each level k < levels, lifts the node at group k position `digits[k]` to group k+1 position
   * `digits[k+1]`: unchanged when `digits[k] === 0`, else the hash of group k's nodes
   * `0..digits[k]` (its left siblings, then the node). Group k's nodes before `digits[k]` must hold
   * the node's left siblings when `run` is called: the kernel keeps them current across
   * consecutive appends, the caller fills them after any other change. The kernel may keep per-level
   * state between calls, but only as a cache it checks against `groups`: its output depends only
   * on the bytes of `groups`, `digits` and `leaf`.
   *
   * The caller keeps both buffers for the kernel's lifetime (never transfers or detaches them).
   */
  bindPath?(groups: Uint8Array, width: number, digits: Int32Array, maxLevels: number): BoundPathKernel;

  /**
   * Optional climb kernel for verifiers, bound to the caller's scratch arrays (see {@link ClimbPaths}):
   * the returned `climb(input, count)` recomputes the roots of paths `0 .. count-1` in one call, so
   * that verifying a proof costs one call into the kernel instead of one per level. The output
   * depends only on the bytes of `input` and of the bound arrays.
   *
   * The caller keeps the arrays for the kernel's lifetime (never transfers or detaches them).
   */
  bindClimb?(paths: ClimbPaths): BoundClimbKernel;
}

/** A path kernel bound by {@link Hasher.bindPath}: `run(levels)`; the root ends at group `levels`. */
export type BoundPathKernel = (levels: number) => void;

/**
 * Recomputes the roots of paths `0 .. count-1` of the bound {@link ClimbPaths} from `input`
 * (`count` at most `paths.levels.length`).
 */
export type BoundClimbKernel = (input: Uint8Array, count: number) => void;

/** Most levels one climbed path may have: the stride of {@link ClimbPaths}' per-path arrays. */
export const CLIMB_STRIDE = 64;

/**
 * The scratch arrays a climb kernel is bound to ({@link Hasher.bindClimb}). Path i starts from the
 * 32-byte node at `input[offsets[i]]`, which is directly followed by its siblings: level 0's, then
 * level 1's, and so on, 32 bytes each. At level k (k < `levels[i]`) the path's group has
 * `counts[i * 64 + k]` siblings besides the rising node, which is member `positions[i * 64 + k]`
 * (0 .. count) of the group: with no siblings the node is lifted unchanged, else it becomes the hash
 * of `siblings[0 .. position) || node || siblings[position .. count)`. Root i goes to `out[32 i]`.
 */
export interface ClimbPaths {
  /** Byte offset of path i's starting node in `input` (a safe integer). */
  readonly offsets: Float64Array;
  /** Levels of path i (at most {@link CLIMB_STRIDE}); its length is the most paths per call. */
  readonly levels: Uint8Array;
  /** The rising node's place in its group, per path and level (stride {@link CLIMB_STRIDE}). */
  readonly positions: Uint8Array;
  /** The group's sibling count, per path and level (stride {@link CLIMB_STRIDE}). */
  readonly counts: Uint8Array;
  /** The roots, 32 bytes per path. */
  readonly out: Uint8Array;
}

/**
 * Builds a full {@link Hasher} from a one-group function: `hashGroups` loops over `hashGroup`.
 * Useful for simple or custom hash functions; fast hashers implement `hashGroups` themselves.
 */
export function hasherFromGroupFunction(
  id: string,
  hashGroup: Hasher['hashGroup'],
  backend = 'js',
): Hasher {
  return {
    id,
    backend,
    hashGroup,
    hashGroups(input, inOffset, width, groups, out, outOffset) {
      const stride = width * 32;
      for (let g = 0; g < groups; g++) hashGroup(input, inOffset + g * stride, width, out, outOffset + g * 32);
    },
  };
}

/**
 * Reference semantics of {@link Hasher.hashPath}, built on `hashGroup`; used by the tree when a
 * hasher has no path kernel, and by tests to check path kernels.
 * `scratch` must hold at least (max count + 1) * 32 bytes.
 */
export function hashPathWithGroups(
  hasher: Hasher,
  node: Uint8Array,
  nodeOffset: number,
  siblings: Uint8Array,
  counts: Uint8Array,
  levels: number,
  out: Uint8Array,
  scratch: Uint8Array,
): void {
  let cur = node;
  let curOff = nodeOffset;
  let sibOff = 0;
  for (let k = 0; k < levels; k++) {
    const c = counts[k]!;
    if (c === 0) {
      copyNode(cur, curOff, out, k * NODE_SIZE);
    } else {
      const len = c * NODE_SIZE;
      scratch.set(siblings.subarray(sibOff, sibOff + len), 0);
      copyNode(cur, curOff, scratch, len);
      hasher.hashGroup(scratch, 0, c + 1, out, k * NODE_SIZE);
      sibOff += len;
    }
    cur = out;
    curOff = k * NODE_SIZE;
  }
}

/**
 * Reference semantics of {@link Hasher.bindPath}, built on `hashGroup` (no cache): for tests of
 * bound path kernels, and for hashers that want the bound call shape without a kernel of their own.
 */
export function bindPathWithGroups(
  hasher: Hasher,
  groups: Uint8Array,
  width: number,
  digits: Int32Array,
  maxLevels: number,
): BoundPathKernel {
  const stride = width * NODE_SIZE;
  return (levels) => {
    if (!(levels <= maxLevels)) throw new RangeError('levels exceeds the bound maxLevels');
    for (let k = 0; k < levels; k++) {
      const d = digits[k]!;
      const at = k * stride;
      const up = (k + 1) * stride + digits[k + 1]! * NODE_SIZE;
      if (d === 0) copyNode(groups, at, groups, up);
      else hasher.hashGroup(groups, at, d + 1, groups, up);
    }
  };
}

/**
 * Reference semantics of {@link Hasher.bindClimb}, built on `hashGroup`: used by verifiers when a
 * hasher has no climb kernel, and by tests to check climb kernels. Throws `RangeError` for a path
 * outside `input` or a position past its count, before hashing that path.
 */
export function bindClimbWithGroups(hasher: Hasher, paths: ClimbPaths): BoundClimbKernel {
  const group = new Uint8Array(256 * NODE_SIZE);
  const { offsets, levels, positions, counts, out } = paths;
  return (input, count) => {
    if (!(count >= 0 && count <= levels.length)) throw new RangeError('count exceeds the bound paths');
    for (let i = 0; i < count; i++) {
      const at = offsets[i]!;
      const depth = levels[i]!;
      const base = i * CLIMB_STRIDE;
      let siblings = 0;
      for (let k = 0; k < depth; k++) {
        if (positions[base + k]! > counts[base + k]!) throw new RangeError(`path ${i}: a position is past its sibling count`);
        siblings += counts[base + k]!;
      }
      if (!(depth <= CLIMB_STRIDE && Number.isSafeInteger(at) && at >= 0 && at + (siblings + 1) * NODE_SIZE <= input.length)) {
        throw new RangeError(`path ${i} does not fit in the input`);
      }
      const o = i * NODE_SIZE;
      copyNode(input, at, out, o);
      let sib = at + NODE_SIZE;
      for (let k = 0; k < depth; k++) {
        const c = counts[base + k]!;
        if (c === 0) continue;
        const p = positions[base + k]!;
        group.set(input.subarray(sib, sib + p * NODE_SIZE), 0);
        copyNode(out, o, group, p * NODE_SIZE);
        group.set(input.subarray(sib + p * NODE_SIZE, sib + c * NODE_SIZE), (p + 1) * NODE_SIZE);
        hasher.hashGroup(group, 0, c + 1, out, o);
        sib += c * NODE_SIZE;
      }
    }
  };
}
