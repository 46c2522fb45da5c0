// Measures the file checkpoint store (run after `tsc -p tsconfig.build.json`):
//   node bench/checkpoint.mjs [leaves=1048576] [n=4]
// Write of a whole tree as a first checkpoint, open without / with verification, and random
// getNode through the view (mmap vs read-into-memory). Short on purpose: the CPU is shared.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeanIMT } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { mmapCheckpointStore } from '../dist/index.js';

const size = Number(process.argv[2] ?? 1 << 20);
const n = Number(process.argv[3] ?? 4);
const hasher = blake3();
const config = { n, maxDepth: 32, hasherId: hasher.id };
const leaves = new Uint8Array(size * 32);
for (let i = 0; i < leaves.length; i++) leaves[i] = (i * 2654435761) >>> 24;
const tree = new LeanIMT({ hasher, n, maxDepth: 32 });
tree.insertMany(leaves);
const snap = tree.snapshot();

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const writes = [];
const dirs = [];
for (let r = 0; r < 5; r++) {
  const dir = mkdtempSync(join(tmpdir(), 'rt-bench-'));
  dirs.push(dir);
  const s = mmapCheckpointStore({ dir });
  await s.open(config);
  const t0 = process.hrtime.bigint();
  await s.write(snap, size);
  writes.push(ms(t0));
  await s.close();
}
console.log(`write ${size} leaves n=${n}: median ${median(writes).toFixed(1)} ms (runs ${writes.map((x) => x.toFixed(1)).join(', ')})`);

async function timeOpen(options) {
  const times = [];
  let store;
  for (let r = 0; r < 7; r++) {
    store = mmapCheckpointStore({ dir: dirs[0], ...options });
    const t0 = process.hrtime.bigint();
    await store.open(config);
    times.push(ms(t0));
    if (r < 6) await store.close();
  }
  return { median: median(times), store };
}
for (const [label, options] of [
  ['open mmap, no verify', {}],
  ['open mmap, verify', { verify: true }],
  ['open read-into-memory, no verify', { mmap: 'off' }],
]) {
  const { median: m, store } = await timeOpen(options);
  console.log(`${label}: median ${m.toFixed(3)} ms (mapped=${store.mapped})`);
  await store.close();
}

async function timeReads(options) {
  const s = mmapCheckpointStore({ dir: dirs[0], ...options });
  const { view } = await s.open(config);
  const out = new Uint8Array(32);
  const count = 2_000_000;
  const idx = new Uint32Array(count);
  for (let i = 0; i < count; i++) idx[i] = Math.floor(Math.random() * size);
  for (let i = 0; i < 200_000; i++) view.readNode(0, idx[i], out, 0);
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) view.readNode(0, idx[i], out, 0);
  const readNs = (ms(t0) * 1e6) / count;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) view.getNode(0, idx[i]);
  const getNs = (ms(t0) * 1e6) / count;
  console.log(`random level-0 reads (${options.mmap ?? 'mmap'}): readNode ${readNs.toFixed(0)} ns, getNode ${getNs.toFixed(0)} ns (mapped=${s.mapped})`);
  await s.close();
}
{
  // Baseline: the in-memory tree's own snapshot, same random pattern.
  const out = new Uint8Array(32);
  const count = 2_000_000;
  const idx = new Uint32Array(count);
  for (let i = 0; i < count; i++) idx[i] = Math.floor(Math.random() * size);
  for (let i = 0; i < 200_000; i++) snap.readNode(0, idx[i], out, 0);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) snap.readNode(0, idx[i], out, 0);
  console.log(`random level-0 reads (TreeSnapshot in memory, baseline): readNode ${((ms(t0) * 1e6) / count).toFixed(0)} ns`);
}
await timeReads({});
await timeReads({ mmap: 'off' });
for (const d of dirs) rmSync(d, { recursive: true, force: true });

// Core's TreeSnapshot has only readNode (one call per node); a view with a bulk readNodes (this
// package's CheckpointView has one) shows what the write costs once snapshots offer bulk reads.
{
  const src = mkdtempSync(join(tmpdir(), 'rt-bench-'));
  const s0 = mmapCheckpointStore({ dir: src });
  await s0.open(config);
  await s0.write(snap, size);
  await s0.close();
  const reader = mmapCheckpointStore({ dir: src });
  const { view } = await reader.open(config);
  const times = [];
  for (let r = 0; r < 5; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'rt-bench-'));
    const s = mmapCheckpointStore({ dir });
    await s.open(config);
    const t0 = process.hrtime.bigint();
    await s.write(view, size);
    times.push(ms(t0));
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`write ${size} leaves n=${n} from a bulk-readable view: median ${median(times).toFixed(1)} ms (runs ${times.map((x) => x.toFixed(1)).join(', ')})`);
  await reader.close();
  rmSync(src, { recursive: true, force: true });
}
