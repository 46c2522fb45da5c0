/**
 * JSON forms of proofs: plain objects of numbers, strings and arrays, with nodes as 64-character
 * lower-case hex. `JSON.stringify` of them and `JSON.parse` back round-trip exactly.
 * @module
 */
import { NODE_SIZE, toHex } from '../bytes.js';
import { RotorTreeError } from '../errors.js';
import { isRecord } from './arith.js';
import { packedConsistencyIfFits, packedIfFits } from './pack.js';
import { assertConsistencyShape, assertInclusionShape } from './validate.js';
import type { ConsistencyProof, InclusionProof } from './types.js';

/** The JSON form of an {@link InclusionProof}. */
export interface InclusionProofJSON {
  n: number;
  leafIndex: number;
  treeSize: number;
  leaf: string;
  root: string;
  levels: { position: number; siblings: string[] }[];
}

/** The JSON form of a {@link ConsistencyProof}. */
export interface ConsistencyProofJSON {
  n: number;
  oldSize: number;
  newSize: number;
  oldRoot: string;
  newRoot: string;
  boundaryLeaf: string;
  levels: { left: string[]; right: string[] }[];
}

function bad(what: string): never {
  throw new RotorTreeError('INVALID_PROOF', `malformed proof JSON: ${what}`);
}

const HEX_NODE = /^[0-9a-fA-F]{64}$/;

function nodeFromHex(x: unknown, what: string): Uint8Array {
  if (typeof x !== 'string' || !HEX_NODE.test(x)) bad(`${what} must be ${NODE_SIZE * 2} hex digits`);
  const out = new Uint8Array(NODE_SIZE);
  for (let i = 0; i < NODE_SIZE; i++) out[i] = parseInt(x.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function nodesFromHex(x: unknown, what: string): Uint8Array[] {
  if (!Array.isArray(x) || x.length > 256) bad(`${what} must be an array of hex nodes`);
  return x.map((h, i) => nodeFromHex(h, `${what}[${i}]`));
}

function levelsOf(obj: Record<string, unknown>): unknown[] {
  const levels = obj['levels'];
  if (!Array.isArray(levels) || levels.length > 255) bad('levels must be an array of at most 255 levels');
  return levels;
}

function record(x: unknown, what: string): Record<string, unknown> {
  if (!isRecord(x)) bad(`${what} must be an object`);
  return x;
}

/** The JSON form of an inclusion proof. Throws `INVALID_PROOF` for a malformed proof. */
export function inclusionProofToJSON(proof: InclusionProof): InclusionProofJSON {
  assertInclusionShape(proof);
  return {
    n: proof.n,
    leafIndex: proof.leafIndex,
    treeSize: proof.treeSize,
    leaf: toHex(proof.leaf),
    root: toHex(proof.root),
    levels: proof.levels.map((l) => ({ position: l.position, siblings: l.siblings.map(toHex) })),
  };
}

/**
 * An inclusion proof from its JSON form (upper-case hex accepted), held in its binary form when its
 * shape fits its sizes (as a generated proof is; otherwise it cannot verify). Throws `INVALID_PROOF` for
 * anything malformed: a missing field, bad hex, a node not 32 bytes, out-of-range numbers.
 */
export function inclusionProofFromJSON(json: unknown): InclusionProof {
  const obj = record(json, 'the proof');
  const proof: InclusionProof = {
    n: obj['n'] as number,
    leafIndex: obj['leafIndex'] as number,
    treeSize: obj['treeSize'] as number,
    leaf: nodeFromHex(obj['leaf'], 'leaf'),
    root: nodeFromHex(obj['root'], 'root'),
    levels: levelsOf(obj).map((l, k) => {
      const level = record(l, `levels[${k}]`);
      return { position: level['position'] as number, siblings: nodesFromHex(level['siblings'], `levels[${k}].siblings`) };
    }),
  };
  assertInclusionShape(proof);
  return packedIfFits(proof);
}

/** The JSON form of a consistency proof. Throws `INVALID_PROOF` for a malformed proof. */
export function consistencyProofToJSON(proof: ConsistencyProof): ConsistencyProofJSON {
  assertConsistencyShape(proof);
  return {
    n: proof.n,
    oldSize: proof.oldSize,
    newSize: proof.newSize,
    oldRoot: toHex(proof.oldRoot),
    newRoot: toHex(proof.newRoot),
    boundaryLeaf: toHex(proof.boundaryLeaf),
    levels: proof.levels.map((l) => ({ left: l.left.map(toHex), right: l.right.map(toHex) })),
  };
}

/** A consistency proof from its JSON form. Throws `INVALID_PROOF` for anything malformed. */
export function consistencyProofFromJSON(json: unknown): ConsistencyProof {
  const obj = record(json, 'the proof');
  const proof: ConsistencyProof = {
    n: obj['n'] as number,
    oldSize: obj['oldSize'] as number,
    newSize: obj['newSize'] as number,
    oldRoot: nodeFromHex(obj['oldRoot'], 'oldRoot'),
    newRoot: nodeFromHex(obj['newRoot'], 'newRoot'),
    boundaryLeaf: nodeFromHex(obj['boundaryLeaf'], 'boundaryLeaf'),
    levels: levelsOf(obj).map((l, k) => {
      const level = record(l, `levels[${k}]`);
      return {
        left: nodesFromHex(level['left'], `levels[${k}].left`),
        right: nodesFromHex(level['right'], `levels[${k}].right`),
      };
    }),
  };
  assertConsistencyShape(proof);
  return packedConsistencyIfFits(proof);
}
