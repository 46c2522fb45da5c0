/** Durability benchmarks: the engine over the file WAL, beside the raw fdatasync floor measured in the same run. */
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LeanIMT, RotorTree } from '@rotortree/core';
import type { DurabilityToken, Hasher } from '@rotortree/core';
import { openWal } from '@rotortree/core/backend';
import { blake3 } from '@rotortree/hasher-blake3';
import { fsWal } from '@rotortree/wal-fs';
import { median, medianMs, medianOf, millionsPerSecond } from './harness.js';
import { makeLeaves } from './leaves.js';
import type { BenchContext } from './results.js';
import { withTempDir } from './temp-dir.js';

async function openTree(dir: string, hasher: Hasher, manual: boolean): Promise<RotorTree> {
  return RotorTree.open({ hasher, n: 4, maxDepth: 32, wal: fsWal({ dir }), flushPolicy: manual ? { kind: 'manual' } : { kind: 'interval', ms: 10 } });
}

/** Per-call latencies (ms) of `count` appends of 64 bytes + fdatasync on an async FileHandle, as the WAL does. */
async function rawFdatasyncTimes(dir: string, count: number): Promise<number[]> {
  const fh = await openFile(join(dir, 'raw'), 'w+');
  const buf = new Uint8Array(64);
  const times: number[] = [];
  try {
    for (let i = 0, pos = 0; i < count; i++, pos += 64) {
      const t0 = performance.now();
      await fh.write(buf, 0, 64, pos);
      await fh.datasync();
      times.push(performance.now() - t0);
    }
  } finally {
    await fh.close();
  }
  return times;
}

/** Raw floor for a big write: `bytes` in 1 MiB writes + one fdatasync, synchronous (ms). */
function rawBulkMs(dir: string, bytes: number): number {
  const fd = openSync(join(dir, 'bulk'), 'w+');
  try {
    const buf = new Uint8Array(1 << 20);
    const t0 = performance.now();
    for (let pos = 0; pos < bytes; pos += buf.length) writeSync(fd, buf, 0, Math.min(buf.length, bytes - pos), pos);
    fdatasyncSync(fd);
    return performance.now() - t0;
  } finally {
    closeSync(fd);
  }
}

export async function durabilityBench(ctx: BenchContext): Promise<void> {
  const { quick, results } = ctx;
  const hasher = blake3();
  const runs = quick ? 3 : 5;
  const rows: string[][] = [];

  // 1. Single inserts under group commit (interval 10 ms), all tokens awaited at the end. The loop is
  //    synchronous, so the timer fires after it and one flush covers every record; waiting for the
  //    last token is waiting for all of them (durableSeq only grows), without 10^5 promises.
  const singles = quick ? 50_000 : 200_000;
  const singleLeaves = makeLeaves(singles);
  const memoryMs = medianMs((t: LeanIMT) => {
    for (let i = 0; i < singles; i++) t.insert(singleLeaves.subarray(i * 32, i * 32 + 32));
  }, () => new LeanIMT({ hasher, n: 4, maxDepth: 32 }), runs);
  // Roots are computed on first read (RotorTree.insert): measured without reading them, and reading
  // each one right after its insert (what a caller that needs every root pays).
  const singlesRun = (readRoots: boolean): Promise<number> => medianOf(() => withTempDir(async (dir) => {
    const tree = await openTree(dir, hasher, false);
    const t0 = performance.now();
    let first: DurabilityToken | undefined;
    let last: DurabilityToken | undefined;
    let check = 0;
    for (let i = 0; i < singles; i++) {
      const result = tree.insert(singleLeaves.subarray(i * 32, i * 32 + 32));
      if (readRoots) check ^= result.root[0]!;
      last = result.token;
      first ??= last;
    }
    if (check === -1) throw new Error('unreachable');
    await last!.wait();
    const ms = performance.now() - t0;
    if (!first!.isDurable()) throw new Error('the first token is not durable after the last one resolved');
    await tree.close();
    return ms;
  }), runs);
  const singleMs = await singlesRun(false);
  const singleRootMs = await singlesRun(true);
  results.metric('durable.singles', millionsPerSecond(singles, singleMs));
  results.metric('durable.singlesRoots', millionsPerSecond(singles, singleRootMs));
  rows.push([
    `insert x${singles}, interval 10 ms, tokens awaited at the end`,
    `${millionsPerSecond(singles, singleMs).toFixed(2)} M durable inserts/s (roots not read: hashed in one pass when the first is read)`,
  ]);
  rows.push([
    `same, reading each insert's root right after it`,
    `${millionsPerSecond(singles, singleRootMs).toFixed(2)} M durable inserts/s (the in-memory LeanIMT.insert alone: ${millionsPerSecond(singles, memoryMs).toFixed(2)} M/s)`,
  ]);

  // 2. insertDurable one at a time vs raw append+fdatasync, in alternating blocks on the same disk.
  const block = quick ? 100 : 300;
  const blocks = quick ? 2 : 4;
  const ratio = await withTempDir(async (dir) => {
    const tree = await openTree(join(dir, 'tree'), hasher, false);
    const durable: number[] = [];
    const raw: number[] = [];
    let next = 0;
    const durableBlock = async (record: boolean): Promise<void> => {
      for (let i = 0; i < block; i++, next++) {
        const t0 = performance.now();
        await tree.insertDurable(singleLeaves.subarray((next % singles) * 32, (next % singles) * 32 + 32));
        if (record) durable.push(performance.now() - t0);
      }
    };
    await durableBlock(false); // warm-up
    await rawFdatasyncTimes(dir, block); // warm-up
    for (let b = 0; b < blocks; b++) {
      raw.push(...(await rawFdatasyncTimes(dir, block)));
      await durableBlock(true);
    }
    await tree.close();
    return { durableMs: median(durable), rawMs: median(raw) };
  });
  results.metric('durable.ratio', ratio.durableMs / ratio.rawMs);
  results.metric('durable.latencyUs', ratio.durableMs * 1000);
  rows.push([
    `insertDurable one at a time (${block * blocks}, median latency)`,
    `${(ratio.durableMs * 1000).toFixed(0)} µs; raw 64 B write+fdatasync ${(ratio.rawMs * 1000).toFixed(0)} µs; ratio ${(ratio.durableMs / ratio.rawMs).toFixed(2)}`,
  ]);

  // 3. insertMany of 1M + one flush (manual policy).
  const bulk = quick ? 1 << 18 : 1 << 20;
  const bulkLeaves = makeLeaves(bulk);
  // Page faults decide much of this row on this VM (~3 µs each): a run that gets back memory the
  // allocator kept from the last one takes none; one whose memory was returned to the OS takes ~9k.
  // With `transfer`, the batch's buffer is handed over (no copy into the tree; the WAL writes the
  // caller's former memory): a fresh copy per run, made before the clock starts.
  const bulkRuns = async (transfer: boolean): Promise<{ ms: number; faults: number }> => {
    const faults: number[] = [];
    const ms = await medianOf(() => withTempDir(async (dir) => {
      const tree = await openTree(dir, hasher, true);
      const batch = transfer ? bulkLeaves.slice() : bulkLeaves;
      const f0 = process.resourceUsage().minorPageFault;
      const t0 = performance.now();
      tree.insertMany(batch, { transfer });
      await tree.flush();
      const elapsed = performance.now() - t0;
      faults.push(process.resourceUsage().minorPageFault - f0);
      await tree.close();
      return elapsed;
    }), runs);
    faults.shift(); // the warm-up run
    return { ms, faults: median(faults) };
  };
  const copied = await bulkRuns(false);
  const transferred = await bulkRuns(true);
  const floorMs = await medianOf(() => withTempDir(async (dir) => rawBulkMs(dir, bulk * 32)), runs, 0);
  results.metric('durable.bulk', millionsPerSecond(bulk, copied.ms));
  rows.push([
    `insertMany of ${bulk} + flush`,
    `${millionsPerSecond(bulk, copied.ms).toFixed(1)} M leaves/s (${copied.ms.toFixed(0)} ms; raw write+fdatasync of ${(bulk * 32) / 2 ** 20} MiB alone: ${floorMs.toFixed(0)} ms; page faults per run, median: ${copied.faults.toFixed(0)})`,
  ]);
  results.metric('durable.bulkTransfer', millionsPerSecond(bulk, transferred.ms));
  rows.push([
    `insertMany of ${bulk} + flush, buffer transferred (\`{ transfer: true }\`)`,
    `${millionsPerSecond(bulk, transferred.ms).toFixed(1)} M leaves/s (${transferred.ms.toFixed(0)} ms; page faults per run, median: ${transferred.faults.toFixed(0)})`,
  ]);

  // 4. Replay of 100k single-insert records: the whole open, and the WAL scan alone (no tree).
  const replayCount = 100_000;
  const replayLeaves = makeLeaves(replayCount);
  const replay = await withTempDir(async (dir) => {
    const tree = await openTree(dir, hasher, true);
    for (let i = 0; i < replayCount; i++) tree.insert(replayLeaves.subarray(i * 32, i * 32 + 32));
    await tree.close();
    const openMs = await medianOf(async () => {
      const t0 = performance.now();
      const again = await openTree(dir, hasher, true);
      const ms = performance.now() - t0;
      if (again.size !== replayCount) throw new Error('replay lost records');
      await again.close();
      return ms;
    }, quick ? 3 : 7);
    const scanMs = await medianOf(async () => {
      const wal = fsWal({ dir });
      let seen = 0;
      const t0 = performance.now();
      await openWal(wal, { n: 4, maxDepth: 32, hasherId: hasher.id }, 0, () => {
        seen++;
      });
      const ms = performance.now() - t0;
      await wal.close();
      if (seen !== replayCount) throw new Error(`the WAL scan saw ${seen} records`);
      return ms;
    }, quick ? 3 : 7);
    return { openMs, scanMs };
  });
  const rebuildMs = medianMs((t: LeanIMT) => t.insertMany(replayLeaves), () => new LeanIMT({ hasher, n: 4, maxDepth: 32 }), runs);
  results.metric('replay.100k', replay.openMs);
  rows.push([
    `open + replay of ${replayCount} single-insert records`,
    `${replay.openMs.toFixed(1)} ms (fsWal.open scan + visit alone: ${replay.scanMs.toFixed(1)} ms; insertMany of the same leaves alone: ${rebuildMs.toFixed(1)} ms)`,
  ]);

  results.table({
    title: `Durability (N=4, BLAKE3 ${hasher.backend ?? ''}, file WAL with fdatasync)`,
    header: ['workload', 'result'],
    rows,
    note: `Medians of ${runs} runs after a warm-up run (each run in a fresh directory); insertDurable and raw fdatasync alternate in blocks of ${block} on the same disk.`,
  });
}
