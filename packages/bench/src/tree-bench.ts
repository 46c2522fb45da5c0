/**
 * Tree benchmarks against the alternatives: insertMany of 2^20 leaves by N and backend, one-by-one inserts and
 * proofs per backend, @zk-kit/lean-imt beside us. The rows the targets use are in user-bench.ts.
 */
import { LeanIMT, verifyProof } from '@rotortree/core';
import type { Hasher } from '@rotortree/core';
import { LeanIMT as ZkLeanIMT } from '@zk-kit/lean-imt';
import { hash as jitHash } from 'blake3-jit';
import { medianMs, millionsPerSecond, mps, perOpUs } from './harness.js';
import { jitPerCallHasher, ourHashers } from './hashers.js';
import { makeLeaves } from './leaves.js';
import type { BenchContext } from './results.js';

/** The branching factors of the insertMany table (and the chart). */
export const TREE_NS = [2, 4, 8, 16] as const;

export function treeBench(ctx: BenchContext): void {
  const { quick, results } = ctx;
  const size = quick ? 1 << 16 : 1 << 20;
  const runs = quick ? 3 : 5;
  const leaves = makeLeaves(size);
  const candidates: { key: string; name: string; hasher: Hasher }[] = [...ourHashers(), { key: 'jit', name: 'rotortree + blake3-jit per call', hasher: jitPerCallHasher() }];

  // insertMany of the whole set, per N.
  const rows: string[][] = [];
  for (const { key, name, hasher } of candidates) {
    const slow = key === 'js';
    const row = [name];
    for (const n of TREE_NS) {
      const ms = medianMs((t: LeanIMT) => t.insertMany(leaves), () => new LeanIMT({ hasher, n, maxDepth: 32 }), slow ? 1 : runs, slow ? 0 : 1);
      results.metric(`tree.insertMany.${key}.N${n}`, millionsPerSecond(size, ms));
      row.push(`${ms.toFixed(1)} ms (${mps(size, ms)})`);
    }
    rows.push(row);
  }
  // The default hasher again, with the batch's buffer handed over instead of copied (a fresh copy per
  // run, made before the clock starts).
  {
    const { hasher } = candidates[0]!;
    const row = ['rotortree native, buffer transferred (`{ transfer: true }`)'];
    for (const n of TREE_NS) {
      const ms = medianMs(
        (s: { tree: LeanIMT; batch: Uint8Array }) => s.tree.insertMany(s.batch, { transfer: true }),
        () => ({ tree: new LeanIMT({ hasher, n, maxDepth: 32 }), batch: leaves.slice() }),
        runs,
      );
      results.metric(`tree.insertMany.transfer.N${n}`, millionsPerSecond(size, ms));
      row.push(`${ms.toFixed(1)} ms (${mps(size, ms)})`);
    }
    rows.push(row);
  }
  // @zk-kit/lean-imt (binary only) with the fastest per-call npm BLAKE3.
  const zkHash = (a: Uint8Array, b: Uint8Array): Uint8Array => {
    const buf = new Uint8Array(64);
    buf.set(a, 0);
    buf.set(b, 32);
    return jitHash(buf);
  };
  const zkMs = zkInsertManyMs(leaves, zkHash, quick ? 2 : 3);
  results.metric('tree.insertMany.zk.N2', millionsPerSecond(size, zkMs));
  rows.push(['@zk-kit/lean-imt 2.2.5 + blake3-jit', `${zkMs.toFixed(1)} ms (${mps(size, zkMs)})`, '-', '-', '-']);
  results.table({
    title: `insertMany of ${size} leaves (BLAKE3) into an empty tree`,
    header: ['tree', ...TREE_NS.map((n) => `N=${n}`)],
    rows,
    note: `Median of ${runs} runs after a warm-up run in one process (the pure-JS reference: one run), no forced GC. @zk-kit/lean-imt is binary only. The figures as users call them (fresh processes, arrays of leaves) are in the table above.`,
  });

  // One-by-one inserts and proofs, N=4.
  const singles = quick ? 1 << 14 : 1 << 17;
  const proofOps = quick ? 5_000 : 50_000;
  const proofRows: string[][] = [];
  for (const { key, name, hasher } of candidates) {
    if (key === 'js' && !quick) continue; // the reference is far too slow for 1M-leaf proof runs
    const insMs = medianMs((t: LeanIMT) => {
      for (let i = 0; i < singles; i++) t.insert(leaves.subarray(i * 32, i * 32 + 32));
    }, () => new LeanIMT({ hasher, n: 4, maxDepth: 32 }), runs);
    const tree = new LeanIMT({ hasher, n: 4, maxDepth: 32 });
    tree.insertMany(leaves);
    const snap = tree.snapshot();
    const root = snap.root!;
    const idx = (i: number): number => (i * 2654435761) % size;
    const genUs = perOpUs((i) => snap.generateProof(idx(i)), proofOps, runs);
    const proofs = Array.from({ length: 1000 }, (_, i) => snap.generateProof(idx(i)));
    let ok = true;
    const verUs = perOpUs((i) => {
      ok = verifyProof(hasher, proofs[i % 1000]!, { root, size, n: 4 }) && ok;
    }, proofOps, runs);
    if (!ok) throw new Error(`${name}: a proof failed to verify`);
    results.metric(`tree.insert.${key}.N4`, millionsPerSecond(singles, insMs));
    results.metric(`proof.generate.${key}`, genUs);
    results.metric(`proof.verify.${key}`, verUs);
    proofRows.push([name, mps(singles, insMs), `${genUs.toFixed(2)} µs`, `${verUs.toFixed(2)} µs`]);
  }
  const zk = zkSinglesAndProofs(leaves, zkHash, singles, quick ? 20 : 50);
  proofRows.push(['@zk-kit/lean-imt + blake3-jit (N=2)', mps(singles, zk.insMs), `${zk.genUs.toFixed(2)} µs`, 'n/a (compares Uint8Array with ===)']);
  results.table({
    title: `N=4: one-by-one insert (${singles} into an empty tree), proof generation and verification (tree of ${size})`,
    header: ['tree', 'insert', 'generateProof', 'verifyProof'],
    rows: proofRows,
    note: `Medians of ${runs} rounds after a warm-up round, no forced GC; proofs of pseudo-random leaves, ${proofOps} per round, each dropped at once; verification binds root, size and n.`,
  });
}

type ZkHash = (a: Uint8Array, b: Uint8Array) => Uint8Array;

/** The leaves as one array per leaf, as @zk-kit/lean-imt takes them. */
function leafArrayOf(leaves: Uint8Array): Uint8Array[] {
  return Array.from({ length: leaves.length / 32 }, (_, i) => leaves.subarray(i * 32, i * 32 + 32));
}

// The competitor's runs live in functions of their own: its millions of per-leaf objects are garbage
// once they return, instead of staying alive (and slowing every collection) while ours are measured.

/** @zk-kit/lean-imt insertMany of all `leaves`, median ms. */
function zkInsertManyMs(leaves: Uint8Array, zkHash: ZkHash, runs: number): number {
  const leafArray = leafArrayOf(leaves);
  return medianMs((t: ZkLeanIMT<Uint8Array>) => t.insertMany(leafArray), () => new ZkLeanIMT<Uint8Array>(zkHash), runs, 1);
}

/** @zk-kit/lean-imt: one-by-one inserts of the first `singles` leaves (median ms) and proof generation over all of them (µs). */
function zkSinglesAndProofs(leaves: Uint8Array, zkHash: ZkHash, singles: number, proofOps: number): { insMs: number; genUs: number } {
  const leafArray = leafArrayOf(leaves);
  const size = leafArray.length;
  const zkTree = new ZkLeanIMT<Uint8Array>(zkHash, leafArray);
  const genUs = perOpUs((i) => zkTree.generateProof((i * 2654435761) % size), proofOps, 3);
  const insMs = medianMs((t: ZkLeanIMT<Uint8Array>) => {
    for (let i = 0; i < singles; i++) t.insert(leafArray[i]!);
  }, () => new ZkLeanIMT<Uint8Array>(zkHash), 3);
  return { insMs, genUs };
}
