// The performance targets of the file WAL, measured with the native kernels and with the JS
// fallback (a child process with ROTORTREE_DISABLE_NATIVE=1), next to the numbers of the code
// before this work (recorded: they cannot be re-run). Build first:
//   (cd ../core && tsc -p tsconfig.build.json); tsc -p tsconfig.build.json; node native/build.mjs
//   node bench/wal-perf.mjs [dir]
// Medians of several rounds; the machine is shared, so expect noise of 20-50%.
import { spawnSync } from 'node:child_process';
import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RotorTree } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { fsWal } from '../dist/index.js';
import { nativeWalKernels } from '../dist/native.js';
import { crc32cKernel } from '@rotortree/native';

const CHILD = process.argv.includes('--child');
const baseDir = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? tmpdir();
const config = { n: 4, maxDepth: 32, hasherId: 'blake3' };
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function randomBytes(length) {
  const out = new Uint8Array(length);
  for (let o = 0; o < length; o += 65536) crypto.getRandomValues(out.subarray(o, Math.min(length, o + 65536)));
  return out;
}

async function withDir(fn) {
  const dir = await mkdtemp(join(baseDir, 'walperf-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const BULK = randomBytes(32 << 20); // 1M leaves

/** append + flush of 1M leaves in one record, directly on the WAL. */
async function walBulk() {
  return withDir(async (dir) => {
    const wal = fsWal({ dir });
    await wal.open(config, 0, () => {});
    const appendMs = [];
    const flushMs = [];
    for (let r = 1; r <= 7; r++) {
      let t = performance.now();
      wal.append(r, BULK);
      const a = performance.now() - t;
      t = performance.now();
      await wal.flush();
      if (r > 2) {
        appendMs.push(a); // rounds 1-2 grow the two record buffers (first-touch page faults)
        flushMs.push(performance.now() - t);
      }
    }
    await wal.close();
    return { append: median(appendMs), flush: median(flushMs) };
  });
}

/** Appends of single-leaf records: ns per append. */
async function walSingles() {
  return withDir(async (dir) => {
    const wal = fsWal({ dir });
    await wal.open(config, 0, () => {});
    const ns = [];
    let seq = 0;
    for (let r = 0; r < 7; r++) {
      const t = performance.now();
      for (let i = 0; i < 100_000; i++) wal.append(++seq, BULK.subarray(i * 32, i * 32 + 32));
      ns.push(((performance.now() - t) * 1e6) / 100_000);
      await wal.flush();
    }
    await wal.close();
    return median(ns.slice(2));
  });
}

/** open (recovery + replay) of 100k single-insert records: first open, and median of the next. */
async function walReplay() {
  return withDir(async (dir) => {
    const wal = fsWal({ dir });
    await wal.open(config, 0, () => {});
    for (let s = 1; s <= 100_000; s++) wal.append(s, BULK.subarray(s * 32, s * 32 + 32));
    await wal.flush();
    await wal.close();
    const ms = [];
    for (let r = 0; r < 9; r++) {
      const again = fsWal({ dir });
      let sum = 0;
      const t = performance.now();
      await again.open(config, 0, (_seq, leaves) => {
        sum += leaves[0];
      });
      ms.push(performance.now() - t);
      await again.close();
      if (sum < 0) throw new Error('unreachable');
    }
    return { cold: ms[0], warm: median(ms.slice(1)) };
  });
}

/** Through the engine: insertMany of 1M + flush (M leaves/s), and 200k single inserts with interval flush. */
async function engine() {
  const bulkRates = [];
  const singleRates = [];
  for (let r = 0; r < 4; r++) {
    await withDir(async (dir) => {
      const tree = await RotorTree.open({ hasher: blake3(), ...config, wal: fsWal({ dir }), flushPolicy: { kind: 'manual' } });
      const t = performance.now();
      tree.insertMany(BULK);
      await tree.flush();
      bulkRates.push(1 / ((performance.now() - t) / 1000));
      await tree.close();
    });
    await withDir(async (dir) => {
      const tree = await RotorTree.open({ hasher: blake3(), ...config, wal: fsWal({ dir }), flushPolicy: { kind: 'interval', ms: 10 } });
      const count = 200_000;
      const t = performance.now();
      const tokens = [];
      for (let i = 0; i < count; i++) tokens.push(tree.insert(BULK.subarray(i * 32, i * 32 + 32)).token);
      await Promise.all(tokens.map((k) => k.wait()));
      singleRates.push(count / ((performance.now() - t) / 1000) / 1e6);
      await tree.close();
    });
  }
  return { bulk: median(bulkRates.slice(1)), singles: median(singleRates.slice(1)) };
}

/** Raw write + fdatasync of 32 MiB: one write call, versus the WAL's chunked writes with early syncs. */
async function rawFlush() {
  return withDir(async (dir) => {
    const path = join(dir, 'raw');
    const single = [];
    const chunked = [];
    for (let r = 0; r < 5; r++) {
      for (const mode of ['single', 'chunked']) {
        const fh = await open(path, 'w+');
        const t = performance.now();
        if (mode === 'single') await fh.write(BULK, 0, BULK.length, 40);
        else {
          const early = [];
          for (let o = 0; o < BULK.length; o += 1 << 20) {
            await fh.write(BULK, o, 1 << 20, 40 + o);
            if ((o + (1 << 20)) % (8 << 20) === 0 && o + (1 << 20) < BULK.length) early.push(fh.datasync());
          }
          await Promise.all(early);
        }
        await fh.datasync();
        (mode === 'single' ? single : chunked).push(performance.now() - t);
        await fh.close();
        await unlink(path);
      }
    }
    return { single: median(single), chunked: median(chunked) };
  });
}

async function measure() {
  const bulk = await walBulk();
  const singleNs = await walSingles();
  const replay = await walReplay();
  const eng = await engine();
  return { bulk, singleNs, replay, eng };
}

if (CHILD) {
  process.stdout.write(JSON.stringify(await measure()));
} else {
  const kernel = nativeWalKernels === undefined ? 'none (not built)' : `loaded, CRC-32C on ${crc32cKernel()}`;
  console.log(`native WAL kernels: ${kernel}`);
  const nat = await measure();
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', baseDir], {
    env: { ...process.env, ROTORTREE_DISABLE_NATIVE: '1' },
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`JS-fallback child failed: ${child.stderr}`);
  const js = JSON.parse(child.stdout);
  const raw = await rawFlush();
  const f = (x, d = 1) => x.toFixed(d);
  // Before: the code as it was before the native kernels and chunked flush (same machine, shared load).
  const rows = [
    ['metric', 'target', 'now (native)', 'now (JS fallback)', 'before (recorded)'],
    ['WAL append of 1M leaves (ms)', '', f(nat.bulk.append), f(js.bulk.append), '46-85'],
    ['WAL flush of 32 MiB (ms)', '', f(nat.bulk.flush), f(js.bulk.flush), '80-143'],
    ['WAL append of one leaf (ns)', '', f(nat.singleNs, 0), f(js.singleNs, 0), '~300'],
    ['replay 100k records, warm (ms)', '<= 10', f(nat.replay.warm), f(js.replay.warm), '11-14 (27-58 loaded)'],
    ['replay 100k records, first open (ms)', '', f(nat.replay.cold), f(js.replay.cold), '25-60'],
    ['engine insertMany 1M + flush (M leaves/s)', '>= 30', f(nat.eng.bulk), f(js.eng.bulk), '~5'],
    ['engine insert x200k, interval 10 ms (M durable/s)', '>= 1', f(nat.eng.singles, 2), f(js.eng.singles, 2), ''],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join(' | '));
  console.log(`raw 32 MiB write + fdatasync: one write call ${f(raw.single)} ms, 1 MiB chunks + early syncs ${f(raw.chunked)} ms`);
}
