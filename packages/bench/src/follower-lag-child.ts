/**
 * The follower of the follower-lag benchmark (follower-lag-bench.ts), in a process of its own: follows
 * the tree named in argv on the standby and tells its parent each size it serves, with the time.
 */
import { RotorTree } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { postgresWalReader } from '@rotortree/wal-postgres';

const [standby, tree, schema, pollMs] = process.argv.slice(2);
const follower = await RotorTree.follow({
  hasher: blake3(),
  n: 4,
  maxDepth: 32,
  wal: postgresWalReader({ connection: standby!, tree: tree!, schema: schema! }),
  pollMs: Number(pollMs),
});
let stop = false;
process.on('message', () => {
  stop = true;
});
process.send!({ kind: 'ready' });
let last = follower.size;
const sizes: number[] = [];
const times: number[] = [];
// Watches the served size between the follower's own background reads (it reads every pollMs).
while (!stop) {
  const size = follower.size;
  if (size !== last) {
    sizes.push(size);
    times.push(performance.timeOrigin + performance.now());
    last = size;
  }
  await new Promise((r) => setImmediate(r));
}
await follower.close();
process.send!({ kind: 'states', sizes, times, error: follower.lastError === undefined ? undefined : String(follower.lastError) });
process.disconnect();
