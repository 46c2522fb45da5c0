/**
 * The WASM SIMD128 BLAKE3 kernel: hashes 4 messages at a time, one per 32-bit lane.
 * One `hashMany` call copies the messages into WASM memory, makes one WASM call per megabyte
 * of input, and copies the digests out.
 * @module
 */
import type { BoundClimbKernel, ClimbPaths } from '@rotortree/core';
import type { Blake3Kernel } from '../kernel.js';
import { readBlake3Wasm } from './wasm-file.js';

/** The part of the WebAssembly JS API used here (the ES2022 lib and @types/node 20 lack it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmModule {
  readonly __wasmModule?: never;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The exports of `blake3.wasm` (see `wasm/assembly/index.ts`). */
interface Blake3WasmExports {
  readonly memory: WasmMemory;
  dataStart(): number;
  hashMany(inPtr: number, msgLen: number, count: number, outPtr: number): void;
  hashPath(nodePtr: number, siblingsPtr: number, countsPtr: number, levels: number, outPtr: number): void;
  climbPaths(inPtr: number, offsetsPtr: number, levelsPtr: number, positionsPtr: number, countsPtr: number, count: number, outPtr: number): void;
}

/** Most levels of one climbed path: the stride of the per-path arrays (core's `CLIMB_STRIDE`). */
const CLIMB_STRIDE = 64;

/** Input bytes (plus digests) handed to one WASM call at most; bigger batches are split. */
const MAX_CALL_BYTES = 1 << 20;
/**
 * Up to this many bytes are copied 4 at a time through cached DataViews: about 2x faster than
 * `set(subarray(...))` (which allocates a view) for one 64-byte node or one digest; above it,
 * `set` wins.
 */
const SMALL_COPY = 64;
const PAGE = 65536;

const align16 = (n: number): number => (n + 15) & ~15;

function checkSpan(array: Uint8Array, offset: number, bytes: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + bytes > array.length) {
    throw new RangeError(`${what}: ${bytes} bytes at offset ${offset} do not fit in ${array.length}`);
  }
}

function checkCount(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new RangeError(`${what} must be an integer in [0, 2^31), got ${value}`);
  }
}

let cachedModule: WasmModule | undefined;

/** The compiled module, compiled once per process. Throws if WASM SIMD is not supported. */
function blake3Module(): WasmModule {
  cachedModule ??= new WebAssemblyApi.Module(readBlake3Wasm());
  return cachedModule;
}

/** A kernel over a fresh instance of the module (its own memory). */
export function createWasmKernel(): Blake3Kernel {
  const wasm = new WebAssemblyApi.Instance(blake3Module(), {}).exports as unknown as Blake3WasmExports;
  const memory = wasm.memory;
  const base = wasm.dataStart();
  let mem = new Uint8Array(memory.buffer);
  let memView = new DataView(memory.buffer);
  // DataViews of the last two caller buffers seen (typically one input and one output arena).
  // They keep those two buffers reachable until two other buffers have been used.
  let bufA: ArrayBufferLike | undefined;
  let viewA: DataView | undefined;
  let bufB: ArrayBufferLike | undefined;
  let viewB: DataView | undefined;

  function viewOf(buffer: ArrayBufferLike): DataView {
    if (buffer === bufA) return viewA!;
    if (buffer === bufB) return viewB!;
    bufB = bufA;
    viewB = viewA;
    bufA = buffer;
    viewA = new DataView(buffer);
    return viewA;
  }

  /** Makes [base, base + bytes) addressable, growing memory (and renewing the views) if needed. */
  function reserve(bytes: number): void {
    const needed = base + bytes;
    if (needed > mem.length) {
      memory.grow(Math.ceil((needed - mem.length) / PAGE));
      mem = new Uint8Array(memory.buffer);
      memView = new DataView(memory.buffer);
    }
  }

  /** Copies len bytes from src[srcOff] into WASM memory at ptr. */
  function copyIn(src: Uint8Array, srcOff: number, len: number, ptr: number): void {
    if (len > SMALL_COPY) {
      mem.set(src.subarray(srcOff, srcOff + len), ptr);
      return;
    }
    const words = len & ~3;
    const view = viewOf(src.buffer);
    const from = src.byteOffset + srcOff;
    for (let i = 0; i < words; i += 4) memView.setInt32(ptr + i, view.getInt32(from + i, true), true);
    for (let i = words; i < len; i++) mem[ptr + i] = src[srcOff + i]!;
  }

  /** Copies len bytes from WASM memory at ptr to dst[dstOff]. */
  function copyOut(ptr: number, len: number, dst: Uint8Array, dstOff: number): void {
    if (len > SMALL_COPY) {
      dst.set(mem.subarray(ptr, ptr + len), dstOff);
      return;
    }
    const view = viewOf(dst.buffer);
    const to = dst.byteOffset + dstOff;
    for (let i = 0; i < len; i += 4) view.setInt32(to + i, memView.getInt32(ptr + i, true), true);
  }

  return {
    backend: 'wasm',

    hashMany(input, inOffset, msgLen, count, out, outOffset) {
      checkCount(msgLen, 'msgLen');
      checkCount(count, 'count');
      checkSpan(input, inOffset, msgLen * count, 'hashMany input');
      checkSpan(out, outOffset, 32 * count, 'hashMany out');
      if (count === 0) return;
      // Messages per WASM call: a multiple of 4 (all lanes busy) within MAX_CALL_BYTES.
      const perCall = Math.min(count, Math.max(4, Math.floor(MAX_CALL_BYTES / (msgLen + 32)) & ~3));
      const outPtr = base + align16(perCall * msgLen);
      reserve(outPtr - base + 32 * perCall);
      for (let done = 0; done < count; done += perCall) {
        const n = Math.min(perCall, count - done);
        copyIn(input, inOffset + done * msgLen, n * msgLen, base);
        wasm.hashMany(base, msgLen, n, outPtr);
        copyOut(outPtr, 32 * n, out, outOffset + 32 * done);
      }
    },

    hashPath(node, nodeOffset, siblings, counts, levels, out) {
      checkCount(levels, 'levels');
      checkSpan(node, nodeOffset, 32, 'hashPath node');
      checkSpan(counts, 0, levels, 'hashPath counts');
      checkSpan(out, 0, 32 * levels, 'hashPath out');
      if (levels === 0) return;
      let siblingBytes = 0;
      for (let k = 0; k < levels; k++) siblingBytes += 32 * counts[k]!;
      checkSpan(siblings, 0, siblingBytes, 'hashPath siblings');
      const nodePtr = base;
      const countsPtr = base + 32;
      const siblingsPtr = countsPtr + align16(levels);
      const outPtr = siblingsPtr + align16(siblingBytes);
      reserve(outPtr - base + 32 * levels);
      copyIn(node, nodeOffset, 32, nodePtr);
      copyIn(counts, 0, levels, countsPtr);
      copyIn(siblings, 0, siblingBytes, siblingsPtr);
      wasm.hashPath(nodePtr, siblingsPtr, countsPtr, levels, outPtr);
      copyOut(outPtr, 32 * levels, out, 0);
    },

    bindClimb(paths: ClimbPaths): BoundClimbKernel {
      const { offsets, levels, positions, counts, out } = paths;
      const capacity = levels.length;
      if (offsets.length < capacity || positions.length < capacity * CLIMB_STRIDE || counts.length < capacity * CLIMB_STRIDE || out.length < capacity * 32) {
        throw new RangeError("paths' arrays are too short for paths.levels.length paths");
      }
      const nodeBytes = new Float64Array(capacity);
      return (input, count) => {
        checkCount(count, 'count');
        if (count > capacity) throw new RangeError('count exceeds the bound paths');
        // Check every path first, then climb them in calls of at most MAX_CALL_BYTES of packed paths.
        for (let i = 0; i < count; i++) {
          const levelCount = levels[i]!;
          if (levelCount > CLIMB_STRIDE) throw new RangeError(`path ${i}: more than ${CLIMB_STRIDE} levels`);
          let siblings = 0;
          for (let k = 0; k < levelCount; k++) {
            if (positions[i * CLIMB_STRIDE + k]! > counts[i * CLIMB_STRIDE + k]!) throw new RangeError(`path ${i}: a position is past its sibling count`);
            siblings += counts[i * CLIMB_STRIDE + k]!;
          }
          nodeBytes[i] = (siblings + 1) * 32;
          checkSpan(input, offsets[i]!, nodeBytes[i]!, `climb path ${i}`);
        }
        for (let first = 0; first < count; ) {
          let end = first;
          let packed = 0;
          while (end < count && (end === first || packed + nodeBytes[end]! <= MAX_CALL_BYTES)) packed += nodeBytes[end++]!;
          const m = end - first;
          const offsetsPtr = base + align16(packed);
          const levelsPtr = offsetsPtr + align16(4 * m);
          const positionsPtr = levelsPtr + align16(m);
          const countsPtr = positionsPtr + m * CLIMB_STRIDE;
          const outPtr = countsPtr + m * CLIMB_STRIDE;
          reserve(outPtr - base + 32 * m);
          for (let i = first, at = 0; i < end; i++) {
            copyIn(input, offsets[i]!, nodeBytes[i]!, base + at);
            memView.setUint32(offsetsPtr + 4 * (i - first), at, true);
            at += nodeBytes[i]!;
          }
          copyIn(levels, first, m, levelsPtr);
          copyIn(positions, first * CLIMB_STRIDE, m * CLIMB_STRIDE, positionsPtr);
          copyIn(counts, first * CLIMB_STRIDE, m * CLIMB_STRIDE, countsPtr);
          wasm.climbPaths(base, offsetsPtr, levelsPtr, positionsPtr, countsPtr, m, outPtr);
          copyOut(outPtr, 32 * m, out, 32 * first);
          first = end;
        }
      };
    },
  };
}

let cachedKernel: Blake3Kernel | undefined;

/**
 * The WASM SIMD BLAKE3 kernel (backend `"wasm"`), created on first use and then shared (it keeps
 * no state between calls). Throws if the runtime lacks WebAssembly SIMD or the binary is missing.
 */
export function loadWasmKernel(): Blake3Kernel {
  cachedKernel ??= createWasmKernel();
  return cachedKernel;
}
