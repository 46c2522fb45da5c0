// Child process of engine-kill-batches.test.ts: like engine-child.mjs, with large batches (logged by
// reference and streamed while they are stored) between single inserts. Prints `R <size>` once
// recovered and `D <count>` each time a durability token resolves; stops inserting at `maxLeaves`.
// Usage: node engine-child-batches.mjs <dir> <maxLeaves>
import { blake3 } from '@rotortree/hasher-blake3';
import { RotorTree } from '@rotortree/core';
import { fsWal } from '../dist/index.js';
import { durabilityReporter, reportRecovered } from './child-acks.mjs';
import { batchLength, fillLeaves } from './engine-batches.mjs';

const [dir, maxArg] = process.argv.slice(2);
const maxLeaves = Number(maxArg);
const tree = await RotorTree.open({ hasher: blake3(), n: 4, maxDepth: 32, wal: fsWal({ dir }), flushPolicy: { kind: 'interval', ms: 2 } });
reportRecovered(tree.size);

const reportWhenDurable = durabilityReporter(tree.size);
let i = tree.size;
const buf = new Uint8Array(64 * 1024 * 32); // reused for every batch, as a caller may
while (i < maxLeaves) {
  const k = batchLength(i);
  const flat = buf.subarray(0, k * 32);
  fillLeaves(flat, i);
  const result = k === 1 ? tree.insert(flat) : tree.insertMany(flat);
  buf.fill(0xff); // the caller reuses its buffer at once
  i += k;
  reportWhenDurable(result, i);
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await new Promise(() => setInterval(() => {}, 1000)); // wait to be killed
