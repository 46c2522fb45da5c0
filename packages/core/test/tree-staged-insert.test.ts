/**
 * LeanIMT.insertManyStaged (the engine's write-ahead path): the leaves are stored in slices and
 * handed out as views before hashing; the result equals insertMany, the views hold exactly the batch
 * and never change afterwards, and a throw from the callback or the hasher leaves the tree unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeanIMT } from '../src/tree/lean-imt.js';
import { flatLeaves, hasherFailingWhile, mixHasher } from './support/batches.js';

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Byte equality (expect's deep equality walks big arrays element by element: too slow here). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

const tree = (n = 4) => new LeanIMT({ hasher: mixHasher, n, maxDepth: 24 });

describe('LeanIMT.insertManyStaged', () => {
  it('equals insertMany; its views hold the batch, in slices, and keep their bytes through later inserts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 9 }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 30_000, max: 80_000 })), { minLength: 1, maxLength: 4 }),
        (n, batches) => {
          const staged = tree(n);
          const model = tree(n);
          const handed: { views: Uint8Array[]; bytes: Uint8Array }[] = [];
          let size = 0;
          for (const count of batches) {
            const flat = flatLeaves(count, size);
            const calls: { views: readonly Uint8Array[]; last: boolean }[] = [];
            const input = flat.slice();
            const root = staged.insertManyStaged(input, (views, last) => calls.push({ views, last }));
            input.fill(0xff); // the caller reuses its buffer: the views are the tree's own bytes
            expect(root).toEqual(model.insertMany(flat));
            // One call per slice of at most 32768 leaves, only the last one marked last.
            expect(calls.length).toBe(Math.ceil(count / 32_768));
            expect(calls.map((c) => c.last)).toEqual(calls.map((_, i) => i === calls.length - 1));
            const views = calls.flatMap((c) => [...c.views]);
            expect(same(concat(views), flat)).toBe(true);
            handed.push({ views, bytes: flat });
            staged.insert(flatLeaves(1, 1_000_000 + size)); // a later single insert (may grow a short chunk)
            model.insert(flatLeaves(1, 1_000_000 + size));
            size += count + 1;
          }
          for (const h of handed) expect(same(concat(h.views), h.bytes)).toBe(true);
          expect(staged.size).toBe(size);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('is atomic when the callback throws at any slice, or the hasher throws after storing', () => {
    const base = flatLeaves(5, 0);
    const batch = flatLeaves(70_000, 5); // three slices
    for (const failAt of [0, 1, 2]) {
      const t = tree();
      t.insertMany(base);
      const before = t.root;
      let calls = 0;
      expect(() =>
        t.insertManyStaged(batch, () => {
          if (calls++ === failAt) throw new Error('refused');
        }),
      ).toThrow('refused');
      expect(t.size).toBe(5);
      expect(t.root).toEqual(before);
      // Still usable, and equal to a tree that never saw the failed batch.
      const model = tree();
      model.insertMany(base);
      expect(t.insertMany(flatLeaves(40, 5))).toEqual(model.insertMany(flatLeaves(40, 5)));
    }

    let armed = false;
    const flaky = hasherFailingWhile(mixHasher, () => armed);
    const t = new LeanIMT({ hasher: flaky, n: 4, maxDepth: 16 });
    t.insertMany(base);
    const before = t.root;
    let stored = 0;
    armed = true;
    expect(() => t.insertManyStaged(batch, (views) => (stored += views.reduce((s, v) => s + v.length, 0)))).toThrow('hasher failure');
    armed = false;
    expect(stored).toBe(32_768 * 32); // the first slice was handed out before anything was hashed
    expect(t.size).toBe(5);
    expect(t.root).toEqual(before);
  });

  it('hands each slice out before hashing it, and hashes full groups slice by slice', () => {
    const events: string[] = [];
    const counting = hasherFailingWhile(mixHasher, () => {
      events.push('hash');
      return false;
    });
    const t = new LeanIMT({ hasher: counting, n: 4, maxDepth: 16 });
    const batch = flatLeaves(70_000, 0); // slices of 32768, 32768, 4464 leaves
    const root = t.insertManyStaged(batch, (views, last) => events.push(`stored ${views.reduce((s, v) => s + v.length, 0) / 32}${last ? ' last' : ''}`));
    const model = tree();
    expect(root).toEqual(model.insertMany(batch));
    const stores = events.flatMap((e, i) => (e.startsWith('stored') ? [i] : []));
    expect(stores.map((i) => events[i])).toEqual(['stored 32768', 'stored 32768', 'stored 4464 last']);
    // Hashing starts only after the first slice is out, and some of it runs between slices.
    expect(events.findIndex((e) => e.startsWith('hash'))).toBeGreaterThan(stores[0]!);
    expect(events.slice(stores[0]! + 1, stores[1]!).some((e) => e.startsWith('hash'))).toBe(true);
    expect(events.slice(stores[1]! + 1, stores[2]!).some((e) => e.startsWith('hash'))).toBe(true);
  });
});
