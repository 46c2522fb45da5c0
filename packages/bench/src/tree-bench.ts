/** Tree benchmarks: insertMany of 2^20 leaves, one-by-one inserts, proofs; @zk-kit/lean-imt beside us. */
import { LeanIMT, verifyProof } from '@rotortree/core';
import type { Hasher } from '@rotortree/core';
import { LeanIMT as ZkLeanIMT } from '@zk-kit/lean-imt';
import { hash as jitHash } from 'blake3-jit';
import { medianMs, mps, perOpUs, table } from './harness.js';
import { jitPerCallHasher, ourHashers } from './hashers.js';

function makeLeaves(count: number): Uint8Array {
  const flat = new Uint8Array(count * 32);
  const view = new DataView(flat.buffer);
  for (let i = 0; i < count; i++) view.setUint32(i * 32, i + 1, true);
  return flat;
}

export function treeBench(quick: boolean): void {
  const size = quick ? 1 << 16 : 1 << 20;
  const runs = quick ? 3 : 5;
  const leaves = makeLeaves(size);
  const candidates: { name: string; hasher: Hasher }[] = [...ourHashers(), { name: 'rotortree + blake3-jit per call', hasher: jitPerCallHasher() }];

  // insertMany of the whole set, per N.
  const rows: string[][] = [];
  for (const { name, hasher } of candidates) {
    const row = [name];
    for (const n of [2, 4, 8, 16]) {
      const ms = medianMs((t: LeanIMT) => t.insertMany(leaves), () => new LeanIMT({ hasher, n, maxDepth: 32 }), name.includes('(js)') ? 1 : runs, name.includes('(js)') ? 0 : 1);
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
  const leafArray = Array.from({ length: size }, (_, i) => leaves.subarray(i * 32, i * 32 + 32));
  const zkMs = medianMs((t: ZkLeanIMT<Uint8Array>) => t.insertMany(leafArray), () => new ZkLeanIMT<Uint8Array>(zkHash), quick ? 2 : 3, 1);
  rows.push(['@zk-kit/lean-imt 2.2.5 + blake3-jit', `${zkMs.toFixed(1)} ms (${mps(size, zkMs)})`, '-', '-', '-']);
  table(`insertMany of ${size} leaves (BLAKE3), median of ${runs}`, ['tree', 'N=2', 'N=4', 'N=8', 'N=16'], rows);

  // One-by-one inserts and proofs, N=4.
  const singles = quick ? 1 << 14 : 1 << 17;
  const proofRows: string[][] = [];
  for (const { name, hasher } of candidates) {
    if (name.includes('(js)') && !quick) continue; // the reference is far too slow for 1M-leaf proof runs
    const insMs = medianMs((t: LeanIMT) => {
      for (let i = 0; i < singles; i++) t.insert(leaves.subarray(i * 32, i * 32 + 32));
    }, () => new LeanIMT({ hasher, n: 4, maxDepth: 32 }), runs);
    const tree = new LeanIMT({ hasher, n: 4, maxDepth: 32 });
    tree.insertMany(leaves);
    const snap = tree.snapshot();
    const root = snap.root!;
    const idx = (i: number): number => (i * 2654435761) % size;
    const genUs = perOpUs((i) => snap.generateProof(idx(i)), 20000);
    const proofs = Array.from({ length: 1000 }, (_, i) => snap.generateProof(idx(i)));
    let ok = true;
    const verUs = perOpUs((i) => {
      ok = verifyProof(hasher, proofs[i % 1000]!, { root, size }) && ok;
    }, 20000);
    if (!ok) throw new Error(`${name}: a proof failed to verify`);
    proofRows.push([name, `${(singles / insMs / 1000).toFixed(2)} M/s`, `${genUs.toFixed(2)} µs`, `${verUs.toFixed(2)} µs`]);
  }
  const zkTree = new ZkLeanIMT<Uint8Array>(zkHash, leafArray);
  const zkGen = perOpUs((i) => zkTree.generateProof((i * 2654435761) % size), quick ? 20 : 50, 3);
  const zkInsMs = medianMs((t: ZkLeanIMT<Uint8Array>) => {
    for (let i = 0; i < singles; i++) t.insert(leafArray[i]!);
  }, () => new ZkLeanIMT<Uint8Array>(zkHash), 3);
  proofRows.push(['@zk-kit/lean-imt + blake3-jit (N=2)', `${(singles / zkInsMs / 1000).toFixed(2)} M/s`, `${zkGen.toFixed(2)} µs`, 'n/a (compares Uint8Array with ===)']);
  table(`N=4: one-by-one insert (${singles} into an empty tree), proof generation and verification (tree of ${size})`, ['tree', 'insert', 'generateProof', 'verifyProof'], proofRows);
}
