/**
 * LeanIMT.insert with a hasher that has a bound path kernel (`Hasher.bindPath`): the kernel keeps
 * the per-level groups current across inserts, and the tree refills them after any other change
 * (a batch, a restore). Checked against the naive model, with a kernel that also asserts, on every
 * call, that each group holds exactly the tree's left siblings of the new path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BoundPathKernel, Hasher } from '../src/hasher.js';
import { bindPathWithGroups } from '../src/hasher.js';
import { LeanIMT } from '../src/tree/lean-imt.js';
import { generateProof } from '../src/proof/index.js';
import { leaf, naiveRoot, naiveView, testHasher } from './support/naive-tree.js';

interface BoundStats {
  binds: number;
  calls: number;
  /** Problems the checking kernel found (empty when every call saw the right siblings). */
  problems: string[];
}

/**
 * testHasher plus a bound kernel (the reference semantics) that first compares every group's
 * siblings with the tree's nodes. `tree()` gives the tree being inserted into.
 */
function checkingHasher(tree: () => LeanIMT, stats: BoundStats, failOnCall = -1): Hasher {
  return {
    ...testHasher,
    bindPath(groups, width, digits, maxLevels): BoundPathKernel {
      stats.binds++;
      const run = bindPathWithGroups(testHasher, groups, width, digits, maxLevels);
      return (levels) => {
        const call = stats.calls++;
        if (call === failOnCall) throw new Error('injected hasher failure');
        const t = tree();
        const size = t.size;
        for (let k = 0; k < levels; k++) {
          const d = digits[k]!;
          const first = Math.floor(size / width ** k) - d;
          for (let j = 0; j < d; j++) {
            const want = t.getNode(k, first + j);
            const got = groups.subarray((k * width + j) * 32, (k * width + j + 1) * 32);
            if (!Buffer.from(want).equals(got)) stats.problems.push(`size ${size}: level ${k} sibling ${j}`);
          }
        }
        run(levels);
      };
    },
  };
}

type Op = { kind: 'insert' } | { kind: 'batch'; count: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'insert' } as Op) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }).map((count): Op => ({ kind: 'batch', count })) },
);

describe('LeanIMT.insert with a bound path kernel', () => {
  it('fast-check: any mix of inserts and batches gives the naive roots, with the right siblings in every group', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 17 }), fc.array(opArb, { minLength: 1, maxLength: 60 }), (n, ops) => {
        const stats: BoundStats = { binds: 0, calls: 0, problems: [] };
        let tree!: LeanIMT;
        tree = new LeanIMT({ hasher: checkingHasher(() => tree, stats), n, maxDepth: 16 });
        const leaves: Uint8Array[] = [];
        let inserts = 0;
        for (const op of ops) {
          let root: Uint8Array;
          if (op.kind === 'insert') {
            const l = leaf(leaves.length + 1);
            leaves.push(l);
            root = tree.insert(l);
            inserts++;
          } else {
            const batch = Array.from({ length: op.count }, (_, i) => leaf(leaves.length + 1 + i));
            leaves.push(...batch);
            root = tree.insertMany(batch);
          }
          expect(root).toEqual(naiveRoot(leaves, n));
        }
        expect(stats.problems).toEqual([]);
        expect(stats.calls).toBe(inserts);
        expect(stats.binds).toBe(inserts > 0 ? 1 : 0);
      }),
      { numRuns: 60 },
    );
  });

  it('refills the groups after a restore', () => {
    for (const n of [2, 3, 4, 16]) {
      const stats: BoundStats = { binds: 0, calls: 0, problems: [] };
      const leaves = Array.from({ length: 70 }, (_, i) => leaf(i + 1));
      let tree!: LeanIMT;
      tree = new LeanIMT({ hasher: checkingHasher(() => tree, stats), n, maxDepth: 12 });
      tree.insert(leaf(999)); // binds and fills the groups of another tree's content
      tree = new LeanIMT({ hasher: checkingHasher(() => tree, stats), n, maxDepth: 12 });
      tree.restore(naiveView(leaves.slice(0, 50), n, 12));
      for (let i = 50; i < 70; i++) expect(tree.insert(leaves[i]!)).toEqual(naiveRoot(leaves.slice(0, i + 1), n));
      expect(stats.problems).toEqual([]);
      expect(stats.calls).toBe(21);
    }
  });

  it('leaves the tree unchanged when the bound kernel throws, and later inserts still see the right siblings', () => {
    for (const failOnCall of [0, 3, 4, 5, 16]) {
      const stats: BoundStats = { binds: 0, calls: 0, problems: [] };
      let tree!: LeanIMT;
      tree = new LeanIMT({ hasher: checkingHasher(() => tree, stats, failOnCall), n: 4, maxDepth: 8 });
      const leaves: Uint8Array[] = [];
      for (let i = 0; i < 40; i++) {
        const l = leaf(i + 1);
        const before = { size: tree.size, root: tree.root };
        if (stats.calls === failOnCall) {
          expect(() => tree.insert(l)).toThrow('injected hasher failure');
          expect({ size: tree.size, root: tree.root }).toEqual(before);
        }
        leaves.push(l);
        expect(tree.insert(l)).toEqual(naiveRoot(leaves, 4));
      }
      expect(stats.problems).toEqual([]);
    }
  });

  it('returns a root the caller owns: later inserts do not change it', () => {
    const stats: BoundStats = { binds: 0, calls: 0, problems: [] };
    let tree!: LeanIMT;
    tree = new LeanIMT({ hasher: checkingHasher(() => tree, stats), n: 4, maxDepth: 8 });
    const roots: Uint8Array[] = [];
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < 30; i++) {
      leaves.push(leaf(i + 1));
      roots.push(tree.insert(leaves[i]!));
    }
    roots.forEach((root, i) => expect(root).toEqual(naiveRoot(leaves.slice(0, i + 1), 4)));
  });

  it('keeps the path of single inserts in the groups until a read, and every read sees the naive tree', () => {
    // A bound kernel that never reads the tree, so nothing but the operations below brings the
    // upper levels up to date.
    const plainBound: Hasher = {
      ...testHasher,
      bindPath: (groups, width, digits, maxLevels) => bindPathWithGroups(testHasher, groups, width, digits, maxLevels),
    };
    type Step = { kind: 'insert' } | { kind: 'append' } | { kind: 'batch'; count: number } | { kind: 'read'; pick: number } | { kind: 'snapshot'; pick: number };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      { weight: 8, arbitrary: fc.constant({ kind: 'insert' } as Step) },
      { weight: 2, arbitrary: fc.constant({ kind: 'append' } as Step) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 30 }).map((count): Step => ({ kind: 'batch', count })) },
      { weight: 2, arbitrary: fc.nat().map((pick): Step => ({ kind: 'read', pick })) },
      { weight: 1, arbitrary: fc.nat().map((pick): Step => ({ kind: 'snapshot', pick })) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.array(stepArb, { minLength: 1, maxLength: 120 }), (n, steps) => {
        const tree = new LeanIMT({ hasher: plainBound, n, maxDepth: 16 });
        const leaves: Uint8Array[] = [];
        const snaps: { snap: ReturnType<LeanIMT['snapshot']>; size: number }[] = [];
        for (const step of steps) {
          if (step.kind === 'insert') {
            leaves.push(leaf(leaves.length + 1));
            expect(tree.insert(leaves[leaves.length - 1]!)).toEqual(naiveRoot(leaves, n));
          } else if (step.kind === 'append') {
            leaves.push(leaf(leaves.length + 1));
            tree.append(leaves[leaves.length - 1]!);
          } else if (step.kind === 'batch') {
            const batch = Array.from({ length: step.count }, (_, i) => leaf(leaves.length + 1 + i));
            leaves.push(...batch);
            tree.insertMany(batch);
          } else if (step.kind === 'read' && leaves.length > 0) {
            const model = naiveView(leaves, n);
            const level = step.pick % (model.depth + 1);
            const index = Math.floor(step.pick / 7) % model.levelLength(level);
            expect(tree.getNode(level, index)).toEqual(model.getNode(level, index));
            expect(tree.levelLength(level)).toBe(model.levelLength(level));
          } else if (step.kind === 'snapshot' && leaves.length > 0) {
            snaps.push({ snap: tree.snapshot(), size: leaves.length });
          }
        }
        if (leaves.length > 0) expect(tree.root).toEqual(naiveRoot(leaves, n));
        for (const { snap, size } of snaps) {
          const model = naiveView(leaves.slice(0, size), n);
          expect(snap.root).toEqual(model.root);
          for (const i of [0, size - 1, size >> 1]) expect(snap.generateProof(i).bytes).toEqual(generateProof(model, i).bytes);
        }
      }),
      { numRuns: 150 },
    );
  });
});
