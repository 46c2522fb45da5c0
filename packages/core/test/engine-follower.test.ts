/**
 * Followers: a read-only tree beside a writer on the same memory disk. It serves only durable
 * states (never ahead of the writer's last flush), the same roots as the writer at the same size,
 * reloads the checkpoint when the log was truncated past it, checks the writer's published roots,
 * and stops serving when one differs.
 */
import { describe, expect, it } from 'vitest';
import { RotorTree } from '../src/engine/rotor-tree.js';
import { MemoryDisk } from '../src/persistence/memory/memory-disk.js';
import { memoryCheckpointStore } from '../src/persistence/memory/memory-checkpoint-store.js';
import { memoryWal } from '../src/persistence/memory/memory-wal.js';
import { memoryWalReader } from '../src/persistence/memory/memory-wal-reader.js';
import { generateProof, verifyProof } from '../src/proof/index.js';
import { leaf, testHasher } from './support/naive-tree.js';
import { rejectionCode } from './support/outcomes.js';
import type { CheckpointStore } from '../src/persistence/checkpoint-store.js';
import type { WalReader } from '../src/persistence/wal-reader.js';

const manual = { kind: 'manual' } as const;
const hex = (b: Uint8Array | undefined): string => (b === undefined ? '-' : Buffer.from(b).toString('hex'));

async function writerOn(disk: MemoryDisk): Promise<RotorTree> {
  return RotorTree.open({ hasher: testHasher, n: 4, maxDepth: 16, wal: memoryWal({ disk }), checkpoints: memoryCheckpointStore({ disk }), flushPolicy: manual });
}

function followerOn(disk: MemoryDisk, pollMs = 0) {
  return RotorTree.follow({ hasher: testHasher, n: 4, maxDepth: 16, wal: memoryWalReader({ disk }), checkpoints: memoryCheckpointStore({ disk, readOnly: true }), pollMs });
}

describe('RotorTree.follow', () => {
  it('reads the log when its reader reports a change, and once more after a read that a change overtook; stops watching at close', async () => {
    const disk = new MemoryDisk();
    const writer = await writerOn(disk);
    writer.insert(leaf(0));
    await writer.flush();
    const inner = memoryWalReader({ disk });
    let notify: (() => void) | undefined;
    let reads = 0;
    let stopped = 0;
    let gate: Promise<void> = Promise.resolve();
    const wal = {
      location: inner.location,
      open: inner.open.bind(inner),
      read: async (options: Parameters<typeof inner.read>[0]) => {
        reads++;
        const result = await inner.read(options);
        await gate; // holds a read that has read the log already
        return result;
      },
      close: inner.close.bind(inner),
      watch: (onChange: () => void) => ((notify = onChange), () => void stopped++),
    };
    // A poll too slow to matter: only the reports wake the follower.
    const follower = await RotorTree.follow({ hasher: testHasher, n: 4, maxDepth: 16, wal, pollMs: 600_000 });
    expect(notify).toBeDefined();
    writer.insert(leaf(1));
    await writer.flush();
    notify!();
    await expect.poll(() => follower.size).toBe(2);
    // A report during a read: that read may have missed the change, so one more read follows it.
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    writer.insert(leaf(2));
    const reading = follower.catchUp(); // reads the log before the flush, then waits at the gate
    await writer.flush();
    notify!();
    open();
    expect(await reading).toBe(2);
    await expect.poll(() => follower.size).toBe(3);
    const before = reads;
    await follower.close();
    expect(stopped).toBe(1);
    notify!(); // after close: nothing is read
    expect(reads).toBe(before);
    await writer.close();
  });

  it('serves the writer durable states only, with the same roots and proofs', async () => {
    const disk = new MemoryDisk();
    const writer = await writerOn(disk);
    writer.insertMany([leaf(0), leaf(1), leaf(2)]);
    await writer.flush();
    const follower = await followerOn(disk);
    expect(follower.treeId).toBe(writer.treeId);
    expect(follower.size).toBe(3);
    expect(hex(follower.root)).toBe(hex(writer.root));
    writer.insert(leaf(3)); // not flushed: not durable
    await follower.catchUp();
    expect(follower.size).toBe(3);
    await writer.flush();
    expect(await follower.catchUp()).toBe(writer.seq);
    expect(follower.size).toBe(4);
    expect(hex(follower.root)).toBe(hex(writer.root));
    expect(follower.lag.records).toBe(0);
    const snap = follower.snapshot();
    expect(verifyProof(testHasher, generateProof(snap, 2), { root: writer.root!, size: 4, n: 4 })).toBe(true);
    await follower.close();
    await writer.close();
  });

  it('a read that fails after handing over records keeps them once: the next read continues after them', async () => {
    const disk = new MemoryDisk();
    const writer = await writerOn(disk);
    writer.insert(leaf(0));
    await writer.flush();
    const reader = memoryWalReader({ disk });
    let failNext = false;
    const flaky: WalReader = {
      location: reader.location,
      open: (config) => reader.open(config),
      close: () => reader.close(),
      read: async (options) => {
        if (!failNext) return reader.read(options);
        failNext = false;
        // Hands over the first record after afterSeq, then fails (a connection lost mid-read).
        let handed = 0;
        await reader.read({
          ...options,
          visit: (seq, leaves) => {
            if (handed++ === 0) options.visit(seq, leaves);
          },
          visitRun: undefined,
        });
        throw new Error('connection lost');
      },
    };
    const follower = await RotorTree.follow({ hasher: testHasher, n: 4, maxDepth: 16, wal: flaky, checkpoints: memoryCheckpointStore({ disk, readOnly: true }), pollMs: 0 });
    // A record of 1 MiB goes into the tree as soon as it is handed over (no gathering): the failing
    // read grows the tree before it throws.
    const big = new Uint8Array(32 * 32768);
    for (let i = 0; i < big.length; i += 32) big.set(leaf(i / 32), i);
    writer.insertMany(big);
    for (let i = 1; i < 5; i++) writer.insert(leaf(i));
    await writer.flush();
    failNext = true;
    await expect(follower.catchUp()).rejects.toThrow('connection lost');
    expect(await follower.catchUp()).toBe(writer.seq);
    expect(follower.size).toBe(1 + 32768 + 4);
    expect(hex(follower.root)).toBe(hex(writer.root));
    await follower.close();
    await writer.close();
  });

  it('reloads the checkpoint when the writer truncated its log past the follower', async () => {
    const disk = new MemoryDisk();
    const writer = await writerOn(disk);
    writer.insert(leaf(0));
    await writer.flush();
    const follower = await followerOn(disk);
    expect(follower.size).toBe(1);
    for (let i = 1; i < 40; i++) writer.insert(leaf(i));
    await writer.checkpoint(); // flushes, publishes, truncates the log up to seq 40
    writer.insert(leaf(40));
    await writer.flush();
    await follower.catchUp();
    expect(follower.size).toBe(41);
    expect(hex(follower.root)).toBe(hex(writer.root));
    await follower.close();
    await writer.close();
  });

  it('loads the newer checkpoint when the writer checkpointed and truncated again while the follower loaded one', async () => {
    const disk = new MemoryDisk();
    const writer = await writerOn(disk);
    writer.insert(leaf(0));
    await writer.flush();
    const store = memoryCheckpointStore({ disk, readOnly: true });
    let raced = false;
    // The writer checkpoints (and truncates) again right after the follower read which checkpoint is the latest.
    const racing: CheckpointStore = {
      supports: store.supports,
      location: store.location,
      open: (config) => store.open(config),
      write: (view, seq) => store.write(view, seq),
      close: () => store.close(),
      latest: async () => {
        const stored = await store.latest!();
        if (!raced) {
          raced = true;
          for (let i = 20; i < 30; i++) writer.insert(leaf(i));
          await writer.checkpoint();
        }
        return stored;
      },
    };
    const follower = await RotorTree.follow({ hasher: testHasher, n: 4, maxDepth: 16, wal: memoryWalReader({ disk }), checkpoints: racing, pollMs: 0 });
    for (let i = 1; i < 20; i++) writer.insert(leaf(i));
    await writer.checkpoint();
    await follower.catchUp();
    expect(raced).toBe(true);
    expect(follower.size).toBe(30);
    expect(follower.checkpointSeq).toBe(30);
    expect(hex(follower.root)).toBe(hex(writer.root));
    await follower.close();
    await writer.close();
  });

  it('checks the root the writer published for a durable state, and stops serving when it differs', async () => {
    const disk = new MemoryDisk();
    const writer = await writerOn(disk);
    writer.insertMany([leaf(0), leaf(1)]);
    await writer.flush();
    expect(disk.walMark?.seq).toBe(writer.seq);
    expect(hex(disk.walMark?.root)).toBe(hex(writer.root));
    const follower = await followerOn(disk);
    writer.insert(leaf(2));
    await writer.flush();
    const mark = disk.walMark!;
    const forged = mark.root!.slice();
    forged[0]! ^= 1;
    disk.walMark = { ...mark, root: forged };
    expect(await rejectionCode(follower.catchUp())).toBe('CORRUPTION');
    expect(() => follower.root).toThrow(expect.objectContaining({ code: 'CORRUPTION' }));
    expect(() => follower.snapshot()).toThrow(expect.objectContaining({ code: 'CORRUPTION' }));
    await follower.close();
    await writer.close();
  });

  it('polls in the background, and refuses a tree with no log yet', async () => {
    const disk = new MemoryDisk();
    expect(await rejectionCode(followerOn(disk))).toBe('IO');
    const writer = await writerOn(disk);
    writer.insert(leaf(0));
    await writer.flush();
    const follower = await followerOn(disk, 2);
    writer.insertMany([leaf(1), leaf(2)]);
    await writer.flush();
    for (let i = 0; i < 200 && follower.size < 3; i++) await new Promise((r) => setTimeout(r, 2));
    expect(follower.size).toBe(3);
    await follower.close();
    expect(await rejectionCode(follower.catchUp())).toBe('CLOSED');
    await writer.close();
  });
});
