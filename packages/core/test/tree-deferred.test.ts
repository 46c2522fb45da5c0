/**
 * LeanIMT.append (a leaf stored without hashing; the upper levels catch up on the next read that needs
 * them) and LeanIMT.rootAt (the root at an earlier size), against the naive model, mixed with every
 * other operation; and the engine's single inserts, whose results compute their root on first read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Hasher } from '../src/hasher.js';
import { RotorTree } from '../src/engine/rotor-tree.js';
import { memoryWal } from '../src/persistence/memory/memory-wal.js';
import { LeanIMT } from '../src/tree/lean-imt.js';
import { toHex } from '../src/bytes.js';
import { leaf, naiveLevels, naiveRoot, testHasher } from './support/naive-tree.js';
import { codeOf } from './support/outcomes.js';

const hex = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : toHex(b));

type Op =
  | { kind: 'append'; count: number }
  | { kind: 'insert' }
  | { kind: 'batch'; count: number }
  | { kind: 'root' }
  | { kind: 'rootAt'; pick: number }
  | { kind: 'node'; pickLevel: number; pickIndex: number }
  | { kind: 'snapshot' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('batch' as const), count: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('root' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rootAt' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('node' as const), pickLevel: fc.nat(), pickIndex: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snapshot' as const) }) },
);

describe('LeanIMT.append and rootAt', () => {
  it('any mix of appends, inserts, batches and reads matches the naive model; rootAt gives every earlier root', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.array(op, { maxLength: 30 }), (n, ops) => {
        const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 12 });
        const model: Uint8Array[] = [];
        let next = 0;
        const add = (count: number): Uint8Array[] => Array.from({ length: count }, () => leaf(next++));
        for (const o of ops) {
          switch (o.kind) {
            case 'append':
              for (const l of add(o.count)) {
                tree.append(l);
                model.push(l);
              }
              expect(tree.size).toBe(model.length);
              break;
            case 'insert': {
              const [l] = add(1);
              expect(hex(tree.insert(l!))).toBe(hex(naiveRoot([...model, l!], n)));
              model.push(l!);
              break;
            }
            case 'batch': {
              const ls = add(o.count);
              expect(hex(tree.insertMany(ls))).toBe(hex(naiveRoot([...model, ...ls], n)));
              model.push(...ls);
              break;
            }
            case 'root':
              expect(hex(tree.root)).toBe(hex(naiveRoot(model, n)));
              break;
            case 'rootAt':
              if (model.length > 0) {
                const size = 1 + (o.pick % model.length);
                expect(hex(tree.rootAt(size))).toBe(hex(naiveRoot(model.slice(0, size), n)));
              }
              break;
            case 'node':
              if (model.length > 0) {
                const levels = naiveLevels(model, n);
                const k = o.pickLevel % levels.length;
                const i = o.pickIndex % levels[k]!.length;
                // Each read on its own (a read must catch up by itself, not thanks to an earlier one).
                if (o.pickIndex % 3 === 0) expect(hex(tree.getNode(k, i))).toBe(hex(levels[k]![i]));
                else if (o.pickIndex % 3 === 1) expect(tree.levelLength(k)).toBe(levels[k]!.length);
                else expect(tree.depth).toBe(levels.length - 1);
              }
              break;
            case 'snapshot': {
              const snap = tree.snapshot();
              expect(snap.size).toBe(model.length);
              expect(hex(snap.root)).toBe(hex(naiveRoot(model, n)));
              break;
            }
          }
        }
        expect(hex(tree.root)).toBe(hex(naiveRoot(model, n)));
      }),
      { numRuns: 150 },
    );
  });

  it('append checks the leaf and the capacity and changes nothing when refusing; rootAt refuses sizes out of range', () => {
    const tree = new LeanIMT({ hasher: testHasher, n: 2, maxDepth: 2 });
    expect(codeOf(() => tree.append(new Uint8Array(31)))).toBe('INVALID_NODE');
    for (let i = 0; i < 4; i++) tree.append(leaf(i));
    expect(codeOf(() => tree.append(leaf(9)))).toBe('MAX_DEPTH_EXCEEDED');
    expect(tree.size).toBe(4);
    expect(hex(tree.root)).toBe(hex(naiveRoot([0, 1, 2, 3].map(leaf), 2)));
    for (const bad of [0, 5, 1.5, -1]) expect(codeOf(() => tree.rootAt(bad))).toBe('INDEX_OUT_OF_RANGE');
  });

  it('a hasher error while catching up surfaces from the read, and the next read retries and succeeds', () => {
    let fail = false;
    const flaky: Hasher = {
      ...testHasher,
      hashGroups(...args) {
        if (fail) throw new Error('injected');
        testHasher.hashGroups(...args);
      },
      hashGroup(...args) {
        if (fail) throw new Error('injected');
        testHasher.hashGroup(...args);
      },
    };
    const tree = new LeanIMT({ hasher: flaky, n: 4, maxDepth: 10 });
    const model = Array.from({ length: 300 }, (_, i) => leaf(i));
    for (const l of model.slice(0, 150)) tree.append(l);
    expect(hex(tree.root)).toBe(hex(naiveRoot(model.slice(0, 150), 4)));
    for (const l of model.slice(150)) tree.append(l);
    fail = true;
    expect(() => tree.root).toThrow('injected');
    expect(() => tree.snapshot()).toThrow('injected');
    fail = false;
    expect(hex(tree.root)).toBe(hex(naiveRoot(model, 4)));
    expect(hex(tree.rootAt(151))).toBe(hex(naiveRoot(model.slice(0, 151), 4)));
    // A few pending leaves are hashed one path at a time: the same on failure.
    const more = [leaf(7001), leaf(7002)];
    for (const l of more) tree.append(l);
    fail = true;
    expect(() => tree.getNode(1, 0)).toThrow('injected');
    expect(tree.size).toBe(302);
    fail = false;
    expect(hex(tree.root)).toBe(hex(naiveRoot([...model, ...more], 4)));
  });
});

describe('RotorTree.insert: the root is computed on first read', () => {
  it('roots read late (in any order, after later inserts and batches) are the roots at their insert', async () => {
    const tree = await RotorTree.open({ hasher: testHasher, n: 3, maxDepth: 12, wal: memoryWal(), flushPolicy: { kind: 'manual' } });
    const model: Uint8Array[] = [];
    const results: { size: number; result: ReturnType<typeof tree.insert> }[] = [];
    for (let i = 0; i < 200; i++) {
      if (i % 37 === 5) {
        const batch = [leaf(10_000 + i), leaf(20_000 + i)];
        tree.insertMany(batch);
        model.push(...batch);
      }
      const l = leaf(i);
      const result = tree.insert(l);
      model.push(l);
      results.push({ size: model.length, result });
      if (i % 50 === 0) expect(hex(result.root)).toBe(hex(naiveRoot(model, 3))); // read at once
    }
    for (const { size, result } of results.reverse()) expect(hex(result.root)).toBe(hex(naiveRoot(model.slice(0, size), 3)));
    const durable = await tree.insertDurable(leaf(999_999));
    model.push(leaf(999_999));
    expect(hex(durable)).toBe(hex(naiveRoot(model, 3)));
    expect(hex(tree.root)).toBe(hex(naiveRoot(model, 3)));
    await tree.close();
  });

  it('a reopened tree replays the same leaves: the root matches', async () => {
    const wal = memoryWal();
    const tree = await RotorTree.open({ hasher: testHasher, n: 4, maxDepth: 12, wal, flushPolicy: { kind: 'manual' } });
    const model = Array.from({ length: 500 }, (_, i) => leaf(i));
    for (const l of model) tree.insert(l);
    await tree.close();
    const again = await RotorTree.open({ hasher: testHasher, n: 4, maxDepth: 12, wal: memoryWal({ disk: wal.disk }), flushPolicy: { kind: 'manual' } });
    expect(again.size).toBe(500);
    expect(hex(again.root)).toBe(hex(naiveRoot(model, 4)));
    await again.close();
  });
});
