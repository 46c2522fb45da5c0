/** Hash throughput per call size: our backends (batched and one message per call) beside npm BLAKE3 libraries. */
import { loadNativeKernel, loadWasmKernel, referenceKernel } from '@rotortree/hasher-blake3';
import type { Blake3Kernel } from '@rotortree/hasher-blake3';
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { createBLAKE3 } from 'hash-wasm';
import { hashInto as jitHashInto } from 'blake3-jit';
import { medianMs } from './harness.js';
import type { BenchContext } from './results.js';

const SIZES = [64, 128, 256, 512];
const BATCH = 1024;

/**
 * Millions of hashes per second of `fn` (which hashes `hashesPerCall` messages per call): the median
 * of `runs` rounds of about `roundHashes` hashes each, after one warm-up round.
 */
function rate(fn: () => void, hashesPerCall: number, roundHashes: number, runs: number): number {
  const calls = Math.max(1, Math.ceil(roundHashes / hashesPerCall));
  const ms = medianMs(() => {
    for (let i = 0; i < calls; i++) fn();
  }, () => undefined, runs);
  return (hashesPerCall * calls) / ms / 1000;
}

export async function hashBench(ctx: BenchContext): Promise<void> {
  const input = new Uint8Array(512 * BATCH).map((_, i) => (i * 131) & 255);
  const out = new Uint8Array(32 * BATCH);
  // Rounds of ~20-50 ms for the fast rows, shorter for the slow per-call libraries.
  const scale = ctx.quick ? 0.1 : 1;
  const runs = ctx.quick ? 3 : 7;
  const rows: string[][] = [];
  const kernels: { name: string; kernel: Blake3Kernel }[] = [];
  const native = loadNativeKernel();
  if (native !== undefined) kernels.push({ name: `rotortree native (${native.simd})`, kernel: native });
  kernels.push({ name: 'rotortree wasm (SIMD128)', kernel: loadWasmKernel() });
  for (const { name, kernel } of kernels) {
    const batched = SIZES.map((len) => rate(() => kernel.hashMany(input, 0, len, BATCH, out, 0), BATCH, (2_000_000 * scale * 64) / len, runs));
    const single = SIZES.map((len) => rate(() => kernel.hashMany(input, 0, len, 1, out, 0), 1, 300_000 * scale, runs));
    const tag = name.startsWith('rotortree native') ? 'native' : 'wasm';
    ctx.results.metric(`hash.${tag}.batch.64`, batched[0]!);
    ctx.results.metric(`hash.${tag}.single.64`, single[0]!);
    rows.push([`${name}, ${BATCH} per call`, ...batched.map((r) => r.toFixed(2))]);
    rows.push([`${name}, 1 per call`, ...single.map((r) => r.toFixed(2))]);
  }
  rows.push(['@noble/hashes 2.4 (our js reference), 1 per call', ...SIZES.map((len) => rate(() => referenceKernel.hashMany(input, 0, len, 1, out, 0), 1, 30_000 * scale, runs).toFixed(2))]);
  const hw = await createBLAKE3();
  rows.push(['hash-wasm 4.13, 1 per call', ...SIZES.map((len) => rate(() => {
    hw.init();
    hw.update(input.subarray(0, len));
    out.set(hw.digest('binary'));
  }, 1, 150_000 * scale, runs).toFixed(2))]);
  const jitOut = new Uint8Array(32);
  const jit = SIZES.map((len) => rate(() => jitHashInto(input.subarray(0, len), jitOut), 1, 150_000 * scale, runs));
  ctx.results.metric('hash.blake3-jit.single.64', jit[0]!);
  rows.push(['blake3-jit 1.1, 1 per call', ...jit.map((r) => r.toFixed(2))]);
  // noble directly, to show the reference kernel adds nothing.
  rows.push(['@noble/hashes 2.4 direct, 1 per call', ...SIZES.map((len) => rate(() => out.set(nobleBlake3(input.subarray(0, len))), 1, 30_000 * scale, runs).toFixed(2))]);
  ctx.results.table({
    title: 'BLAKE3 hashes per second (millions), by message size',
    header: ['implementation', ...SIZES.map((s) => `${s} B`)],
    rows,
    note: `Median of ${runs} rounds after a warm-up round. A 64-byte message is one binary node; N=4 hashes 128-byte groups.`,
  });
}
