/**
 * Recovery with a WAL that hands records over in runs (`WalRunVisitor`), mixed with single
 * records in any split: the tree equals the one rebuilt from the same leaves, the report counts
 * every record, and a run that does not continue the sequence or holds too few bytes is `CORRUPTION`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RotorTree } from '../src/engine/rotor-tree.js';
import { MemoryDisk } from '../src/persistence/memory/memory-disk.js';
import { memoryWal } from '../src/persistence/memory/memory-wal.js';
import type { Wal, WalConfig, WalRecoverOptions, WalRecovery } from '../src/persistence/wal.js';
import { LeanIMT } from '../src/tree/lean-imt.js';
import { leaf, testHasher } from './support/naive-tree.js';
import { rejectionCode } from './support/outcomes.js';

interface Rec {
  readonly seq: number;
  readonly leaves: Uint8Array;
}

/**
 * A WAL over `inner` whose open hands the recovered records over as `plan` says: plan[i] records
 * as one run (0: one record through `visit`), cycling; `tamper` may change a run before it is handed over.
 */
function runWal(
  inner: Wal,
  plan: readonly number[],
  tamper: (run: { firstSeq: number; records: number; leaves: Uint8Array }) => void = () => {},
): Wal {
  return {
    supports: inner.supports,
    append: (seq, leaves) => inner.append(seq, leaves),
    flush: () => inner.flush(),
    truncate: (upTo) => inner.truncate(upTo),
    close: () => inner.close(),
    open: (config: WalConfig) => inner.open(config),
    async recover({ treeId, afterSeq, visit, visitRun }: WalRecoverOptions): Promise<WalRecovery> {
      const recs: Rec[] = [];
      const result = await inner.recover({ treeId, afterSeq, visit: (seq, leaves) => recs.push({ seq, leaves: leaves.slice() }) });
      if (visitRun === undefined) throw new Error('the engine offers a run visitor');
      for (let i = 0, step = 0; i < recs.length; step++) {
        const take = plan.length === 0 ? 1 : plan[step % plan.length]!;
        if (take === 0) {
          visit(recs[i]!.seq, recs[i]!.leaves);
          i++;
          continue;
        }
        const group = recs.slice(i, i + take);
        const bytes = new Uint8Array(group.reduce((n, r) => n + r.leaves.length, 0));
        let at = 0;
        for (const r of group) {
          bytes.set(r.leaves, at);
          at += r.leaves.length;
        }
        const run = { firstSeq: group[0]!.seq, records: group.length, leaves: bytes };
        tamper(run);
        visitRun(run.firstSeq, run.records, run.leaves);
        i += group.length;
      }
      return result;
    },
  };
}

function flat(leaves: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(leaves.length * 32);
  leaves.forEach((l, i) => out.set(l, i * 32));
  return out;
}

function rootOf(all: Uint8Array, n: number): Uint8Array | undefined {
  const tree = new LeanIMT({ hasher: testHasher, n, maxDepth: 16 });
  if (all.length > 0) tree.insertMany(all);
  return tree.root;
}

/** Writes records of `sizes[i]` leaves (leaf numbers from `first`) and closes. */
async function writeRecords(disk: MemoryDisk, n: number, sizes: readonly number[], first = 0): Promise<Uint8Array> {
  const tree = await RotorTree.open({ hasher: testHasher, n, maxDepth: 16, wal: memoryWal({ disk }), flushPolicy: { kind: 'manual' } });
  const all: Uint8Array[] = [];
  for (const k of sizes) {
    const batch = Array.from({ length: k }, (_, j) => leaf(first + all.length + j));
    if (k === 1) tree.insert(batch[0]!);
    else tree.insertMany(batch);
    all.push(...batch);
  }
  await tree.flush();
  await tree.close();
  return flat(all);
}

describe('RotorTree: replay of runs', () => {
  it('any split into runs and single records gives the tree of the same leaves', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 6 }),
        fc.integer({ min: 2, max: 5 }),
        async (sizes, plan, n) => {
          const disk = new MemoryDisk();
          const all = await writeRecords(disk, n, sizes);
          const tree = await RotorTree.open({ hasher: testHasher, n, maxDepth: 16, wal: runWal(memoryWal({ disk }), plan), flushPolicy: { kind: 'manual' } });
          expect(tree.recovery.replayedRecords).toBe(sizes.length);
          expect(tree.recovery.replayedLeaves).toBe(all.length / 32);
          expect(tree.recovery.lastSeq).toBe(sizes.length);
          expect(tree.root).toEqual(rootOf(all, n));
          expect(tree.insert(leaf(10_000)).token.seq).toBe(sizes.length + 1);
          await tree.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps the order when a large run follows gathered records', async () => {
    // 3 single records, one run of 20,000 records (inserted as it is), then 2 more single records.
    const disk = new MemoryDisk();
    const sizes = Array.from({ length: 20_005 }, () => 1);
    const all = await writeRecords(disk, 4, sizes);
    const wal = runWal(memoryWal({ disk }), [0, 0, 0, 20_000, 0, 0]);
    const tree = await RotorTree.open({ hasher: testHasher, n: 4, maxDepth: 16, wal, flushPolicy: { kind: 'manual' } });
    expect(tree.recovery.replayedRecords).toBe(20_005);
    expect(tree.root).toEqual(rootOf(all, 4));
    await tree.close();
  });

  it.each([
    ['a run that skips a record', (run: { firstSeq: number }) => void (run.firstSeq += 1)],
    ['a run of no record', (run: { records: number }) => void (run.records = 0)],
    ['a run with fewer leaves than records', (run: { records: number }) => void (run.records += 1)],
    ['a run of a partial leaf', (run: { leaves: Uint8Array }) => void (run.leaves = run.leaves.subarray(0, run.leaves.length - 1))],
  ])('%s is CORRUPTION', async (_name, tamper) => {
    const disk = new MemoryDisk();
    await writeRecords(disk, 3, [1, 1, 2, 1]);
    const wal = runWal(memoryWal({ disk }), [2], tamper);
    expect(await rejectionCode(RotorTree.open({ hasher: testHasher, n: 3, maxDepth: 16, wal, flushPolicy: { kind: 'manual' } }))).toBe('CORRUPTION');
  });
});
