/**
 * Compact binary encodings of proofs. Both start with a version byte and a kind byte, so one
 * kind never decodes as the other. Sizes are unsigned LEB128 varints (canonical: no redundant
 * trailing 0x80 groups, at most 2^53-1); positions and counts are single bytes; nodes are raw.
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
 * Decoders check the structure (lengths, ranges, no trailing bytes), not whether the proof verifies.
 * @module
 */
import { NODE_SIZE } from '../bytes.js';
import { RotorTreeError } from '../errors.js';
import { assertConsistencyShape, assertInclusionShape } from './validate.js';
import type { ConsistencyLevel, ConsistencyProof, InclusionProof, ProofLevel } from './types.js';

/** Version byte written by the encoders (and the only one the decoders accept). */
export const PROOF_FORMAT_VERSION = 1;
const KIND_INCLUSION = 1;
const KIND_CONSISTENCY = 2;

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

function header(r: Reader, kind: number): number {
  if (!(r.bytes instanceof Uint8Array)) bad('input is not a Uint8Array');
  if (r.u8() !== PROOF_FORMAT_VERSION) bad('unknown version');
  if (r.u8() !== kind) bad(kind === KIND_INCLUSION ? 'not an inclusion proof' : 'not a consistency proof');
  return r.u8() + 1;
}

/** The binary form of an inclusion proof (layout in this module's doc). Throws `INVALID_PROOF` for a malformed proof. */
export function encodeInclusionProof(proof: InclusionProof): Uint8Array {
  assertInclusionShape(proof);
  let length = 3 + varintLength(proof.treeSize) + varintLength(proof.leafIndex) + 2 * NODE_SIZE + 1;
  for (const level of proof.levels) length += 2 + level.siblings.length * NODE_SIZE;
  const w = new Writer(length);
  w.u8(PROOF_FORMAT_VERSION);
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

/**
 * Decodes {@link encodeInclusionProof}'s output (nodes are fresh copies). Throws `INVALID_PROOF`
 * for anything else: truncation, trailing bytes, another version or kind, out-of-range fields.
 */
export function decodeInclusionProof(bytes: Uint8Array): InclusionProof {
  const r = new Reader(bytes);
  const n = header(r, KIND_INCLUSION);
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
  return { n, leafIndex, treeSize, leaf, root, levels };
}

/** The binary form of a consistency proof (layout in this module's doc). Throws `INVALID_PROOF` for a malformed proof. */
export function encodeConsistencyProof(proof: ConsistencyProof): Uint8Array {
  assertConsistencyShape(proof);
  let length = 3 + varintLength(proof.oldSize) + varintLength(proof.newSize) + 3 * NODE_SIZE + 1;
  for (const level of proof.levels) length += 2 + (level.left.length + level.right.length) * NODE_SIZE;
  const w = new Writer(length);
  w.u8(PROOF_FORMAT_VERSION);
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

/** Decodes {@link encodeConsistencyProof}'s output. Throws `INVALID_PROOF` for anything else. */
export function decodeConsistencyProof(bytes: Uint8Array): ConsistencyProof {
  const r = new Reader(bytes);
  const n = header(r, KIND_CONSISTENCY);
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
  return { n, oldSize, newSize, oldRoot, newRoot, boundaryLeaf, levels };
}
