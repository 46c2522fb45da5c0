// Short throughput check of the wasm kernel (run after `pnpm run build`): node wasm/bench.mjs
// Reports million hashes per second; the machine is shared, so treat numbers as rough.
import { loadWasmKernel, readBlake3Wasm } from '../dist/wasm/index.js';
import { referenceKernel } from '../dist/reference.js';

const BATCH = 1024;
const wasm = loadWasmKernel();

/** Best of 7 runs of ~100 ms each, in hashes per second. */
function rate(hashesPerRep, fn) {
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let r = 0; r < reps; r++) fn();
    if (performance.now() - t > 20) break;
    reps *= 2;
  }
  reps = Math.max(1, Math.round(reps * 5));
  let best = 0;
  for (let s = 0; s < 7; s++) {
    const t = performance.now();
    for (let r = 0; r < reps; r++) fn();
    const dt = (performance.now() - t) / 1000;
    best = Math.max(best, (reps * hashesPerRep) / dt);
  }
  return best;
}

const fmt = (hps) => (hps / 1e6).toFixed(2).padStart(6);
console.log('msgLen | wasm batch 1024 | wasm 1 per call | reference | ns/hash batch | ns/call (1 msg)');
for (const msgLen of [64, 128, 256, 512]) {
  const input = new Uint8Array(BATCH * msgLen).map((_, i) => (i * 7) & 255);
  const out = new Uint8Array(BATCH * 32);
  const batch = rate(BATCH, () => wasm.hashMany(input, 0, msgLen, BATCH, out, 0));
  const single = rate(BATCH, () => {
    for (let i = 0; i < BATCH; i++) wasm.hashMany(input, i * msgLen, msgLen, 1, out, i * 32);
  });
  const ref = rate(64, () => referenceKernel.hashMany(input, 0, msgLen, 64, out, 0));
  console.log(
    `${String(msgLen).padStart(6)} | ${fmt(batch)} M/s      | ${fmt(single)} M/s      | ${fmt(ref)} M/s | ${(1e9 / batch).toFixed(0).padStart(13)} | ${(1e9 / single).toFixed(0).padStart(6)}`,
  );
}

// hashPath: a 20-level path with 15 siblings per level (N = 16, worst case) and 1 (N = 2).
for (const [n, levels] of [[2, 20], [16, 5]]) {
  const counts = new Uint8Array(levels).fill(n - 1);
  const siblings = new Uint8Array(levels * (n - 1) * 32).fill(3);
  const node = new Uint8Array(32).fill(1);
  const out = new Uint8Array(levels * 32);
  const w = rate(1, () => wasm.hashPath(node, 0, siblings, counts, levels, out));
  const r = rate(1, () => referenceKernel.hashPath(node, 0, siblings, counts, levels, out));
  console.log(`hashPath N=${n} depth ${levels}: wasm ${(w / 1e3).toFixed(0)} k paths/s, reference ${(r / 1e3).toFixed(0)} k paths/s`);
}

// Per-call overhead: the kernel's 1-message call against the bare WASM export (no checks, no copies).
{
  const raw = new WebAssembly.Instance(new WebAssembly.Module(readBlake3Wasm()), {}).exports;
  raw.memory.grow(1);
  const base = raw.dataStart();
  const input = new Uint8Array(64 * BATCH).fill(9);
  const out = new Uint8Array(32 * BATCH);
  const bare = rate(BATCH, () => {
    for (let i = 0; i < BATCH; i++) raw.hashMany(base, 64, 1, base + 4096);
  });
  const kernel = rate(BATCH, () => {
    for (let i = 0; i < BATCH; i++) wasm.hashMany(input, 64 * i, 64, 1, out, 32 * i);
  });
  console.log(`64-byte 1-message call: kernel ${(1e9 / kernel).toFixed(0)} ns, bare WASM export ${(1e9 / bare).toFixed(0)} ns, overhead ${(1e9 / kernel - 1e9 / bare).toFixed(0)} ns`);
}
