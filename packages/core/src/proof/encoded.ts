/**
 * Proofs held in their binary form (format version 2, see wire.ts): one buffer per proof instead of
 * an array per level and per node. The fields of {@link InclusionProof} / {@link ConsistencyProof}
 * are read from it: `n` and the sizes are plain fields, the nodes and `levels` are views into
 * `bytes`, made on first read.
 * @module
 */
import { NODE_SIZE } from '../bytes.js';
import {
  CONSISTENCY_BOUNDARY,
  CONSISTENCY_NEW_ROOT,
  CONSISTENCY_NODES,
  CONSISTENCY_OLD_ROOT,
  INCLUSION_LEAF,
  INCLUSION_NODES,
  INCLUSION_ROOT,
} from './wire.js';
import { MAX_PATH_LEVELS, consistencyPath, inclusionPath } from './shape.js';
import type { ConsistencyLevel, ConsistencyProof, InclusionProof, ProofLevel } from './types.js';

const POSITIONS = new Uint8Array(MAX_PATH_LEVELS);
const COUNTS = new Uint8Array(MAX_PATH_LEVELS);

function nodeAt(bytes: Uint8Array, at: number): Uint8Array {
  return bytes.subarray(at, at + NODE_SIZE);
}

/** Views of `count` nodes from `bytes[at]`, in a frozen array (the proof's bytes are its truth: a view writes through, a replaced element could not). */
function nodesAt(bytes: Uint8Array, at: number, count: number): readonly Uint8Array[] {
  const out = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) out[i] = nodeAt(bytes, at + i * NODE_SIZE);
  return Object.freeze(out);
}

function copyNodes(nodes: readonly Uint8Array[]): Uint8Array[] {
  return nodes.map((node) => node.slice());
}

/** Where an encoded proof's bytes are: a buffer (often shared with other proofs) and a range of it. */
export interface EncodedPlace {
  readonly buffer: Uint8Array;
  readonly at: number;
  readonly length: number;
}

/** The place {@link encodedPlace} last read (one record, rewritten by each call: no allocation per proof). */
const PLACE: { buffer: Uint8Array; at: number; length: number } = { buffer: new Uint8Array(0), at: 0, length: 0 };

let placeOf: (proof: EncodedInclusionProof) => void;

/** @internal The buffer holding `proof`'s bytes and where they are in it (no view made); valid until the next call. */
export function encodedPlace(proof: EncodedInclusionProof): EncodedPlace {
  placeOf(proof);
  return PLACE;
}

/**
 * An inclusion proof in its binary form: what `generateProof` returns and the binary decoder gives.
 * It is an {@link InclusionProof}: `leaf`, `root` and `levels[k].siblings[j]` are views into
 * {@link bytes} (made on first read, then kept), so a proof costs one small object until they are read.
 *
 * `bytes`, `leaf`, `root` and `levels` live on the prototype: `{ ...proof }` copies only `n`,
 * `leafIndex` and `treeSize` (use {@link toObject} for a plain copy). Changing `bytes` changes the
 * proof's nodes.
 */
export class EncodedInclusionProof implements InclusionProof {
  readonly n: number;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly #buffer: Uint8Array;
  readonly #at: number;
  readonly #length: number;
  #bytes: Uint8Array | undefined;
  #leaf: Uint8Array | undefined;
  #root: Uint8Array | undefined;
  #levels: readonly ProofLevel[] | undefined;

  static {
    placeOf = (proof) => {
      PLACE.buffer = proof.#buffer;
      PLACE.at = proof.#at;
      PLACE.length = proof.#length;
    };
  }

  /**
   * @internal Made by generation and the decoders: `buffer[at .. at + length)` holds a valid
   * version-2 proof of these values.
   */
  constructor(buffer: Uint8Array, at: number, length: number, n: number, leafIndex: number, treeSize: number) {
    this.n = n;
    this.leafIndex = leafIndex;
    this.treeSize = treeSize;
    this.#buffer = buffer;
    this.#at = at;
    this.#length = length;
  }

  /**
   * The binary form (format version 2; `encodeInclusionProof` returns it as is). Often a view into a
   * buffer shared with other generated proofs: `bytes.slice()` gives a copy that owns its memory.
   */
  get bytes(): Uint8Array {
    if (this.#bytes === undefined) {
      const buffer = this.#buffer;
      this.#bytes = this.#at === 0 && this.#length === buffer.length ? buffer : buffer.subarray(this.#at, this.#at + this.#length);
    }
    return this.#bytes;
  }

  get leaf(): Uint8Array {
    return (this.#leaf ??= nodeAt(this.#buffer, this.#at + INCLUSION_LEAF));
  }

  get root(): Uint8Array {
    return (this.#root ??= nodeAt(this.#buffer, this.#at + INCLUSION_ROOT));
  }

  /** The levels, made on first read: frozen arrays of views into {@link bytes} (changing a node's bytes changes the proof). */
  get levels(): readonly ProofLevel[] {
    if (this.#levels === undefined) {
      const depth = inclusionPath(this.n, this.leafIndex, this.treeSize, POSITIONS, COUNTS, 0);
      const levels = new Array<ProofLevel>(depth);
      for (let k = 0, at = this.#at + INCLUSION_NODES; k < depth; k++) {
        const count = COUNTS[k]!;
        levels[k] = Object.freeze({ position: POSITIONS[k]!, siblings: nodesAt(this.#buffer, at, count) });
        at += count * NODE_SIZE;
      }
      this.#levels = Object.freeze(levels);
    }
    return this.#levels;
  }

  /** The proof as a plain object of fresh arrays (the shape `{ ...proof }` does not give). */
  toObject(): InclusionProof {
    return {
      n: this.n,
      leafIndex: this.leafIndex,
      treeSize: this.treeSize,
      leaf: this.leaf.slice(),
      root: this.root.slice(),
      levels: this.levels.map((l) => ({ position: l.position, siblings: copyNodes(l.siblings) })),
    };
  }
}

/**
 * A consistency proof in its binary form (what `generateConsistencyProof` returns and the binary
 * decoder gives); nodes and `levels` are views into {@link bytes}, as in {@link EncodedInclusionProof}.
 */
export class EncodedConsistencyProof implements ConsistencyProof {
  /** The binary form (format version 2); `encodeConsistencyProof` returns it as is. */
  readonly bytes: Uint8Array;
  readonly n: number;
  readonly oldSize: number;
  readonly newSize: number;
  #levels: readonly ConsistencyLevel[] | undefined;

  /** @internal Made by generation and the decoders: `bytes` holds a valid version-2 proof of these values. */
  constructor(bytes: Uint8Array, n: number, oldSize: number, newSize: number) {
    this.bytes = bytes;
    this.n = n;
    this.oldSize = oldSize;
    this.newSize = newSize;
  }

  get oldRoot(): Uint8Array {
    return nodeAt(this.bytes, CONSISTENCY_OLD_ROOT);
  }

  get newRoot(): Uint8Array {
    return nodeAt(this.bytes, CONSISTENCY_NEW_ROOT);
  }

  get boundaryLeaf(): Uint8Array {
    return nodeAt(this.bytes, CONSISTENCY_BOUNDARY);
  }

  get levels(): readonly ConsistencyLevel[] {
    if (this.#levels === undefined) {
      const depth = consistencyPath(this.n, this.oldSize, this.newSize, POSITIONS, COUNTS);
      const levels = new Array<ConsistencyLevel>(depth);
      for (let k = 0, at = CONSISTENCY_NODES; k < depth; k++) {
        const left = POSITIONS[k]!;
        const right = COUNTS[k]!;
        levels[k] = Object.freeze({ left: nodesAt(this.bytes, at, left), right: nodesAt(this.bytes, at + left * NODE_SIZE, right) });
        at += (left + right) * NODE_SIZE;
      }
      this.#levels = Object.freeze(levels);
    }
    return this.#levels;
  }

  /** The proof as a plain object of fresh arrays. */
  toObject(): ConsistencyProof {
    return {
      n: this.n,
      oldSize: this.oldSize,
      newSize: this.newSize,
      oldRoot: this.oldRoot.slice(),
      newRoot: this.newRoot.slice(),
      boundaryLeaf: this.boundaryLeaf.slice(),
      levels: this.levels.map((l) => ({ left: copyNodes(l.left), right: copyNodes(l.right) })),
    };
  }
}
