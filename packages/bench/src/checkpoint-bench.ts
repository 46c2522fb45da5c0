/**
 * Checkpoint benchmarks: `RotorTree` over the file WAL and the mmap checkpoint store, N=4: the time
 * of `checkpoint()` after a bulk insert, and the time of `open` after it (adopting the stored levels,
 * with and without tiering, with and without `verifyCheckpoint`), mmap vs segments read into memory.
 */
import { join } from 'node:path';
import { RotorTree } from '@rotortree/core';
import type { Hasher } from '@rotortree/core';
import { mmapCheckpointStore } from '@rotortree/checkpoint-mmap';
import { blake3 } from '@rotortree/hasher-blake3';
import { fsWal } from '@rotortree/wal-fs';
import { median, medianOf } from './harness.js';
import { makeLeaves } from './leaves.js';
import type { BenchContext } from './results.js';
import { withTempDir } from './temp-dir.js';

type MmapMode = 'auto' | 'off';

/** How a benchmark opens a tree directory (`wal/` and `checkpoint/` inside it). */
export interface TreeDirOptions {
  readonly dir: string;
  readonly hasher: Hasher;
  readonly mmap?: MmapMode;
  /** Levels below it are read from the checkpoint's files (omit: everything copied into memory). */
  readonly pinAboveLevel?: number;
  readonly verifyCheckpoint?: boolean;
  /** The store's `maxResidentBytes` (omit: no limit). */
  readonly maxResidentBytes?: number;
}

/** Opens (or creates) a manual-flush N=4 tree in `options.dir`; also returns whether the store maps its segments. */
export async function openTreeDir(options: TreeDirOptions): Promise<{ tree: RotorTree; mapped: boolean }> {
  const checkpoints = mmapCheckpointStore({
    dir: join(options.dir, 'checkpoint'),
    mmap: options.mmap ?? 'auto',
    ...(options.maxResidentBytes === undefined ? {} : { maxResidentBytes: options.maxResidentBytes }),
  });
  const tree = await RotorTree.open({
    hasher: options.hasher,
    n: 4,
    maxDepth: 32,
    wal: fsWal({ dir: join(options.dir, 'wal') }),
    checkpoints,
    flushPolicy: { kind: 'manual' },
    ...(options.pinAboveLevel === undefined ? {} : { tiering: { pinAboveLevel: options.pinAboveLevel } }),
    verifyCheckpoint: options.verifyCheckpoint === true,
  });
  return { tree, mapped: checkpoints.mapped };
}

/** Builds a tree of `leaves` in `dir` (insertMany + flush) and returns the time of its `checkpoint()` in ms. */
async function buildAndCheckpoint(dir: string, hasher: Hasher, leaves: Uint8Array, mmap: MmapMode): Promise<number> {
  const { tree } = await openTreeDir({ dir, hasher, mmap });
  tree.insertMany(leaves);
  await tree.flush();
  const t0 = performance.now();
  await tree.checkpoint();
  const ms = performance.now() - t0;
  await tree.close();
  return ms;
}

/**
 * Median time in ms of `runs` opens of the checkpointed tree in `dir` back to back after 3 warm-ups,
 * with no collection forced between them (a loop, as the Rust crate's benchmark measures it).
 */
async function openLoopMs(options: TreeDirOptions, size: number, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const t0 = performance.now();
    const opened = await openTreeDir(options);
    const elapsed = performance.now() - t0;
    if (opened.tree.size !== size) throw new Error('the checkpoint did not hold the whole tree');
    await opened.tree.close();
    if (i >= 3) times.push(elapsed);
  }
  return median(times);
}

/** Median time in ms of opening the checkpointed tree in `dir` (and checking its size), then closing it untimed. */
async function openMs(options: TreeDirOptions, size: number, runs: number): Promise<{ ms: number; mapped: boolean }> {
  let mapped = false;
  const ms = await medianOf(async () => {
    const t0 = performance.now();
    const opened = await openTreeDir(options);
    const elapsed = performance.now() - t0;
    mapped = opened.mapped;
    if (opened.tree.size !== size || opened.tree.recovery.checkpointLeaves !== size) throw new Error('the checkpoint did not hold the whole tree');
    await opened.tree.close();
    return elapsed;
  }, runs, 2);
  return { ms, mapped };
}

export async function checkpointBench(ctx: BenchContext): Promise<void> {
  const { quick, results } = ctx;
  const hasher = blake3();
  const size = quick ? 1 << 18 : 1 << 20;
  const runs = quick ? 3 : 5;
  const openRuns = quick ? 5 : 9;
  const pin = 4;
  const leaves = makeLeaves(size);
  const rows: string[][] = [];
  for (const mmap of ['auto', 'off'] as const) {
    const cpMs = await medianOf(() => withTempDir((dir) => buildAndCheckpoint(dir, hasher, leaves, mmap)), runs);
    await withTempDir(async (dir) => {
      await buildAndCheckpoint(dir, hasher, leaves, mmap);
      const tiered = await openMs({ dir, hasher, mmap, pinAboveLevel: pin }, size, openRuns);
      const looped = await openLoopMs({ dir, hasher, mmap, pinAboveLevel: pin }, size, quick ? 9 : 21);
      const copied = await openMs({ dir, hasher, mmap }, size, openRuns);
      const verified = await openMs({ dir, hasher, mmap, pinAboveLevel: pin, verifyCheckpoint: true }, size, quick ? 3 : 5);
      const label = mmap === 'auto' ? (tiered.mapped ? 'mmap' : 'mmap (addon missing: read)') : 'read into memory (mmap off)';
      if (mmap === 'auto') {
        results.metric('checkpoint.1M', cpMs);
        results.metric('open.1M', looped);
        results.metric('open.1M.afterGc', tiered.ms);
        results.metric('open.1M.copied', copied.ms);
        results.metric('open.1M.verify', verified.ms);
      }
      rows.push([
        label,
        `${cpMs.toFixed(1)} ms`,
        `${looped.toFixed(2)} ms / ${tiered.ms.toFixed(2)} ms`,
        `${copied.ms.toFixed(2)} ms`,
        `${verified.ms.toFixed(1)} ms`,
      ]);
    });
  }
  results.table({
    title: `Checkpoints (N=4, BLAKE3 ${hasher.backend ?? ''}, ${size} leaves, file WAL + checkpoint store)`,
    header: ['segments', 'checkpoint()', `open, tiered (pinAboveLevel ${pin}): in a loop / after a forced GC`, 'open, every level copied', `open + verifyCheckpoint (tiered)`],
    rows,
    note:
      `checkpoint(): the time of the call after insertMany + flush (the WAL is durable already), median of ${runs} fresh directories. ` +
      `open: RotorTree.open of the checkpointed directory (lock, manifest, segments, WAL with nothing to replay), median of ${openRuns} after 2 warm-ups, each after a forced GC and a 20 ms pause; ` +
      'the tiered open is also timed as 21 opens back to back (no GC forced between, as a benchmark loop runs; the target row uses it): right after a forced GC an open costs ~2 ms more (not pinned down yet; memory the collector gave back being faulted in again is the likely cause). ' +
      'the segment files are in the page cache (just written). verifyCheckpoint recomputes every level from the leaves.',
  });
}
