// Short measurements of the file WAL (run after `tsc -p tsconfig.build.json`):
//   node bench/wal-bench.mjs [dir]
// 1. flush latency of one ~4 KiB record (write + fdatasync), with and without preallocation;
// 2. append + flush of 1M leaves in one record; 3. open (replay) of 100k single-insert records.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsWal } from '../dist/index.js';

const base = await mkdtemp(join(process.argv[2] ?? tmpdir(), 'walbench-'));
const config = { n: 2, maxDepth: 32, hasherId: 'blake3' };
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];

async function flushLatency(label, preallocate, rounds = 1000) {
  const wal = fsWal({ dir: join(base, label), preallocate });
  await wal.open(config, 0, () => {});
  const rec = new Uint8Array(127 * 32).fill(7); // 4064 + 20 bytes framed
  const ts = [];
  for (let s = 1; s <= rounds; s++) {
    wal.append(s, rec);
    const t = performance.now();
    await wal.flush();
    ts.push(performance.now() - t);
  }
  await wal.close();
  console.log(`flush 4 KiB record, ${label}: median ${median(ts).toFixed(3)} ms, p99 ${p99(ts).toFixed(3)} ms (${rounds} rounds)`);
}

await flushLatency('no-prealloc', 0);
await flushLatency('prealloc-4MiB', 4 << 20);
await flushLatency('no-prealloc-2', 0);
await flushLatency('prealloc-4MiB-2', 4 << 20);

{
  const wal = fsWal({ dir: join(base, 'big') });
  await wal.open(config, 0, () => {});
  const leaves = new Uint8Array(32 << 20);
  for (let i = 0; i < leaves.length; i += 4096) leaves[i] = i & 0xff;
  for (let r = 1; r <= 3; r++) {
    let t = performance.now();
    wal.append(r, leaves);
    const appendMs = performance.now() - t;
    t = performance.now();
    await wal.flush();
    console.log(`1M leaves in one record: append (copy + CRC) ${appendMs.toFixed(1)} ms, flush (write + fdatasync 32 MiB) ${(performance.now() - t).toFixed(1)} ms`);
  }
  await wal.close();
}

{
  const dir = join(base, 'replay');
  const wal = fsWal({ dir });
  await wal.open(config, 0, () => {});
  const leaf = new Uint8Array(32).fill(3);
  for (let s = 1; s <= 100_000; s++) wal.append(s, leaf);
  await wal.flush();
  await wal.close();
  for (let r = 0; r < 5; r++) {
    const again = fsWal({ dir });
    let n = 0;
    const t = performance.now();
    await again.open(config, 0, (_seq, l) => {
      n += l.length;
    });
    const ms = performance.now() - t;
    await again.close();
    console.log(`replay 100k single-insert records (5.6 MB): open ${ms.toFixed(1)} ms (${n / 32} leaves)`);
  }
}
await rm(base, { recursive: true, force: true });
