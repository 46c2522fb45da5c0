/**
 * Large batches logged by reference (Wal.appendImmutable): the WAL keeps the tree's level-0 bytes,
 * never the caller's buffer; failures once the record is open poison; WALs without the method
 * take the copying path.
 */
import { describe, expect, it } from 'vitest';
import { RotorTree } from '../src/engine/rotor-tree.js';
import { memoryWal } from '../src/persistence/memory/memory-wal.js';
import { MemoryDisk } from '../src/persistence/memory/memory-disk.js';
import type { ImmutableRecordWriter, Wal } from '../src/persistence/wal.js';
import { LeanIMT } from '../src/tree/lean-imt.js';
import { flatLeaves as leaves, hasherFailingWhile, mixHasher } from './support/batches.js';
import { codeOf } from './support/outcomes.js';

const BIG = 70_000; // >= 1 MiB: written ahead, in three slices

/** A memory WAL that counts how its records arrive, optionally without appendImmutable. */
function probeWal(disk: MemoryDisk, byReference: boolean): { wal: Wal; copied: number[]; referenced: number[] } {
  const inner = memoryWal({ disk });
  const copied: number[] = [];
  const referenced: number[] = [];
  const wal: Wal = {
    supports: inner.supports,
    open: (config) => inner.open(config),
    recover: (options) => inner.recover(options),
    append: (seq, l) => {
      copied.push(seq);
      inner.append(seq, l);
    },
    flush: () => inner.flush(),
    truncate: (upTo) => inner.truncate(upTo),
    close: () => inner.close(),
  };
  if (byReference) {
    wal.appendImmutable = (seq, byteLength) => {
      referenced.push(seq);
      return inner.appendImmutable(seq, byteLength);
    };
  }
  return { wal, copied, referenced };
}

const open = (wal: Wal) => RotorTree.open({ hasher: mixHasher, n: 4, maxDepth: 16, wal, flushPolicy: { kind: 'manual' } });

describe('RotorTree: batches logged by reference', () => {
  for (const byReference of [true, false]) {
    it(`log what was inserted even when the caller reuses its buffer at once (${byReference ? 'by reference' : 'copying WAL'})`, async () => {
      const disk = new MemoryDisk();
      const probe = probeWal(disk, byReference);
      const tree = await open(probe.wal);
      const reference = new LeanIMT({ hasher: mixHasher, n: 4, maxDepth: 16 });
      const buf = leaves(BIG, 0);
      reference.insertMany(buf);
      const a = tree.insertMany(buf);
      buf.fill(0xee); // reused before the flush (the memory WAL copies referenced parts only when flushing)
      tree.insert(leaves(1, BIG)); // a small record right after the open-then-ended one
      reference.insert(leaves(1, BIG));
      const small = leaves(10, BIG + 1); // below the write-ahead size: always copied
      tree.insertMany(small);
      reference.insertMany(small);
      small.fill(0xdd);
      await a.token.wait(); // written ahead: durable without a flush() call
      await tree.flush();
      expect(probe.referenced).toEqual(byReference ? [1] : []);
      expect(probe.copied).toEqual(byReference ? [2, 3] : [1, 2, 3]);
      await tree.close();
      const again = await open(probeWal(disk, byReference).wal);
      expect(again.size).toBe(BIG + 11);
      expect(again.root).toEqual(reference.root);
      await again.close();
    });
  }

  it('a WAL refusing the record changes nothing in the tree and poisons', async () => {
    const probe = probeWal(new MemoryDisk(), true);
    probe.wal.appendImmutable = () => {
      throw new Error('refused');
    };
    const tree = await open(probe.wal);
    const first = tree.insert(leaves(1, 0));
    const before = tree.root;
    expect(codeOf(() => tree.insertMany(leaves(BIG, 1)))).toBe('POISONED');
    expect(tree.size).toBe(1);
    expect(tree.root).toEqual(before);
    await expect(first.token.wait()).rejects.toMatchObject({ code: 'POISONED' });
    await tree.close();
  });

  it('a failure while the record is open gives it up (never durable) and poisons', async () => {
    for (const failIn of ['add', 'hash'] as const) {
      const disk = new MemoryDisk();
      const probe = probeWal(disk, true);
      const inner = probe.wal.appendImmutable!.bind(probe.wal);
      let aborted: unknown;
      let armed = false;
      probe.wal.appendImmutable = (seq, byteLength) => {
        const w = inner(seq, byteLength);
        let adds = 0;
        const writer: ImmutableRecordWriter = {
          add: (parts) => {
            if (failIn === 'add' && ++adds === 2) throw new Error('add failed');
            w.add(parts);
            if (failIn === 'hash') armed = true; // the hasher fails once the leaves are stored
          },
          end: () => w.end(),
          abort: (cause) => {
            aborted = cause;
            w.abort(cause);
          },
        };
        return writer;
      };
      const flaky = hasherFailingWhile(mixHasher, () => armed);
      const tree = await RotorTree.open({ hasher: flaky, n: 4, maxDepth: 16, wal: probe.wal, flushPolicy: { kind: 'manual' } });
      tree.insert(leaves(1, 0));
      await tree.flush();
      const code = codeOf(() => tree.insertMany(leaves(BIG, 1)));
      armed = false;
      expect(code).toBe('POISONED');
      expect(aborted).toBeInstanceOf(Error);
      expect(tree.poisoned).toBe(true);
      expect(tree.size).toBe(1);
      expect(tree.durableSeq).toBe(1);
      await expect(tree.flush()).rejects.toMatchObject({ code: 'POISONED' });
      await tree.close();
      // A record given up while open never reaches the disk. One whose leaves were all stored (the
      // hasher failed after) was complete: a reopen may find it or not, whole or not at all.
      const again = await open(probeWal(disk, true).wal);
      if (failIn === 'add') expect(again.size).toBe(1);
      else expect([1, BIG + 1]).toContain(again.size);
      await again.close();
    }
  });

  it('takes a transferred buffer (large and small batches, both WAL paths): the caller\'s is detached, the log holds the leaves', async () => {
    for (const byReference of [true, false]) {
      const disk = new MemoryDisk();
      const tree = await open(probeWal(disk, byReference).wal);
      const reference = new LeanIMT({ hasher: mixHasher, n: 4, maxDepth: 16 });
      for (const [count, from] of [[BIG, 0], [10, BIG], [BIG + 3, BIG + 10]] as const) {
        const buf = leaves(count, from);
        reference.insertMany(buf.slice());
        const result = tree.insertMany(buf, { transfer: true });
        expect(buf.length).toBe(0); // detached
        expect(result.root).toEqual(reference.root);
      }
      // Arrays are copied once, whatever the option says; the caller's arrays stay theirs.
      const array = Array.from({ length: 40 }, (_, i) => leaves(1, 2 * BIG + 13 + i));
      reference.insertMany(array);
      expect(tree.insertMany(array, { transfer: true }).root).toEqual(reference.root);
      expect(array[0]!.length).toBe(32);
      await tree.flush();
      await tree.close();
      const again = await open(probeWal(disk, byReference).wal);
      expect(again.size).toBe(reference.size);
      expect(again.root).toEqual(reference.root);
      await again.close();
    }
  });

  it('refuses a buffer it cannot take before anything changes (TypeError, nothing detached)', async () => {
    const tree = await open(probeWal(new MemoryDisk(), true).wal);
    tree.insertMany(leaves(5, 0));
    const before = tree.root;
    const whole = leaves(BIG + 2, 5);
    const part = whole.subarray(64);
    expect(() => tree.insertMany(part, { transfer: true })).toThrow(TypeError);
    const shared = new Uint8Array(new SharedArrayBuffer(64 * 32));
    expect(() => tree.insertMany(shared, { transfer: true })).toThrow(TypeError);
    expect(whole.length).toBe((BIG + 2) * 32);
    expect(tree.size).toBe(5);
    expect(tree.root).toEqual(before);
    await tree.close();
  });
});
