/**
 * insertMany of batches longer than one slice (32768 leaves): the leaves go into level 0 a slice at a
 * time, the full groups of each slice are hashed before the next one is stored ("hash-ahead"), and new
 * chunks the batch fills are not zero-filled. Checked node by node against the same leaves inserted in
 * batches shorter than a slice (the path without hash-ahead), for several n and starting sizes, with a
 * snapshot taken before, and with the hasher failing partway.
 */
import { describe, expect, it } from 'vitest';
import { allocUnfilled } from '../src/bytes.js';
import { LeanIMT } from '../src/tree/lean-imt.js';
import type { TreeView } from '../src/tree/view.js';
import { flatLeaves, hasherFailingWhile, mixHasher } from './support/batches.js';

const SLICE = 32_768;
const BIG = 2 * SLICE + 1234; // three slices, the last one short

/** A tree of `count` leaves (numbered from 0) inserted in batches of at most `step` leaves. */
function inSteps(n: number, count: number, step: number): LeanIMT {
  const t = new LeanIMT({ hasher: mixHasher, n, maxDepth: 20 });
  for (let at = 0; at < count; at += step) t.insertMany(flatLeaves(Math.min(step, count - at), at));
  return t;
}

/** Same size, depth, level lengths and every node (byte comparison: expect per node is too slow here). */
function expectSameNodes(got: TreeView, want: TreeView): void {
  expect(got.size).toBe(want.size);
  expect(got.depth).toBe(want.depth);
  for (let k = 0; k <= want.depth; k++) {
    expect(got.levelLength(k)).toBe(want.levelLength(k));
    let differing = -1;
    for (let i = 0; i < want.levelLength(k) && differing < 0; i++) {
      if (Buffer.compare(got.getNode(k, i), want.getNode(k, i)) !== 0) differing = i;
    }
    expect(differing, `first differing node of level ${k}`).toBe(-1);
  }
}

describe('LeanIMT: batches of several slices', () => {
  for (const n of [2, 3, 4, 16, 17]) {
    it(`n=${n}: one batch equals the same leaves in short batches, from any starting size`, () => {
      for (const oldSize of [0, 1, 4093]) {
        const t = inSteps(n, oldSize, 997);
        const before = t.snapshot();
        const root = t.insertMany(flatLeaves(BIG, oldSize));
        const want = inSteps(n, oldSize + BIG, 997);
        expect(Buffer.compare(root, want.root!)).toBe(0);
        expectSameNodes(t, want);
        if (oldSize > 0) expectSameNodes(before, inSteps(n, oldSize, 997)); // the snapshot did not move
        // Growing on from there still agrees.
        t.insertMany(flatLeaves(SLICE + 7, oldSize + BIG));
        expectSameNodes(t, inSteps(n, oldSize + BIG + SLICE + 7, 997));
      }
    });
  }

  for (const n of [4, 17]) {
    it(`n=${n}: a transferred buffer and an array (whose flat copy the tree keeps) give the same tree`, () => {
      for (const oldSize of [0, 4093]) {
        const want = inSteps(n, oldSize + BIG, 997);
        const byTransfer = inSteps(n, oldSize, 997);
        const before = byTransfer.snapshot();
        const buf = flatLeaves(BIG, oldSize);
        byTransfer.insertMany(buf, { transfer: true });
        expect(buf.length).toBe(0); // detached: the tree has its memory now
        expectSameNodes(byTransfer, want);
        if (oldSize > 0) expectSameNodes(before, inSteps(n, oldSize, 997));
        const byArray = inSteps(n, oldSize, 997);
        const flat = flatLeaves(BIG, oldSize);
        byArray.insertMany(Array.from({ length: BIG }, (_, i) => flat.subarray(i * 32, i * 32 + 32)));
        expectSameNodes(byArray, want);
        // Kept chunks are never written again: growing on leaves the transferred bytes as they were.
        byTransfer.insertMany(flatLeaves(SLICE + 7, oldSize + BIG), { transfer: true });
        byArray.insertMany(flatLeaves(SLICE + 7, oldSize + BIG));
        expectSameNodes(byTransfer, inSteps(n, oldSize + BIG + SLICE + 7, 997));
        expectSameNodes(byArray, byTransfer);
      }
    });
  }

  it('transfer: refused buffers change nothing and stay attached; once accepted, a hasher failure still leaves the tree as it was', () => {
    const t = inSteps(4, 4093, 997);
    const whole = flatLeaves(BIG, 4093);
    expect(() => t.insertMany(whole.subarray(32), { transfer: true })).toThrow(TypeError);
    expect(() => t.insertMany(new Uint8Array(new SharedArrayBuffer(BIG * 32)), { transfer: true })).toThrow(TypeError);
    const small = new LeanIMT({ hasher: mixHasher, n: 4, maxDepth: 3 }); // 64 leaves at most
    const tooMany = flatLeaves(65, 0);
    expect(() => small.insertMany(tooMany, { transfer: true })).toThrow(expect.objectContaining({ code: 'MAX_DEPTH_EXCEEDED' }));
    expect(tooMany.length).toBe(65 * 32);
    expect(whole.length).toBe(BIG * 32);
    expectSameNodes(t, inSteps(4, 4093, 997));

    let armed = false;
    const flaky = new LeanIMT({ hasher: hasherFailingWhile(mixHasher, () => armed), n: 4, maxDepth: 20 });
    flaky.insertMany(flatLeaves(4093, 0));
    armed = true;
    expect(() => flaky.insertMany(whole, { transfer: true })).toThrow('hasher failure');
    armed = false;
    expect(whole.length).toBe(0); // taken before hashing
    expectSameNodes(flaky, inSteps(4, 4093, 997));
    // The failed batch's chunks are still there past the end: the next batch replaces them.
    flaky.insertMany(flatLeaves(BIG, 4093), { transfer: true });
    expectSameNodes(flaky, inSteps(4, 4093 + BIG, 997));
  });

  it('is atomic when the hasher fails while slices are still being stored', () => {
    for (const failAtCall of [1, 7, 40]) {
      let calls = 0;
      let armed = false;
      const flaky = hasherFailingWhile(mixHasher, () => armed && ++calls === failAtCall);
      const t = new LeanIMT({ hasher: flaky, n: 4, maxDepth: 20 });
      t.insertMany(flatLeaves(4093, 0));
      armed = true;
      expect(() => t.insertMany(flatLeaves(BIG, 4093))).toThrow('hasher failure');
      armed = false;
      expectSameNodes(t, inSteps(4, 4093, 997));
      // The failed batch left nothing visible: the same batch again gives the tree of all the leaves.
      t.insertMany(flatLeaves(BIG, 4093));
      expectSameNodes(t, inSteps(4, 4093 + BIG, 997));
    }
  });

  it('is atomic when a leaf of an array is bad after slices were already stored and hashed', () => {
    for (const badAt of [0, SLICE - 1, SLICE + 5, BIG - 1]) {
      const t = inSteps(4, 4093, 997);
      const flat = flatLeaves(BIG, 4093);
      const leaves = Array.from({ length: BIG }, (_, i) => flat.subarray(i * 32, i * 32 + 32));
      const bad = leaves.slice();
      bad[badAt] = new Uint8Array(31);
      expect(() => t.insertMany(bad)).toThrow(expect.objectContaining({ code: 'INVALID_NODE' }));
      expectSameNodes(t, inSteps(4, 4093, 997));
      // Leaves of their own (copied one by one) and views (copied as runs) give the same tree.
      t.insertMany(badAt % 2 === 0 ? leaves : leaves.map((l) => l.slice()));
      expectSameNodes(t, inSteps(4, 4093 + BIG, 997));
    }
  });

  it('takes unfilled chunks as plain Uint8Arrays over their own buffer (one typed-array shape on the hot paths)', () => {
    const chunk = allocUnfilled(32 * 1024);
    expect(Object.getPrototypeOf(chunk)).toBe(Uint8Array.prototype); // not a Node Buffer
    expect(chunk.byteOffset).toBe(0);
    expect(chunk.buffer.byteLength).toBe(32 * 1024); // not a slice of a shared pool
  });
});
