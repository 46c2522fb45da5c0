// BLAKE3-256 batch kernel (AssemblyScript, WASM SIMD128), written from the BLAKE3 specification.
// Many equal-length messages are hashed 4 at a time, one message per i32 lane: all 4 lanes walk the
// same chunks and blocks in lockstep (same length), so the chunk tree is also the same for all lanes
// and its parent nodes are compressed 4 at a time from transposed CVs.
// The JS loader owns the memory above dataStart(); the static scratch below it is private.

import { compress1, compress4Lanes, compress4Parent } from './compress';

const CHUNK_START: u32 = 1;
const CHUNK_END: u32 = 2;
const PARENT: u32 = 4;
const ROOT: u32 = 8;
const CHUNK_LEN: u32 = 1024;
const BLOCK_LEN: u32 = 64;
/** Bytes of a transposed 4-lane CV (8 words x 4 lanes). */
const CV4_BYTES: usize = 128;
/** Enough CV stack entries for any message that fits in 4 GiB of memory (2^22 chunks). */
const STACK_ENTRIES: i32 = 32;

const CV4: usize = memory.data(128, 16);
const PAD4: usize = memory.data(4 * 64, 16);
const STACK4: usize = memory.data(128 * STACK_ENTRIES, 16);
const CV1: usize = memory.data(32, 16);
const PAD1: usize = memory.data(64, 16);
/** Where digests of unused lanes go. */
const SINK: usize = memory.data(32, 16);
/** hashPath's message: up to 255 siblings and the node. */
const PATH_MSG: usize = memory.data(256 * 32, 16);

/** First byte of the region the JS loader may use (16-byte aligned). */
export function dataStart(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

function initCv4(cv: usize): void {
  v128.store(cv, i32x4.splat(0x6a09e667), 0);
  v128.store(cv, i32x4.splat(0xbb67ae85), 16);
  v128.store(cv, i32x4.splat(0x3c6ef372), 32);
  v128.store(cv, i32x4.splat(0xa54ff53a), 48);
  v128.store(cv, i32x4.splat(0x510e527f), 64);
  v128.store(cv, i32x4.splat(0x9b05688c), 80);
  v128.store(cv, i32x4.splat(0x1f83d9ab), 96);
  v128.store(cv, i32x4.splat(0x5be0cd19), 112);
}

function initCv1(cv: usize): void {
  store<u32>(cv, 0x6a09e667, 0);
  store<u32>(cv, 0xbb67ae85, 4);
  store<u32>(cv, 0x3c6ef372, 8);
  store<u32>(cv, 0xa54ff53a, 12);
  store<u32>(cv, 0x510e527f, 16);
  store<u32>(cv, 0x9b05688c, 20);
  store<u32>(cv, 0x1f83d9ab, 24);
  store<u32>(cv, 0x5be0cd19, 28);
}

/**
 * One chunk (len 0..1024 bytes) of each of 4 lanes into the transposed CV at cv.
 * lastFlags is CHUNK_END, plus ROOT when the chunk is the whole message.
 */
function chunk4(p0: usize, p1: usize, p2: usize, p3: usize, len: u32, counter: u32, lastFlags: u32, cv: usize): void {
  initCv4(cv);
  let flags = CHUNK_START;
  let off: u32 = 0;
  while (len - off > BLOCK_LEN) {
    compress4Lanes(p0 + off, p1 + off, p2 + off, p3 + off, cv, counter, BLOCK_LEN, flags);
    flags = 0;
    off += BLOCK_LEN;
  }
  const rem = len - off;
  if (rem == BLOCK_LEN) {
    compress4Lanes(p0 + off, p1 + off, p2 + off, p3 + off, cv, counter, BLOCK_LEN, flags | lastFlags);
  } else {
    // A short last block is zero-padded; reading it in place would read the next message.
    memory.fill(PAD4, 0, 4 * 64);
    memory.copy(PAD4, p0 + off, rem);
    memory.copy(PAD4 + 64, p1 + off, rem);
    memory.copy(PAD4 + 128, p2 + off, rem);
    memory.copy(PAD4 + 192, p3 + off, rem);
    compress4Lanes(PAD4, PAD4 + 64, PAD4 + 128, PAD4 + 192, cv, counter, rem, flags | lastFlags);
  }
}

/** Writes the 32-byte digests of the 4 lanes of the transposed CV at cv to o0..o3. */
function store4(cv: usize, o0: usize, o1: usize, o2: usize, o3: usize): void {
  for (let half: usize = 0; half < 2; half++) {
    const base = cv + 64 * half;
    const w0 = v128.load(base, 0);
    const w1 = v128.load(base, 16);
    const w2 = v128.load(base, 32);
    const w3 = v128.load(base, 48);
    const lo01 = v128.shuffle<u32>(w0, w1, 0, 4, 1, 5);
    const hi01 = v128.shuffle<u32>(w0, w1, 2, 6, 3, 7);
    const lo23 = v128.shuffle<u32>(w2, w3, 0, 4, 1, 5);
    const hi23 = v128.shuffle<u32>(w2, w3, 2, 6, 3, 7);
    const at = 16 * half;
    v128.store(o0 + at, v128.shuffle<u64>(lo01, lo23, 0, 2));
    v128.store(o1 + at, v128.shuffle<u64>(lo01, lo23, 1, 3));
    v128.store(o2 + at, v128.shuffle<u64>(hi01, hi23, 0, 2));
    v128.store(o3 + at, v128.shuffle<u64>(hi01, hi23, 1, 3));
  }
}

/** BLAKE3-256 of 4 messages of len bytes each (any len), digests to o0..o3. */
function hash4(p0: usize, p1: usize, p2: usize, p3: usize, len: u32, o0: usize, o1: usize, o2: usize, o3: usize): void {
  if (len <= CHUNK_LEN) {
    chunk4(p0, p1, p2, p3, len, 0, CHUNK_END | ROOT, CV4);
    store4(CV4, o0, o1, o2, o3);
    return;
  }
  const chunks = (len + CHUNK_LEN - 1) / CHUNK_LEN;
  // Every chunk but the last is final once hashed: push its CV, merging completed subtrees
  // (after chunk i, as many merges as trailing zero bits of i + 1).
  let sp = STACK4;
  for (let i: u32 = 0; i < chunks - 1; i++) {
    const off = i * CHUNK_LEN;
    chunk4(p0 + off, p1 + off, p2 + off, p3 + off, CHUNK_LEN, i, CHUNK_END, CV4);
    let total = i + 1;
    while ((total & 1) == 0) {
      sp -= CV4_BYTES;
      compress4Parent(sp, CV4, CV4, PARENT);
      total >>= 1;
    }
    memory.copy(sp, CV4, CV4_BYTES);
    sp += CV4_BYTES;
  }
  const last = chunks - 1;
  const off = last * CHUNK_LEN;
  chunk4(p0 + off, p1 + off, p2 + off, p3 + off, len - off, last, CHUNK_END, CV4);
  // Fold the stack right to left; the final (top) parent is the root.
  while (sp - CV4_BYTES > STACK4) {
    sp -= CV4_BYTES;
    compress4Parent(sp, CV4, CV4, PARENT);
  }
  compress4Parent(STACK4, CV4, CV4, PARENT | ROOT);
  store4(CV4, o0, o1, o2, o3);
}

/** BLAKE3-256 of one message of len bytes, digest to o. Scalar for one chunk. */
function hashOne(p: usize, len: u32, o: usize): void {
  if (len > CHUNK_LEN) {
    hash4(p, p, p, p, len, o, SINK, SINK, SINK);
    return;
  }
  initCv1(CV1);
  let flags = CHUNK_START;
  let off: u32 = 0;
  while (len - off > BLOCK_LEN) {
    compress1(p + off, CV1, 0, BLOCK_LEN, flags);
    flags = 0;
    off += BLOCK_LEN;
  }
  const rem = len - off;
  if (rem == BLOCK_LEN) {
    compress1(p + off, CV1, 0, BLOCK_LEN, flags | CHUNK_END | ROOT);
  } else {
    memory.fill(PAD1, 0, 64);
    memory.copy(PAD1, p + off, rem);
    compress1(PAD1, CV1, 0, rem, flags | CHUNK_END | ROOT);
  }
  memory.copy(o, CV1, 32);
}

/**
 * BLAKE3-256 of count messages of msgLen bytes stored back to back at inPtr;
 * digest i to outPtr + 32 * i.
 */
export function hashMany(inPtr: usize, msgLen: u32, count: u32, outPtr: usize): void {
  let i: u32 = 0;
  const stride4 = 4 * <usize>msgLen;
  let p = inPtr;
  let o = outPtr;
  for (; count - i >= 4; i += 4) {
    hash4(p, p + msgLen, p + 2 * msgLen, p + 3 * msgLen, msgLen, o, o + 32, o + 64, o + 96);
    p += stride4;
    o += 128;
  }
  const rest = count - i;
  if (rest == 1) {
    hashOne(p, msgLen, o);
  } else if (rest == 2) {
    hash4(p, p + msgLen, p, p, msgLen, o, o + 32, SINK, SINK);
  } else if (rest == 3) {
    hash4(p, p + msgLen, p + 2 * msgLen, p, msgLen, o, o + 32, o + 64, SINK);
  }
}

/**
 * Hasher.hashPath: level k's parent is BLAKE3(counts[k] siblings || node), or the node itself
 * when counts[k] is 0; the node after level k goes to outPtr + 32 * k.
 */
export function hashPath(nodePtr: usize, siblingsPtr: usize, countsPtr: usize, levels: u32, outPtr: usize): void {
  let cur = nodePtr;
  let sib = siblingsPtr;
  for (let k: u32 = 0; k < levels; k++) {
    const o = outPtr + 32 * k;
    const c: u32 = load<u8>(countsPtr + k);
    if (c == 0) {
      memory.copy(o, cur, 32);
    } else {
      const len = c * 32;
      memory.copy(PATH_MSG, sib, len);
      memory.copy(PATH_MSG + len, cur, 32);
      hashOne(PATH_MSG, len + 32, o);
      sib += len;
    }
    cur = o;
  }
}

/**
 * Hasher.bindClimb's climb, for `count` paths: path i's node is at inPtr + offsets[i] (u32), directly
 * followed by its siblings; its level count is levels[i] (u8), and per level k its position and
 * sibling count are at positionsPtr / countsPtr + 64 * i + k (u8). Root i goes to outPtr + 32 * i.
 * The JS loader has checked every path against the input.
 */
export function climbPaths(inPtr: usize, offsetsPtr: usize, levelsPtr: usize, positionsPtr: usize, countsPtr: usize, count: u32, outPtr: usize): void {
  for (let i: u32 = 0; i < count; i++) {
    const node = inPtr + <usize>load<u32>(offsetsPtr + 4 * <usize>i);
    const levels: u32 = load<u8>(levelsPtr + <usize>i);
    const positions = positionsPtr + 64 * <usize>i;
    const counts = countsPtr + 64 * <usize>i;
    const cur = outPtr + 32 * <usize>i;
    memory.copy(cur, node, 32);
    let sib = node + 32;
    for (let k: u32 = 0; k < levels; k++) {
      const c: u32 = load<u8>(counts + k);
      if (c == 0) continue;
      const p: u32 = load<u8>(positions + k);
      memory.copy(PATH_MSG, sib, p * 32);
      memory.copy(PATH_MSG + p * 32, cur, 32);
      memory.copy(PATH_MSG + (p + 1) * 32, sib + p * 32, (c - p) * 32);
      hashOne(PATH_MSG, (c + 1) * 32, cur);
      sib += c * 32;
    }
  }
}
