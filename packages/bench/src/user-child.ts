/**
 * Child process of the "as users call it" rows: runs one row in a fresh process (no state of earlier
 * rows, no forced GC), a few rounds back to back as a user's loop would, and prints one JSON line
 * with each round's figure and minor page faults.
 * Usage: node dist/user-child.js '{"row":"generateKept","n":4,"size":1048576,"rounds":9}'
 */
import { LeanIMT, verifyProof, verifyProofs } from '@rotortree/core';
import type { InclusionProof, InclusionProofBatch, TreeSnapshot } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { makeLeaves } from './leaves.js';

/** The rows a child can run (see user-bench.ts for what each measures). */
export type UserRowId =
  | 'generateKept'
  | 'generateKeptLiveHeap'
  | 'generateDropped'
  | 'generateBatch'
  | 'verify'
  | 'verifyBatch'
  | 'insertManyArray'
  | 'insertManyViews'
  | 'insertManyFlat'
  | 'insertManyTransfer'
  | 'insertOneByOne';

/** What the parent asks for. */
export interface UserChildRequest {
  readonly row: UserRowId;
  readonly n: number;
  /** Leaves of the tree (proof rows) or of the batch (insertMany rows). */
  readonly size: number;
  readonly rounds: number;
  /** Proofs per round (proof rows) or leaves inserted one by one (insertOneByOne). */
  readonly ops: number;
}

/** What the child prints: per round, the row's figure (µs per op, or M leaves/s) and the minor page faults of its timed region. */
export interface UserChildReport {
  readonly values: number[];
  readonly faults: number[];
}

const faults = (): number => process.resourceUsage().minorPageFault;

/** xorshift32 leaf indices below `size`: spread over the whole tree, the same every run. */
function randomIndices(count: number, size: number, seed: number): Uint32Array {
  const out = new Uint32Array(count);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % size;
  }
  return out;
}

/** A million live small objects, as a server's heap holds (sessions, cache entries). */
function liveHeap(): { id: number; name: string; seen: number[] }[] {
  return Array.from({ length: 1_000_000 }, (_, i) => ({ id: i, name: `k${i & 1023}`, seen: [i] }));
}

/** Minor page faults of the last timed region (see {@link timedUs}, {@link timedMps}). */
let lastFaults = 0;

/**
 * Runs `round(r)` `rounds` times; `round` returns the round's figure, timing itself. The event loop
 * turns between rounds, as it does between a program's batches of work (finalizers run then).
 */
async function rounds(count: number, round: (r: number) => number): Promise<UserChildReport> {
  const values: number[] = [];
  const pageFaults: number[] = [];
  for (let r = 0; r < count; r++) {
    if (r > 0) await new Promise((resolve) => setImmediate(resolve));
    values.push(round(r));
    pageFaults.push(lastFaults);
  }
  return { values, faults: pageFaults };
}

/** Runs `fn`, noting its wall time in ms and its page faults (nothing else inside the timed region). */
function timed(fn: () => void): number {
  const f0 = faults();
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  lastFaults = faults() - f0;
  return ms;
}

/** µs per op of `fn`, which does `ops` operations. */
function timedUs(ops: number, fn: () => void): number {
  return (timed(fn) * 1000) / ops;
}

/** M leaves/s of `fn`, which inserts `count` leaves. */
function timedMps(count: number, fn: () => void): number {
  return count / timed(fn) / 1000;
}

async function proofRow(request: UserChildRequest): Promise<UserChildReport> {
  const { row, n, size, ops } = request;
  const hasher = blake3();
  const tree = new LeanIMT({ hasher, n, maxDepth: 32 });
  tree.insertMany(makeLeaves(size));
  const snap: TreeSnapshot = tree.snapshot();
  const trusted = { root: snap.root!, size, n };
  const heap = row === 'generateKeptLiveHeap' ? liveHeap() : undefined;
  let sink = 0;
  const report = await rounds(request.rounds, (r) => {
    const indices = randomIndices(ops, size, 2463534242 + r);
    switch (row) {
      case 'generateKept':
      case 'generateKeptLiveHeap': {
        // A server batching replies: every proof is kept (pushed to an array) until the batch goes out.
        const kept: InclusionProof[] = [];
        const us = timedUs(ops, () => {
          for (let i = 0; i < ops; i++) kept.push(snap.generateProof(indices[i]!));
        });
        sink += kept.length;
        return us;
      }
      case 'generateDropped':
        return timedUs(ops, () => {
          for (let i = 0; i < ops; i++) sink += snap.generateProof(indices[i]!).leafIndex;
        });
      case 'generateBatch': {
        let batch: InclusionProofBatch | undefined;
        const us = timedUs(ops, () => {
          batch = snap.generateProofs(indices);
        });
        sink += batch!.count;
        return us;
      }
      case 'verify': {
        const proofs = Array.from(indices, (i) => snap.generateProof(i));
        let ok = 0;
        const us = timedUs(ops, () => {
          for (let i = 0; i < ops; i++) if (verifyProof(hasher, proofs[i]!, trusted)) ok++;
        });
        if (ok !== ops) throw new Error(`${ops - ok} proofs did not verify`);
        return us;
      }
      case 'verifyBatch': {
        const batch = snap.generateProofs(indices);
        let results: boolean[] = [];
        const us = timedUs(ops, () => {
          results = verifyProofs(hasher, batch, trusted);
        });
        if (!results.every(Boolean)) throw new Error('a batch proof did not verify');
        return us;
      }
      default:
        throw new Error(`not a proof row: ${row}`);
    }
  });
  if (sink < 0 || (heap?.length ?? 0) < 0) throw new Error('unreachable');
  return report;
}

async function insertRow(request: UserChildRequest): Promise<UserChildReport> {
  const { row, n, size } = request;
  const hasher = blake3();
  const flat = makeLeaves(size);
  return rounds(request.rounds, () => {
    const tree = new LeanIMT({ hasher, n, maxDepth: 32 });
    switch (row) {
      case 'insertManyFlat':
        return timedMps(size, () => tree.insertMany(flat));
      case 'insertManyTransfer': {
        const batch = flat.slice();
        return timedMps(size, () => tree.insertMany(batch, { transfer: true }));
      }
      case 'insertManyArray': {
        // The shape @zk-kit/lean-imt users have: one Uint8Array(32) of its own per leaf.
        const leaves = Array.from({ length: size }, (_, i) => flat.slice(i * 32, i * 32 + 32));
        return timedMps(size, () => tree.insertMany(leaves));
      }
      case 'insertManyViews': {
        const leaves = Array.from({ length: size }, (_, i) => flat.subarray(i * 32, i * 32 + 32));
        return timedMps(size, () => tree.insertMany(leaves));
      }
      case 'insertOneByOne': {
        const ops = request.ops;
        return timedMps(ops, () => {
          for (let i = 0; i < ops; i++) tree.insert(flat.subarray(i * 32, i * 32 + 32));
        });
      }
      default:
        throw new Error(`not an insert row: ${row}`);
    }
  });
}

const request = JSON.parse(process.argv[2] ?? '') as UserChildRequest;
const report = await (request.row.startsWith('insert') ? insertRow(request) : proofRow(request));
console.log(JSON.stringify(report));
