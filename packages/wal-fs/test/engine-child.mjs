// Child process of engine-crash.test.ts: opens the engine over the real file WAL in `dir`,
// continues the deterministic leaf sequence from the recovered size, and prints `D <count>` each
// time a durability token resolves (count = leaves durable). Prints `R <size>` once recovered.
// The parent SIGKILLs it at a random moment. Imports only built dist code.
// Usage: node engine-child.mjs <dir> <n> <flushMs> [preallocate bytes]
import { blake3 } from '@rotortree/hasher-blake3';
import { RotorTree } from '@rotortree/core';
import { fsWal } from '../dist/index.js';
import { durabilityReporter, reportRecovered } from './child-acks.mjs';
import { leafAt, recordLength } from './engine-sequence.mjs';

const [dir, nArg, msArg, preallocateArg] = process.argv.slice(2);
const n = Number(nArg);
const tree = await RotorTree.open({
  hasher: blake3(),
  n,
  maxDepth: 32,
  wal: fsWal({ dir, preallocate: Number(preallocateArg ?? 0) }),
  flushPolicy: { kind: 'interval', ms: Number(msArg) },
});
reportRecovered(tree.size);

const reportWhenDurable = durabilityReporter(tree.size);
let i = tree.size;
for (;;) {
  for (let r = 0; r < 20; r++) {
    const k = recordLength(i);
    let result;
    if (k === 1) {
      result = tree.insert(leafAt(i));
    } else {
      const flat = new Uint8Array(k * 32);
      for (let j = 0; j < k; j++) flat.set(leafAt(i + j), j * 32);
      result = tree.insertMany(flat);
    }
    i += k;
    reportWhenDurable(result, i);
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
}
