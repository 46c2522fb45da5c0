/**
 * The proof types. Nodes are 32-byte `Uint8Array`s; sizes and indexes are safe integers.
 * @module
 */

/** One level of an {@link InclusionProof}: the path node's place in its group and the group's other members. */
export interface ProofLevel {
  /** Index of the path node inside its group (`index_k % n`). */
  readonly position: number;
  /**
   * The real other members of the group, in order (the path node is left out). Empty when the
   * path node is the only member of its group and is lifted unchanged.
   */
  readonly siblings: readonly Uint8Array[];
}

/**
 * Proof that `leaf` is leaf `leafIndex` of the tree of `treeSize` leaves (branching factor `n`)
 * whose root is `root`. `levels[k]` is level k (0 = leaves); there are exactly
 * `depth(treeSize)` levels, so a one-leaf tree has none (root = leaf).
 */
export interface InclusionProof {
  /** Branching factor of the tree (2..256). Bind it when verifying, like `treeSize`. */
  readonly n: number;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leaf: Uint8Array;
  readonly root: Uint8Array;
  readonly levels: readonly ProofLevel[];
}

/**
 * One level of a {@link ConsistencyProof}. At level k the old tree's boundary node is its last
 * node `b_k = floor((oldSize - 1) / n^k)`.
 */
export interface ConsistencyLevel {
  /** The members of the boundary node's group left of it (identical in both trees), in order. */
  readonly left: readonly Uint8Array[];
  /** The new tree's members of that group right of the boundary node (absent in the old tree), in order. */
  readonly right: readonly Uint8Array[];
}

/**
 * Proof that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
 * `newSize` leaves with root `newRoot` (same branching factor `n`).
 *
 * Starting from `boundaryLeaf` (leaf `oldSize - 1`), the old root is rebuilt from the `left`
 * nodes of the first `depth(oldSize)` levels, and the new root from `left`, the rising boundary
 * node and `right` of all `depth(newSize)` levels. The left nodes and the boundary leaf cover
 * exactly leaves `0..oldSize-1`, and both roots are built from them at the same positions.
 */
export interface ConsistencyProof {
  /** Branching factor of both trees (2..256). */
  readonly n: number;
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRoot: Uint8Array;
  readonly newRoot: Uint8Array;
  /** Leaf `oldSize - 1`, the same in both trees. */
  readonly boundaryLeaf: Uint8Array;
  /** `depth(newSize)` levels; levels at or above `depth(oldSize)` have no `left` nodes. */
  readonly levels: readonly ConsistencyLevel[];
}
