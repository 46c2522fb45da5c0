/**
 * Child processes of the follower section (follower-bench.ts), talking to the parent over IPC.
 * - `writer <dir> <rate> <seconds>`: `open(dir)` with its default flush policy, then single
 *   `insert`s at `rate` per second for `seconds`; each time a flush is acknowledged (an insert's
 *   token resolves), it notes the durable seq and the time. Sends `{ acks }` and closes.
 * - `follower <dir> <pollMs>`: `follow(dir)`, then samples `follower.seq` every millisecond and notes
 *   the time each new seq is first seen, until the parent sends the writer's last seq. Sends `{ seen }`.
 * Times are `performance.timeOrigin + performance.now()` (ms since the epoch, sub-ms: one clock for
 * both processes of the same machine).
 */
import { open, follow } from 'rotortree';

/** A seq and when it was acknowledged (writer) or first served (follower). */
export type Stamp = readonly [seq: number, at: number];

const now = (): number => performance.timeOrigin + performance.now();
const send = (message: unknown): Promise<void> => new Promise((resolve) => process.send!(message, () => resolve()));
const nextMessage = (): Promise<Record<string, unknown>> => new Promise((resolve) => process.once('message', (m) => resolve(m as Record<string, unknown>)));

const [role, dir, arg, seconds] = process.argv.slice(2);

if (role === 'writer') {
  const rate = Number(arg);
  const tree = await open(dir!);
  const leaf = new Uint8Array(32);
  const view = new DataView(leaf.buffer);
  tree.insert(leaf);
  await tree.flush();
  await send({ ready: true, seq: tree.seq });
  await nextMessage();
  const acks: Stamp[] = [];
  let lastAcked = tree.durableSeq;
  const onAck = (): void => {
    const seq = tree.durableSeq;
    if (seq > lastAcked) acks.push([seq, now()]);
    lastAcked = Math.max(lastAcked, seq);
  };
  const t0 = now();
  const end = t0 + Number(seconds) * 1000;
  let inserted = 0;
  // Every millisecond or so: the inserts due by now, one by one, as a service's request handlers would make them.
  while (now() < end) {
    const due = Math.floor(((now() - t0) / 1000) * rate);
    let last;
    for (; inserted < due; inserted++) {
      view.setUint32(0, inserted + 1, true);
      last = tree.insert(leaf);
    }
    last?.token.wait().then(onAck, () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await tree.flush();
  onAck();
  await send({ acks, inserted, seconds: (now() - t0) / 1000, lastSeq: tree.seq });
  await tree.close();
} else if (role === 'follower') {
  const follower = await follow(dir!, { pollMs: Number(arg) });
  await send({ ready: true });
  const seen: Stamp[] = [];
  let lastSeq = Infinity;
  process.once('message', (m) => (lastSeq = (m as { lastSeq: number }).lastSeq));
  let seq = follower.seq;
  while (seq < lastSeq) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (follower.seq !== seq) {
      seq = follower.seq;
      seen.push([seq, now()]);
    }
  }
  await send({ seen });
  await follower.close();
} else {
  throw new Error(`unknown role ${String(role)}`);
}
process.disconnect?.();
