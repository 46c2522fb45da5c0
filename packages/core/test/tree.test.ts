import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LeanIMT } from '../src/tree/lean-imt.js';
import { toHex } from '../src/bytes.js';
import type { Hasher } from '../src/hasher.js';
import { leaf, naiveLevels, naiveRoot, testHasher } from './support/naive-tree.js';
import { codeOf } from './support/outcomes.js';

const leaves = (count: number, from = 0): Uint8Array[] => Array.from({ length: count }, (_, i) => leaf(from + i + 1));

/** Every node of every level equals the naive model's. */
function expectSameAsNaive(tree: LeanIMT, all: Uint8Array[]): void {
  expect(tree.size).toBe(all.length);
  const levels = all.length === 0 ? [] : naiveLevels(all, tree.n);
  expect(tree.depth).toBe(Math.max(0, levels.length - 1));
  for (let k = 0; k < levels.length; k++) {
    expect(tree.levelLength(k)).toBe(levels[k]!.length);
    for (let i = 0; i < levels[k]!.length; i++) expect(toHex(tree.getNode(k, i))).toBe(toHex(levels[k]![i]!));
  }
  expect(tree.levelLength(levels.length)).toBe(0);
  const root = naiveRoot(all, tree.n);
  expect(tree.root === undefined ? undefined : toHex(tree.root)).toBe(root === undefined ? undefined : toHex(root));
}

describe('LeanIMT: vectors computed from the Rust crate 0.19 rules (research/rotortree.md §2)', () => {
  it('N=4, 5 leaves: P0 and root; N=4, 6 leaves: P1 and root; N=2, 3 leaves: root', () => {
    const t4 = new LeanIMT({ hasher: testHasher, n: 4, maxDepth: 20 });
    t4.insertMany(leaves(5));
    expect(toHex(t4.getNode(1, 0))).toBe('c128757f7f9f5f18ebcc132b1123eb6bc0c96417b273d66051180b43e7d8f67c');
    expect(toHex(t4.root!)).toBe('205e7b17d010fbae5fef262877a7daad9b0e5a7a779d021a8940cc73d46b7d73');
    expect(toHex(t4.getNode(1, 1))).toBe(toHex(leaf(5))); // lifted
    t4.insert(leaf(6));
    expect(toHex(t4.getNode(1, 1))).toBe('aecebd84cbd4f2213609e9108286ab4880878afa0b46a1f99be1754751b3368f');
    expect(toHex(t4.root!)).toBe('b7d49e6d1137eea4fade08a7f533b94bc309edb4a9187083311a7a764ab60959');
    const t2 = new LeanIMT({ hasher: testHasher, n: 2, maxDepth: 20 });
    for (const l of leaves(3)) t2.insert(l);
    expect(toHex(t2.root!)).toBe('1ce645d96d15f895eb866ece02a7f943583f7d0e6ebeb65cccc132fa22d2a85b');
  });

  it('empty tree has no root and depth 0; one leaf is the root', () => {
    const t = new LeanIMT({ hasher: testHasher, n: 3, maxDepth: 4 });
    expect(t.root).toBeUndefined();
    expect(t.depth).toBe(0);
    expect(t.size).toBe(0);
    const r = t.insert(leaf(7));
    expect(toHex(r)).toBe(toHex(leaf(7)));
    expect(t.depth).toBe(0);
  });
});

describe('LeanIMT: against the naive model', () => {
  it('one-by-one inserts give every level of the naive tree, for N in 2..17', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 17 }), fc.integer({ min: 0, max: 300 }), (n, size) => {
        const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 12 });
        const all = leaves(size);
        for (const l of all) {
          const root = tree.insert(l);
          expect(toHex(root)).toBe(toHex(tree.root!));
        }
        expectSameAsNaive(tree, all);
      }),
      { numRuns: 60 },
    );
  });

  it('insertMany in any split (arrays or flat buffers) equals one-by-one insert', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 17 }),
        fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (n, splits, flat) => {
          const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 12 });
          const all: Uint8Array[] = [];
          for (const count of splits) {
            const batch = leaves(count, all.length);
            all.push(...batch);
            const input = flat ? Buffer.concat(batch) : batch;
            const root = tree.insertMany(flat ? new Uint8Array(input as Buffer) : input);
            expect(toHex(root)).toBe(toHex(naiveRoot(all, n)!));
          }
          expectSameAsNaive(tree, all);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('large batches crossing many chunks (N=3, 2, 16) match the naive root', () => {
    for (const n of [2, 3, 16]) {
      const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 20 });
      const all = leaves(5000);
      tree.insertMany(all.slice(0, 1));
      tree.insertMany(all.slice(1, 3071));
      for (const l of all.slice(3071, 3100)) tree.insert(l);
      tree.insertMany(all.slice(3100));
      expect(toHex(tree.root!)).toBe(toHex(naiveRoot(all, n)!));
    }
  });
});

describe('LeanIMT: snapshots', () => {
  it('a snapshot never changes after later inserts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 9 }),
        fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 2, maxLength: 6 }),
        (n, splits) => {
          const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 12 });
          const all: Uint8Array[] = [];
          const snaps: { snap: ReturnType<LeanIMT['snapshot']>; count: number }[] = [];
          for (const count of splits) {
            const batch = leaves(count, all.length);
            all.push(...batch);
            if (count % 2 === 0) tree.insertMany(batch);
            else for (const l of batch) tree.insert(l);
            snaps.push({ snap: tree.snapshot(), count: all.length });
          }
          for (const { snap, count } of snaps) {
            const prefix = all.slice(0, count);
            const levels = naiveLevels(prefix, n);
            expect(snap.size).toBe(count);
            expect(snap.depth).toBe(levels.length - 1);
            expect(toHex(snap.root!)).toBe(toHex(naiveRoot(prefix, n)!));
            for (let k = 0; k < levels.length; k++) {
              expect(snap.levelLength(k)).toBe(levels[k]!.length);
              for (let i = 0; i < levels[k]!.length; i++) expect(toHex(snap.getNode(k, i))).toBe(toHex(levels[k]![i]!));
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('snapshot of an empty tree', () => {
    const snap = new LeanIMT({ hasher: testHasher, n: 4, maxDepth: 3 }).snapshot();
    expect(snap.size).toBe(0);
    expect(snap.root).toBeUndefined();
    expect(codeOf(() => snap.getNode(0, 0))).toBe('INDEX_OUT_OF_RANGE');
  });
});

describe('LeanIMT: capacity and bad input', () => {
  it('validates n and maxDepth with RangeError', () => {
    for (const [n, maxDepth] of [[1, 4], [0, 4], [2.5, 4], [4, 0], [4, -1], [4, 1.5], [257, 2]] as const) {
      expect(() => new LeanIMT({ hasher: testHasher, n, maxDepth })).toThrow(RangeError);
    }
    expect(() => new LeanIMT({ hasher: {} as Hasher, n: 2, maxDepth: 2 })).toThrow(TypeError);
  });

  it('MAX_DEPTH_EXCEEDED at capacity n^maxDepth, tree unchanged', () => {
    const tree = new LeanIMT({ hasher: testHasher, n: 3, maxDepth: 2 });
    expect(tree.capacity).toBe(9);
    tree.insertMany(leaves(8));
    const root = toHex(tree.root!);
    expect(codeOf(() => tree.insertMany(leaves(2, 8)))).toBe('MAX_DEPTH_EXCEEDED');
    expect(tree.size).toBe(8);
    expect(toHex(tree.root!)).toBe(root);
    tree.insert(leaf(9));
    expect(codeOf(() => tree.insert(leaf(10)))).toBe('MAX_DEPTH_EXCEEDED');
    expect(tree.size).toBe(9);
    expectSameAsNaive(tree, leaves(9));
  });

  it('bad leaves: INVALID_NODE / EMPTY_BATCH, tree unchanged', () => {
    const tree = new LeanIMT({ hasher: testHasher, n: 4, maxDepth: 8 });
    tree.insertMany(leaves(5));
    const before = toHex(tree.root!);
    expect(codeOf(() => tree.insert(new Uint8Array(31)))).toBe('INVALID_NODE');
    expect(codeOf(() => tree.insert('x' as unknown as Uint8Array))).toBe('INVALID_NODE');
    expect(codeOf(() => tree.insertMany([]))).toBe('EMPTY_BATCH');
    expect(codeOf(() => tree.insertMany(new Uint8Array(0)))).toBe('EMPTY_BATCH');
    expect(codeOf(() => tree.insertMany(new Uint8Array(33)))).toBe('INVALID_NODE');
    expect(codeOf(() => tree.insertMany([leaf(1), new Uint8Array(64)]))).toBe('INVALID_NODE');
    expect(tree.size).toBe(5);
    expect(toHex(tree.root!)).toBe(before);
    expect(codeOf(() => tree.getNode(0, 5))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => tree.getNode(9, 0))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => tree.getNode(0, -1))).toBe('INDEX_OUT_OF_RANGE');
  });

  it('insertMany and insert are atomic when the hasher throws midway', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 30 }), (n, first, second, failAfter) => {
        let calls = 0;
        let armed = false;
        const tick = (): void => {
          if (armed && calls++ >= failAfter) throw new Error('injected hasher failure');
        };
        const flaky: Hasher = {
          id: 'blake3',
          hashGroup: (...a) => { tick(); testHasher.hashGroup(...a); },
          hashGroups: (...a) => { tick(); testHasher.hashGroups(...a); },
        };
        const tree = new LeanIMT({ hasher: flaky, n, maxDepth: 12 });
        const all = leaves(first + second);
        tree.insertMany(all.slice(0, first));
        const snap = tree.snapshot();
        armed = true;
        let failed = false;
        try {
          if (second % 2 === 0) tree.insertMany(all.slice(first));
          else tree.insert(all[first]!);
        } catch {
          failed = true;
        }
        armed = false;
        if (failed) expectSameAsNaive(tree, all.slice(0, first));
        expect(toHex(snap.root!)).toBe(toHex(naiveRoot(all.slice(0, first), n)!));
        // The tree still works after a failed batch.
        const rest = all.slice(tree.size);
        if (rest.length > 0) tree.insertMany(rest);
        expectSameAsNaive(tree, all.slice(0, tree.size));
      }),
      { numRuns: 80 },
    );
  });
});
