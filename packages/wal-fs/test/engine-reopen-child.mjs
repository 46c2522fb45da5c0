// Reopens, in a fresh process, the tree engine-child.mjs wrote in `dir` (imports only built dist
// code), compares every leaf with the deterministic sequence, and prints one JSON line: `size`,
// `mismatch` (the first leaf that differs, or -1) and the peak resident memory `hwmKiB` (VmHWM).
// Usage: node engine-reopen-child.mjs <dir> <n>
import { readFileSync } from 'node:fs';
import { blake3 } from '@rotortree/hasher-blake3';
import { RotorTree } from '@rotortree/core';
import { fsWal } from '../dist/index.js';
import { leafAt } from './engine-sequence.mjs';

const [dir, nArg] = process.argv.slice(2);
const tree = await RotorTree.open({ hasher: blake3(), n: Number(nArg), maxDepth: 32, wal: fsWal({ dir }), flushPolicy: { kind: 'manual' } });
const hwmKiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const view = tree.snapshot();
let mismatch = -1;
for (let i = 0; i < tree.size && mismatch < 0; i++) {
  const got = view.getNode(0, i);
  const want = leafAt(i);
  if (got.length !== 32 || got.some((b, j) => b !== want[j])) mismatch = i;
}
process.stdout.write(`${JSON.stringify({ size: tree.size, mismatch, hwmKiB })}\n`);
await tree.close();
