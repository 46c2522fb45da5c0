/**
 * Child process of the large-tree benchmark: opens a checkpointed tree directory in a fresh process
 * (so the builder's memory does not count), and prints one JSON line: open time, RSS after open,
 * after reading random proofs, and the time of a second open in the same (warm) process.
 * Usage: node dist/large-child.js '{"dir":"...","pinAboveLevel":4,"proofs":10000}'
 */
import { readFileSync } from 'node:fs';
import { verifyProof } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { openTreeDir } from './checkpoint-bench.js';
import { median } from './harness.js';

/** What the parent asks for. */
export interface ChildRequest {
  readonly dir: string;
  readonly pinAboveLevel?: number;
  /** The checkpoint store's `maxResidentBytes` (omit: no limit). */
  readonly maxResidentBytes?: number;
  readonly proofs: number;
  /** Opens after the first, in the same process (default 3; 0 skips them: an untiered open of 100M takes ~30 s). */
  readonly reopens?: number;
}

/** What the child prints (times in ms, memory in bytes). */
export interface ChildReport {
  readonly size: number;
  readonly mapped: boolean;
  readonly rssBefore: number;
  readonly openMs: number;
  readonly rssAfterOpen: number;
  readonly proofUs: number;
  readonly rssAfterProofs: number;
  /** Of rssAfterProofs: anonymous memory (heap, copied levels) and mapped file pages (reclaimable page cache); -1 off Linux. */
  readonly rssAnonAfterProofs: number;
  readonly rssFileAfterProofs: number;
  readonly heapUsedAfterProofs: number;
  /** Median of `reopens` more opens in the same process (code warm); absent without. */
  readonly secondOpenMs?: number;
}

/** A `kB` field of /proc/self/status in bytes, or -1 where there is none. */
function procStatusBytes(field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return m === null ? -1 : Number(m[1]) * 1024;
  } catch {
    return -1;
  }
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '') as ChildRequest;
  const hasher = blake3();
  const base = {
    dir: request.dir,
    hasher,
    ...(request.pinAboveLevel === undefined ? {} : { pinAboveLevel: request.pinAboveLevel }),
    ...(request.maxResidentBytes === undefined ? {} : { maxResidentBytes: request.maxResidentBytes }),
  };
  const rssBefore = process.memoryUsage().rss;
  let t0 = performance.now();
  const { tree, mapped } = await openTreeDir(base);
  const openMs = performance.now() - t0;
  const rssAfterOpen = process.memoryUsage().rss;
  const size = tree.size;
  const snap = tree.snapshot();
  const root = snap.root!;
  // xorshift32: spread over the whole tree, the same indices every run.
  let x = 2463534242;
  t0 = performance.now();
  for (let i = 0; i < request.proofs; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const proof = snap.generateProof((x >>> 0) % size);
    if (i < 100 && !verifyProof(hasher, proof, { root, size, n: snap.n })) throw new Error(`proof ${i} does not verify`);
  }
  const proofUs = ((performance.now() - t0) * 1000) / Math.max(1, request.proofs);
  const memory = process.memoryUsage();
  const rssAnonAfterProofs = procStatusBytes('RssAnon');
  const rssFileAfterProofs = procStatusBytes('RssFile');
  await tree.close();
  const again: number[] = [];
  for (let r = 0; r < (request.reopens ?? 3); r++) {
    t0 = performance.now();
    const reopened = await openTreeDir(base);
    again.push(performance.now() - t0);
    await reopened.tree.close();
  }
  
  const report: ChildReport = {
    size,
    mapped,
    rssBefore,
    openMs,
    rssAfterOpen,
    proofUs,
    rssAfterProofs: memory.rss,
    rssAnonAfterProofs,
    rssFileAfterProofs,
    heapUsedAfterProofs: memory.heapUsed + memory.arrayBuffers,
    ...(again.length === 0 ? {} : { secondOpenMs: median(again) }),
  };
  console.log(JSON.stringify(report));
}

await main();
