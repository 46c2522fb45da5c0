/**
 * The binary encodings of proofs. Encoders write format version 2 (layout in wire.ts: a fixed
 * header, then nodes only, the shape following from n and the sizes); a generated proof already
 * holds it. Decoders read version 2 and the version 1 of earlier releases, whose layout follows.
 * Both start with a version byte and a kind byte, so one kind never decodes as the other.
 *
 * Version 1: sizes are unsigned LEB128 varints (canonical: no redundant trailing 0x80 groups, at
 * most 2^53-1); positions and counts are single bytes; nodes are raw.
 *
 * Inclusion proof (kind 1):
 * ```
 * u8       version = 1
 * u8       kind    = 1
 * u8       n - 1                (n in 2..256)
 * varint   treeSize
 * varint   leafIndex
 * 32 B     leaf
 * 32 B     root
 * u8       level count L
 * L times: u8 position, u8 sibling count c, c * 32 B siblings
 * ```
 *
 * Consistency proof (kind 2):
 * ```
 * u8       version = 1
 * u8       kind    = 2
 * u8       n - 1
 * varint   oldSize
 * varint   newSize
 * 32 B     oldRoot
 * 32 B     newRoot
 * 32 B     boundaryLeaf
 * u8       level count L
 * L times: u8 left count l, u8 right count r, l * 32 B left nodes, r * 32 B right nodes
 * ```
 * A well-typed proof whose shape does not fit its sizes (it cannot verify) has no version-2 form:
 * it is encoded in version 1, so that every proof round-trips exactly.
 * Decoders check the structure (lengths, ranges, no trailing bytes), not whether the proof verifies.
 * @module
 */
import { NODE_SIZE } from '../bytes.js';
import { RotorTreeError } from '../errors.js';
import { EncodedConsistencyProof, EncodedInclusionProof } from './encoded.js';
import { InclusionProofBatch } from './inclusion.js';
import { packedConsistencyIfFits, packedIfFits } from './pack.js';
import { MAX_PATH_LEVELS, consistencyPath, inclusionPath, siblingCount } from './shape.js';
import { assertConsistencyShape, assertInclusionShape } from './validate.js';
import {
  CONSISTENCY_NODES,
  FORMAT_V2,
  INCLUSION_NODES,
  KIND_CONSISTENCY,
  KIND_INCLUSION,
  readSize,
  readU32,
} from './wire.js';
import type { ConsistencyLevel, ConsistencyProof, InclusionProof, ProofLevel } from './types.js';

/** Version byte written by the encoders (format version 2); the decoders also accept version 1. */
export const PROOF_FORMAT_VERSION = FORMAT_V2;
const FORMAT_V1 = 1;

function varintLength(v: number): number {
  let len = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    len++;
  }
  return len;
}

/** Appends bytes to a buffer sized in advance. */
class Writer {
  readonly bytes: Uint8Array;
  pos = 0;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
  }
  u8(v: number): void {
    this.bytes[this.pos++] = v;
  }
  varint(v: number): void {
    while (v >= 128) {
      this.bytes[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.bytes[this.pos++] = v;
  }
  node(node: Uint8Array): void {
    this.bytes.set(node, this.pos);
    this.pos += NODE_SIZE;
  }
}

function bad(what: string): never {
  throw new RotorTreeError('INVALID_PROOF', `undecodable proof: ${what}`);
}

/** Reads bytes, throwing `INVALID_PROOF` at the end of input. */
class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
  u8(): number {
    if (this.pos >= this.bytes.length) bad('truncated');
    return this.bytes[this.pos++]!;
  }
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) bad('non-canonical varint');
        if (!Number.isSafeInteger(value)) bad('size above 2^53-1');
        return value;
      }
      if (i >= 7) bad('varint too long');
      scale *= 128;
    }
  }
  node(): Uint8Array {
    if (this.bytes.length - this.pos < NODE_SIZE) bad('truncated');
    const out = this.bytes.slice(this.pos, this.pos + NODE_SIZE);
    this.pos += NODE_SIZE;
    return out;
  }
  nodes(count: number): Uint8Array[] {
    const out = new Array<Uint8Array>(count);
    for (let i = 0; i < count; i++) out[i] = this.node();
    return out;
  }
  end(): void {
    if (this.pos !== this.bytes.length) bad('trailing bytes');
  }
}

/** The version byte (1 or 2) of an encoded proof of `kind`, and its n. */
function header(bytes: Uint8Array, kind: number): { version: number; n: number } {
  if (!(bytes instanceof Uint8Array)) bad('input is not a Uint8Array');
  if (bytes.length < 3) bad('truncated');
  const version = bytes[0]!;
  if (version !== FORMAT_V1 && version !== FORMAT_V2) bad('unknown version');
  if (bytes[1] !== kind) bad(kind === KIND_INCLUSION ? 'not an inclusion proof' : 'not a consistency proof');
  return { version, n: bytes[2]! + 1 };
}

/**
 * The binary form of an inclusion proof (format version 2). A generated or decoded proof holds it
 * already: its own `bytes` are returned, not a copy. Throws `INVALID_PROOF` for a malformed proof.
 */
export function encodeInclusionProof(proof: InclusionProof): Uint8Array {
  if (proof instanceof EncodedInclusionProof) return proof.bytes;
  assertInclusionShape(proof);
  const packed = packedIfFits(proof);
  return packed instanceof EncodedInclusionProof ? packed.bytes.slice() : encodeInclusionV1(proof);
}

/** Version 1, for a well-typed proof whose shape does not fit its sizes. */
function encodeInclusionV1(proof: InclusionProof): Uint8Array {
  let length = 3 + varintLength(proof.treeSize) + varintLength(proof.leafIndex) + 2 * NODE_SIZE + 1;
  for (const level of proof.levels) length += 2 + level.siblings.length * NODE_SIZE;
  const w = new Writer(length);
  w.u8(FORMAT_V1);
  w.u8(KIND_INCLUSION);
  w.u8(proof.n - 1);
  w.varint(proof.treeSize);
  w.varint(proof.leafIndex);
  w.node(proof.leaf);
  w.node(proof.root);
  w.u8(proof.levels.length);
  for (const level of proof.levels) {
    w.u8(level.position);
    w.u8(level.siblings.length);
    for (const s of level.siblings) w.node(s);
  }
  return w.bytes;
}

const POSITIONS = new Uint8Array(MAX_PATH_LEVELS);
const COUNTS = new Uint8Array(MAX_PATH_LEVELS);

/**
 * The version-2 inclusion proof at `bytes[at]` (its header checked against its sizes): its fields
 * and its end. Throws `INVALID_PROOF` for anything that is not one.
 */
function readInclusionV2(bytes: Uint8Array, at: number): { n: number; leafIndex: number; treeSize: number; end: number } {
  if (bytes.length - at < INCLUSION_NODES) bad('truncated');
  if (bytes[at] !== FORMAT_V2) bad('unknown version');
  if (bytes[at + 1] !== KIND_INCLUSION) bad('not an inclusion proof');
  const n = bytes[at + 2]! + 1;
  const treeSize = readSize(bytes, at + 8);
  const leafIndex = readSize(bytes, at + 16);
  if (treeSize === 0 || leafIndex >= treeSize) bad('leafIndex must be below a treeSize of at least 1');
  const levels = inclusionPath(n, leafIndex, treeSize, POSITIONS, COUNTS, 0);
  const siblings = siblingCount(COUNTS, 0, levels);
  if (bytes[at + 3] !== levels || readU32(bytes, at + 4) !== siblings) bad('the level or sibling count does not fit the sizes');
  const end = at + INCLUSION_NODES + siblings * NODE_SIZE;
  if (end > bytes.length) bad('truncated');
  return { n, leafIndex, treeSize, end };
}

/**
 * Decodes an inclusion proof (format version 2, or version 1 of earlier releases) into a proof
 * holding its own copy of the bytes. Throws `INVALID_PROOF` for anything else: truncation,
 * trailing bytes, another version or kind, out-of-range fields, counts that do not fit the sizes.
 */
export function decodeInclusionProof(bytes: Uint8Array): InclusionProof {
  const { version, n } = header(bytes, KIND_INCLUSION);
  if (version === FORMAT_V2) {
    const p = readInclusionV2(bytes, 0);
    if (p.end !== bytes.length) bad('trailing bytes');
    return new EncodedInclusionProof(bytes.slice(), 0, bytes.length, p.n, p.leafIndex, p.treeSize);
  }
  const r = new Reader(bytes);
  r.pos = 3;
  const treeSize = r.varint();
  const leafIndex = r.varint();
  const leaf = r.node();
  const root = r.node();
  const count = r.u8();
  const levels = new Array<ProofLevel>(count);
  for (let k = 0; k < count; k++) {
    const position = r.u8();
    const c = r.u8();
    if (position >= n || c >= n) bad('position or sibling count >= n');
    levels[k] = { position, siblings: r.nodes(c) };
  }
  r.end();
  return packedIfFits({ n, leafIndex, treeSize, leaf, root, levels });
}

/**
 * Decodes inclusion proofs written back to back in format version 2 (as `batch.bytes` of
 * `generateProofs`, or encoded proofs concatenated) into one batch holding a copy of the bytes.
 * Throws `INVALID_PROOF` unless `bytes` is exactly a sequence of such proofs.
 */
export function decodeInclusionProofs(bytes: Uint8Array): InclusionProofBatch {
  if (!(bytes instanceof Uint8Array)) bad('input is not a Uint8Array');
  const own = bytes.slice();
  const offsets: number[] = [];
  const ns: number[] = [];
  const leafIndexes: number[] = [];
  const treeSizes: number[] = [];
  let at = 0;
  while (at < own.length) {
    const p = readInclusionV2(own, at);
    offsets.push(at);
    ns.push(p.n);
    leafIndexes.push(p.leafIndex);
    treeSizes.push(p.treeSize);
    at = p.end;
  }
  offsets.push(at);
  return new InclusionProofBatch(own, Float64Array.from(offsets), Uint16Array.from(ns), Float64Array.from(leafIndexes), Float64Array.from(treeSizes));
}

/**
 * The binary form of a consistency proof (format version 2). A generated or decoded proof holds it
 * already: its own `bytes` are returned. Throws `INVALID_PROOF` for a malformed proof.
 */
export function encodeConsistencyProof(proof: ConsistencyProof): Uint8Array {
  if (proof instanceof EncodedConsistencyProof) return proof.bytes;
  assertConsistencyShape(proof);
  const packed = packedConsistencyIfFits(proof);
  return packed instanceof EncodedConsistencyProof ? packed.bytes.slice() : encodeConsistencyV1(proof);
}

/** Version 1, for a well-typed proof whose shape does not fit its sizes. */
function encodeConsistencyV1(proof: ConsistencyProof): Uint8Array {
  let length = 3 + varintLength(proof.oldSize) + varintLength(proof.newSize) + 3 * NODE_SIZE + 1;
  for (const level of proof.levels) length += 2 + (level.left.length + level.right.length) * NODE_SIZE;
  const w = new Writer(length);
  w.u8(FORMAT_V1);
  w.u8(KIND_CONSISTENCY);
  w.u8(proof.n - 1);
  w.varint(proof.oldSize);
  w.varint(proof.newSize);
  w.node(proof.oldRoot);
  w.node(proof.newRoot);
  w.node(proof.boundaryLeaf);
  w.u8(proof.levels.length);
  for (const level of proof.levels) {
    w.u8(level.left.length);
    w.u8(level.right.length);
    for (const s of level.left) w.node(s);
    for (const s of level.right) w.node(s);
  }
  return w.bytes;
}

/**
 * Decodes a consistency proof (format version 2, or version 1). Throws `INVALID_PROOF` for anything
 * else.
 */
export function decodeConsistencyProof(bytes: Uint8Array): ConsistencyProof {
  const { version, n } = header(bytes, KIND_CONSISTENCY);
  if (version === FORMAT_V2) {
    if (bytes.length < CONSISTENCY_NODES) bad('truncated');
    const oldSize = readSize(bytes, 8);
    const newSize = readSize(bytes, 16);
    if (oldSize === 0 || oldSize > newSize) bad('oldSize must be in 1..newSize');
    const levels = consistencyPath(n, oldSize, newSize, POSITIONS, COUNTS);
    let nodes = 0;
    for (let k = 0; k < levels; k++) nodes += POSITIONS[k]! + COUNTS[k]!;
    if (bytes[3] !== levels || readU32(bytes, 4) !== nodes) bad('the level or node count does not fit the sizes');
    if (bytes.length !== CONSISTENCY_NODES + nodes * NODE_SIZE) bad(bytes.length < CONSISTENCY_NODES + nodes * NODE_SIZE ? 'truncated' : 'trailing bytes');
    return new EncodedConsistencyProof(bytes.slice(), n, oldSize, newSize);
  }
  const r = new Reader(bytes);
  r.pos = 3;
  const oldSize = r.varint();
  const newSize = r.varint();
  const oldRoot = r.node();
  const newRoot = r.node();
  const boundaryLeaf = r.node();
  const count = r.u8();
  const levels = new Array<ConsistencyLevel>(count);
  for (let k = 0; k < count; k++) {
    const l = r.u8();
    const rc = r.u8();
    if (l + rc >= n) bad('left + right count >= n');
    const left = r.nodes(l);
    levels[k] = { left, right: r.nodes(rc) };
  }
  r.end();
  return packedConsistencyIfFits({ n, oldSize, newSize, oldRoot, newRoot, boundaryLeaf, levels });
}
