/** Durability benchmarks: the engine over the file WAL, beside the raw fdatasync floor measured in the same run. */
import { mkdtempSync, openSync, writeSync, fdatasyncSync, closeSync, rmSync } from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RotorTree } from '@rotortree/core';
import type { Hasher } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { fsWal } from '@rotortree/wal-fs';
import { table } from './harness.js';

function leaves(count: number, from = 0): Uint8Array {
  const flat = new Uint8Array(count * 32);
  const view = new DataView(flat.buffer);
  for (let i = 0; i < count; i++) view.setUint32(i * 32, from + i + 1, true);
  return flat;
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rotortree-bench-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Raw floor: append 64 bytes + fdatasync, async FileHandle as the engine does (median ms). */
async function rawFdatasyncMs(iterations: number): Promise<number> {
  return withDir(async (dir) => {
    const fh = await openAsync(join(dir, 'raw'), 'w+');
    const buf = new Uint8Array(64);
    const times: number[] = [];
    let pos = 0;
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      await fh.write(buf, 0, 64, pos);
      await fh.datasync();
      times.push(performance.now() - t0);
      pos += 64;
    }
    await fh.close();
    return median(times);
  });
}

/** Raw floor for a big write: `bytes` + fdatasync, synchronous (ms). */
function rawBulkMs(bytes: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'rotortree-bench-'));
  try {
    const fd = openSync(join(dir, 'raw'), 'w+');
    const buf = new Uint8Array(bytes);
    const t0 = performance.now();
    writeSync(fd, buf, 0, bytes, 0);
    fdatasyncSync(fd);
    const ms = performance.now() - t0;
    closeSync(fd);
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function openTree(dir: string, hasher: Hasher, manual: boolean): Promise<RotorTree> {
  return RotorTree.open({ hasher, n: 4, maxDepth: 32, wal: fsWal({ dir }), flushPolicy: manual ? { kind: 'manual' } : { kind: 'interval', ms: 10 } });
}

export async function durabilityBench(quick: boolean): Promise<void> {
  const hasher = blake3();
  const rows: string[][] = [];

  // 1. Single inserts with interval flush (group commit), every token awaited at the end.
  const singles = quick ? 50_000 : 500_000;
  const singleLeaves = leaves(singles);
  const singleRates: number[] = [];
  for (let r = 0; r < 3; r++) {
    singleRates.push(
      await withDir(async (dir) => {
        const tree = await openTree(dir, hasher, false);
        const t0 = performance.now();
        const tokens = [];
        for (let i = 0; i < singles; i++) tokens.push(tree.insert(singleLeaves.subarray(i * 32, i * 32 + 32)).token);
        await Promise.all(tokens.map((t) => t.wait()));
        const ms = performance.now() - t0;
        await tree.close();
        return singles / ms / 1000;
      }),
    );
  }
  rows.push([`insert x${singles}, interval 10 ms, tokens awaited together`, `${median(singleRates).toFixed(2)} M durable inserts/s`, '>= 1 M/s', 'Rust crate here: 64 k/s']);

  // 2. insertDurable one at a time vs the raw fdatasync latency of the same run.
  const durables = quick ? 200 : 1000;
  const durableMs = await withDir(async (dir) => {
    const tree = await openTree(dir, hasher, false);
    const times: number[] = [];
    for (let i = 0; i < durables; i++) {
      const t0 = performance.now();
      await tree.insertDurable(singleLeaves.subarray(i * 32, i * 32 + 32));
      times.push(performance.now() - t0);
    }
    await tree.close();
    return median(times);
  });
  const rawMs = await rawFdatasyncMs(durables);
  rows.push([`insertDurable one at a time (x${durables})`, `${(durableMs * 1000).toFixed(0)} µs (raw write+fdatasync ${(rawMs * 1000).toFixed(0)} µs, ratio ${(durableMs / rawMs).toFixed(2)})`, '<= 1.5x raw', '']);

  // 3. insertMany of 1M + one flush.
  const bulk = quick ? 1 << 18 : 1 << 20;
  const bulkLeaves = leaves(bulk);
  const bulkRates: number[] = [];
  for (let r = 0; r < 3; r++) {
    bulkRates.push(
      await withDir(async (dir) => {
        const tree = await openTree(dir, hasher, true);
        const t0 = performance.now();
        tree.insertMany(bulkLeaves);
        await tree.flush();
        const ms = performance.now() - t0;
        await tree.close();
        return bulk / ms / 1000;
      }),
    );
  }
  const floorMs = rawBulkMs(bulk * 32);
  rows.push([`insertMany of ${bulk} + flush`, `${median(bulkRates).toFixed(1)} M leaves/s (raw write+fdatasync of ${bulk * 32 / 2 ** 20} MiB alone: ${floorMs.toFixed(0)} ms)`, '>= 30 M/s', 'Rust crate here: 20 M/s']);

  // 4. Replay of 100k single-insert records.
  const replayCount = 100_000;
  const replayMs = await withDir(async (dir) => {
    const tree = await openTree(dir, hasher, true);
    for (let i = 0; i < replayCount; i++) tree.insert(singleLeaves.subarray((i % singles) * 32, (i % singles) * 32 + 32));
    await tree.flush();
    await tree.close();
    const times: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      const again = await openTree(dir, hasher, true);
      times.push(performance.now() - t0);
      if (again.size !== replayCount) throw new Error('replay lost records');
      await again.close();
    }
    return median(times);
  });
  rows.push([`open + replay of ${replayCount} single-insert records`, `${replayMs.toFixed(1)} ms`, '<= 10 ms', 'Rust crate here: 5.4 ms']);

  table('Durability (N=4, BLAKE3 ' + hasher.backend + ', file WAL with fdatasync)', ['workload', 'result', 'target', 'reference'], rows);
}
