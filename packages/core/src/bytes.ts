/**
 * Node-size constants and the validation/normalisation of leaf input.
 * @module
 */
import { RotorTreeError } from './errors.js';

/** Bytes in one node (leaf or inner). */
export const NODE_SIZE = 32;

/** Node's `Buffer`, when this runs under Node (core imports no Node module: looked up, not imported). */
const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;

/**
 * A fresh `bytes`-long buffer whose content is unspecified: under Node it is not zero-filled (a
 * memset of every new tree chunk was ~10% of a large insertMany), elsewhere it is zeros. Only for
 * storage whose every byte is written before it is read or handed out. A plain `Uint8Array` over its
 * own ArrayBuffer (offset 0), never Node's pool, so that hot paths see one typed-array shape.
 */
export function allocUnfilled(bytes: number): Uint8Array {
  if (nodeBuffer === undefined) return new Uint8Array(bytes);
  return new Uint8Array(nodeBuffer.allocUnsafeSlow(bytes).buffer, 0, bytes);
}

/** Copies one 32-byte node (a loop: cheaper than creating a subarray view for 32 bytes). */
export function copyNode(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number): void {
  for (let i = 0; i < NODE_SIZE; i++) dst[dstOffset + i] = src[srcOffset + i]!;
}

/** Copies `nodes` (32 bytes each) to `dst[at]` one after another; returns where the next one goes. */
export function writeNodes(dst: Uint8Array, at: number, nodes: readonly Uint8Array[]): number {
  for (const node of nodes) {
    dst.set(node, at);
    at += NODE_SIZE;
  }
  return at;
}

/** Throws `INVALID_NODE` unless `node` is a 32-byte Uint8Array. */
export function assertNode(node: unknown, what = 'leaf'): asserts node is Uint8Array {
  if (!(node instanceof Uint8Array) || node.length !== NODE_SIZE) {
    const got = node instanceof Uint8Array ? `${node.length} bytes` : typeof node;
    throw new RotorTreeError('INVALID_NODE', `${what} must be a ${NODE_SIZE}-byte Uint8Array, got ${got}`);
  }
}

/**
 * Number of leaves in `leaves` (one flat buffer of k*32 bytes, or an array of nodes), checking the
 * container only (an array's elements are checked as they are copied, see {@link copyLeaves}).
 * Throws `EMPTY_BATCH` for no leaves, `INVALID_NODE` for a flat buffer not k*32 bytes long, and
 * `TypeError` for anything else.
 */
export function leafCount(leaves: Uint8Array | readonly Uint8Array[]): number {
  if (leaves instanceof Uint8Array) {
    if (leaves.length === 0) throw new RotorTreeError('EMPTY_BATCH', 'insertMany needs at least one leaf');
    if (leaves.length % NODE_SIZE !== 0) {
      throw new RotorTreeError('INVALID_NODE', `a flat leaf buffer must hold k*${NODE_SIZE} bytes, got ${leaves.length}`);
    }
    return leaves.length / NODE_SIZE;
  }
  if (!Array.isArray(leaves)) throw new TypeError('leaves must be a Uint8Array or an array of Uint8Array');
  if (leaves.length === 0) throw new RotorTreeError('EMPTY_BATCH', 'insertMany needs at least one leaf');
  return leaves.length;
}

/**
 * Leaves as one flat buffer of k*32 bytes. An array of nodes is validated and copied into
 * one buffer; a flat buffer is validated and returned as is (no copy).
 * Throws `EMPTY_BATCH` for no leaves and `INVALID_NODE` for a wrong size.
 */
export function flattenLeaves(leaves: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const count = leafCount(leaves);
  if (leaves instanceof Uint8Array) return leaves;
  const flat = allocUnfilled(count * NODE_SIZE); // every byte is written below
  copyLeaves(leaves, 0, count, flat, 0);
  return flat;
}

/**
 * Copies `leaves[from .. from + count)` to `dst[at]`, checking each one (`INVALID_NODE`, naming its
 * index, for anything but a 32-byte Uint8Array). Leaves that are consecutive views of one buffer
 * (subarrays of a flat buffer, Node's pooled Buffers) are copied as one run. Only a view at a non-zero
 * offset is looked at that way: asking a small array of its own for its buffer would move it off the heap.
 */
export function copyLeaves(leaves: readonly Uint8Array[], from: number, count: number, dst: Uint8Array, at: number): void {
  const end = from + count;
  for (let i = from; i < end; ) {
    const leaf: unknown = leaves[i];
    if (!isNode(leaf)) assertNode(leaf, `leaves[${i}]`);
    const offset = leaf.byteOffset;
    let last = i + 1;
    if (offset !== 0) {
      const buffer = leaf.buffer;
      for (let next = offset + NODE_SIZE; last < end; last++, next += NODE_SIZE) {
        const other: unknown = leaves[last];
        if (!isNode(other) || other.byteOffset !== next || other.buffer !== buffer) break;
      }
    }
    const o = at + (i - from) * NODE_SIZE;
    if (last - i === 1) dst.set(leaf, o);
    else dst.set(new Uint8Array(leaf.buffer, offset, (last - i) * NODE_SIZE), o);
    i = last;
  }
}

/** True for a 32-byte Uint8Array. */
function isNode(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === NODE_SIZE;
}

/**
 * The memory of `leaves` as a new array, with `leaves`' ArrayBuffer transferred (detached for the
 * caller): for insertMany's `transfer` option. Throws `TypeError` (nothing detached) unless `leaves`
 * spans its whole, transferable ArrayBuffer.
 */
export function transferLeaves(leaves: Uint8Array): Uint8Array {
  const buffer = leaves.buffer;
  if (!(buffer instanceof ArrayBuffer) || leaves.byteOffset !== 0 || leaves.byteLength !== buffer.byteLength) {
    throw new TypeError('transfer needs a Uint8Array spanning its whole ArrayBuffer (byteOffset 0, every byte, not shared)');
  }
  let moved: ArrayBuffer;
  try {
    moved = structuredClone(buffer, { transfer: [buffer] });
  } catch (cause) {
    throw new TypeError('the leaves\' ArrayBuffer cannot be transferred', { cause });
  }
  return new Uint8Array(moved);
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return s;
}

/** Bytes of a hex string (even length, no prefix); throws `TypeError` on bad input. */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError('expected an even-length hex string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Constant-shape byte equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
