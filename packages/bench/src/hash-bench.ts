/** Hash throughput per call size: our backends (batched and one message per call) beside npm BLAKE3 libraries. */
import { loadNativeKernel, loadWasmKernel, referenceKernel } from '@rotortree/hasher-blake3';
import type { Blake3Kernel } from '@rotortree/hasher-blake3';
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { createBLAKE3 } from 'hash-wasm';
import { hashInto as jitHashInto } from 'blake3-jit';
import { medianMs, table } from './harness.js';

const SIZES = [64, 128, 256, 512];

/** Millions of hashes per second of `fn`, which hashes `count` messages per call. */
function rate(fn: () => void, hashesPerCall: number, calls: number): number {
  const ms = medianMs(() => {
    for (let i = 0; i < calls; i++) fn();
  }, () => undefined, 5);
  return (hashesPerCall * calls) / ms / 1000;
}

export async function hashBench(quick: boolean): Promise<void> {
  const batch = 1024;
  const input = new Uint8Array(512 * batch).map((_, i) => (i * 131) & 255);
  const out = new Uint8Array(32 * batch);
  const scale = quick ? 0.2 : 1;
  const rows: string[][] = [];
  const kernels: { name: string; kernel: Blake3Kernel }[] = [];
  const native = loadNativeKernel();
  if (native !== undefined) kernels.push({ name: `rotortree native (${native.simd})`, kernel: native });
  kernels.push({ name: 'rotortree wasm (SIMD128)', kernel: loadWasmKernel() });
  for (const { name, kernel } of kernels) {
    rows.push([`${name}, ${batch} per call`, ...SIZES.map((len) => rate(() => kernel.hashMany(input, 0, len, batch, out, 0), batch, Math.ceil((200 * scale * 64) / len)).toFixed(2))]);
    rows.push([`${name}, 1 per call`, ...SIZES.map((len) => rate(() => kernel.hashMany(input, 0, len, 1, out, 0), 1, Math.ceil(200_000 * scale)).toFixed(2))]);
  }
  rows.push(['@noble/hashes 2.4 (our js reference), 1 per call', ...SIZES.map((len) => rate(() => referenceKernel.hashMany(input, 0, len, 1, out, 0), 1, Math.ceil(20_000 * scale)).toFixed(2))]);
  const hw = await createBLAKE3();
  rows.push(['hash-wasm 4.13, 1 per call', ...SIZES.map((len) => rate(() => {
    hw.init();
    hw.update(input.subarray(0, len));
    out.set(hw.digest('binary'));
  }, 1, Math.ceil(100_000 * scale)).toFixed(2))]);
  const jitOut = new Uint8Array(32);
  rows.push(['blake3-jit 1.1, 1 per call', ...SIZES.map((len) => rate(() => jitHashInto(input.subarray(0, len), jitOut), 1, Math.ceil(100_000 * scale)).toFixed(2))]);
  // noble directly, to show the reference kernel adds nothing.
  rows.push(['@noble/hashes 2.4 direct, 1 per call', ...SIZES.map((len) => rate(() => out.set(nobleBlake3(input.subarray(0, len))), 1, Math.ceil(20_000 * scale)).toFixed(2))]);
  table('BLAKE3 hashes per second (millions), by message size', ['implementation', ...SIZES.map((s) => `${s} B`)], rows);
}
