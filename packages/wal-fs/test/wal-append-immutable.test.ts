/**
 * Records appended by reference (`appendImmutable`): the same bytes on disk as `append`, whether the
 * record is ended before its flush or streamed by a flush that takes it while open; crash safety
 * at every operation of such a flush (gather writes torn in the middle of the record); failures,
 * give-ups and misuse poison.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CRASH_MODES, faultyFileSystem } from '@rotortree/core/fs';
import type { FaultyFileSystem, FileHandle, FileSystem } from '@rotortree/core/fs';
import type { ImmutableRecordWriter, Wal } from '@rotortree/core';
import { fsWal } from '../src/index.js';
import { codeOf, leaves, openCollect } from './support.js';

const DIR = '/db';
const PATH = '/db/wal.log';

function same(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && Buffer.compare(a, b) === 0;
}

/** `flat` cut into parts at the given leaf counts (the last part takes the rest). */
function cut(flat: Uint8Array, partLeaves: readonly number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const k of partLeaves) {
    if (at >= flat.length) break;
    parts.push(flat.slice(at, Math.min(flat.length, at + k * 32)));
    at += k * 32;
  }
  if (at < flat.length) parts.push(flat.slice(at));
  return parts;
}

type Step =
  | { kind: 'copy'; k: number }
  | { kind: 'ref'; k: number; adds: number[][]; flushWhileOpen: boolean }
  | { kind: 'flush' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('copy' as const), k: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('ref' as const),
    k: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 30_000, max: 70_000 })),
    adds: fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1000, max: 40_000 })), { maxLength: 4 }), {
      maxLength: 3,
    }),
    flushWhileOpen: fc.boolean(),
  }),
  fc.constant({ kind: 'flush' as const }),
);

/** Runs `steps` on an fsWal over a fresh faulty fs; byReference false writes every record with append. */
async function runScript(steps: readonly Step[], byReference: boolean): Promise<Uint8Array> {
  const fs = faultyFileSystem({ seed: 3 });
  const wal = fsWal({ dir: DIR, fs });
  await openCollect(wal);
  let seq = 0;
  let first = 0;
  const flushes: Promise<number>[] = [];
  for (const step of steps) {
    if (step.kind === 'flush') {
      flushes.push(wal.flush());
      continue;
    }
    const flat = leaves(first, step.k);
    first += step.k;
    seq++;
    if (step.kind === 'copy' || !byReference) {
      wal.append(seq, flat);
      if (step.kind === 'ref' && step.flushWhileOpen) flushes.push(wal.flush()); // the same flush boundary
      continue;
    }
    const writer = wal.appendImmutable!(seq, flat.length);
    const parts = cut(flat, step.adds.flat());
    // Hand the parts over in up to adds.length + 1 calls; flush after the first one if asked.
    const calls = Math.max(1, step.adds.length);
    const per = Math.ceil(parts.length / calls);
    for (let c = 0; c * per < parts.length || c === 0; c++) {
      writer.add(parts.slice(c * per, (c + 1) * per));
      if (c === 0 && step.flushWhileOpen) flushes.push(wal.flush());
    }
    writer.end();
  }
  flushes.push(wal.flush());
  await Promise.all(flushes);
  await wal.close();
  return fs.peek(PATH)!;
}

describe('appendImmutable', () => {
  it('writes the same bytes as append, ended before its flush or streamed by a flush that took it open', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 6 }), async (steps) => {
        const byRef = await runScript(steps, true);
        const byCopy = await runScript(steps, false);
        expect(same(byRef, byCopy)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('survives a crash at every operation of a flush streaming a record (every crash mode): a prefix, acknowledged records kept', async () => {
    const BIG = 50_000; // 1.5 MiB: two gather writes, each buffer a separate unsynced write
    const big = leaves(100, BIG);
    const parts = cut(big, [16, 1000, 20_000, 7]);
    // Learn how many operations the whole workload takes.
    const run = async (fs: FaultyFileSystem, crashAfter: number | undefined) => {
      const wal = fsWal({ dir: DIR, fs });
      await openCollect(wal);
      wal.append(1, leaves(0, 3));
      await wal.flush(); // acknowledged
      const start = fs.opCount;
      if (crashAfter !== undefined) fs.setCrashAfterOp(start + crashAfter);
      wal.append(2, leaves(3, 2));
      const writer = wal.appendImmutable!(3, big.length);
      writer.add(parts.slice(0, 2));
      const flushed = wal.flush().then(
        () => true,
        () => false,
      );
      writer.add(parts.slice(2));
      writer.end();
      const ok = await flushed;
      await wal.close();
      return { ok, ops: fs.opCount - start };
    };
    const { ops, ok } = await run(faultyFileSystem({ seed: 1 }), undefined);
    expect(ok).toBe(true);
    for (const mode of CRASH_MODES) {
      for (let crashAfter = 0; crashAfter <= ops; crashAfter++) {
        const fs = faultyFileSystem({ seed: 100 + crashAfter });
        const { ok: acked } = await run(fs, crashAfter);
        fs.crash(mode);
        const wal = fsWal({ dir: DIR, fs });
        const { records } = await openCollect(wal);
        await wal.close();
        const where = `${mode} after ${crashAfter} ops`;
        expect(records.length, where).toBeGreaterThanOrEqual(acked ? 3 : 1);
        expect(same(records[0]?.leaves, leaves(0, 3)), where).toBe(true);
        if (records.length > 1) expect(same(records[1]!.leaves, leaves(3, 2)), where).toBe(true);
        if (records.length > 2) expect(same(records[2]!.leaves, big), where).toBe(true);
        expect(records.length, where).toBeLessThanOrEqual(3);
      }
    }
  });

  it('an injected write or fdatasync failure during a streamed flush rejects it and poisons; the record is then whole or absent', async () => {
    for (const fault of [
      { op: 'write', nth: 1 },
      { op: 'write', nth: 3 },
      { op: 'datasync', nth: 1 },
      { op: 'datasync', nth: 2 },
    ] as const) {
      const fs = faultyFileSystem({ seed: 7 });
      const wal = fsWal({ dir: DIR, fs });
      await openCollect(wal);
      wal.append(1, leaves(0, 1));
      await wal.flush();
      fs.failAt({ ...fault, code: 'EIO', path: PATH });
      const big = leaves(1, 40_000);
      const writer = wal.appendImmutable!(2, big.length);
      writer.add(cut(big, [1024, 1024]).slice(0, 1));
      const flushed = wal.flush();
      writer.add(cut(big, [1024]).slice(1));
      writer.end();
      expect(await codeOf(flushed), JSON.stringify(fault)).toBe('IO');
      expect(await codeOf(() => wal.append(3, leaves(50_000, 1)))).toBe('POISONED');
      expect(await codeOf(wal.flush())).toBe('POISONED');
      await wal.close();
      fs.crash('reorder');
      const again = fsWal({ dir: DIR, fs });
      const { records } = await openCollect(again);
      await again.close();
      expect(records.length).toBeGreaterThanOrEqual(1);
      if (records.length === 2) expect(same(records[1]!.leaves, big)).toBe(true);
      expect(records.length).toBeLessThanOrEqual(2);
    }
  });

  it('a record given up, overfilled, underfilled or left open by close poisons, and its flush never reports it durable', async () => {
    const cases: { name: string; act: (w: ImmutableRecordWriter, wal: Wal) => unknown }[] = [
      { name: 'abort', act: (w) => w.abort(new Error('hashing failed')) },
      { name: 'overfill', act: (w) => w.add([leaves(0, 33)]) }, // 32 of the 64 declared leaves are still missing
      { name: 'bad part', act: (w) => w.add([new Uint8Array(31)]) },
      { name: 'underfill', act: (w) => w.end() },
      { name: 'close', act: (_w, wal) => wal.close() },
    ];
    for (const { name, act } of cases) {
      const fs = faultyFileSystem({ seed: 9 });
      const wal = fsWal({ dir: DIR, fs });
      await openCollect(wal);
      wal.append(1, leaves(0, 1));
      const writer = wal.appendImmutable!(2, 64 * 32);
      writer.add([leaves(1, 64).subarray(0, 32 * 32)]);
      const flushed = wal.flush(); // takes the open record
      expect(() => wal.append(3, leaves(99, 1))).toThrow(RangeError); // nothing else while it is open
      try {
        await act(writer, wal);
      } catch {
        // overfill / underfill throw RangeError: what matters is the poison
      }
      expect(await codeOf(flushed), name).toBe('IO');
      if (name !== 'close') {
        expect(await codeOf(() => wal.append(3, leaves(99, 1))), name).toBe('POISONED');
        expect(await codeOf(() => writer.add([leaves(1, 1)])), name).toBe('POISONED');
        expect(() => writer.abort(undefined)).not.toThrow(); // idempotent
      }
      await wal.close();
      const again = fsWal({ dir: DIR, fs });
      const { records } = await openCollect(again);
      await again.close();
      expect(records.map((r) => r.seq), name).toEqual(records.length === 0 ? [] : [1]); // record 2 never whole
    }
  });

  it('checks seq and length before anything is kept', async () => {
    const fs = faultyFileSystem({ seed: 11 });
    const wal = fsWal({ dir: DIR, fs });
    await openCollect(wal);
    expect(() => wal.appendImmutable!(2, 32)).toThrow(RangeError);
    expect(await codeOf(() => wal.appendImmutable!(1, 0))).toBe('INVALID_NODE');
    expect(await codeOf(() => wal.appendImmutable!(1, 33))).toBe('INVALID_NODE');
    const writer = wal.appendImmutable!(1, 32);
    expect(() => wal.appendImmutable!(2, 32)).toThrow(RangeError); // the first is still open
    writer.add([leaves(5, 1)]);
    writer.end();
    await wal.flush();
    await wal.close();
    const again = fsWal({ dir: DIR, fs });
    const { records } = await openCollect(again);
    await again.close();
    expect(records.length).toBe(1);
    expect(same(records[0]!.leaves, leaves(5, 1))).toBe(true);
  });

  /** The faulty fs `fs`, counting the datasyncs of the files it opens; with `writeback`, its files offer startWriteback. */
  function countingFs(fs: FaultyFileSystem, writeback?: () => Promise<void>): { fs: FileSystem; datasyncs: () => number; writebacks: () => number } {
    let datasyncs = 0;
    let writebacks = 0;
    const counting: FileSystem = {
      open: async (path, flags) => {
        const fh = await fs.open(path, flags);
        const counted: FileHandle = {
          pwrite: fh.pwrite.bind(fh),
          pwritev: fh.pwritev?.bind(fh),
          read: fh.read.bind(fh),
          size: fh.size.bind(fh),
          datasync: () => (datasyncs++, fh.datasync()),
          sync: fh.sync.bind(fh),
          truncate: fh.truncate.bind(fh),
          close: fh.close.bind(fh),
        };
        if (writeback !== undefined) counted.startWriteback = () => (writebacks++, writeback());
        return counted;
      },
      rename: fs.rename.bind(fs),
      unlink: fs.unlink.bind(fs),
      readdir: fs.readdir.bind(fs),
      mkdir: fs.mkdir.bind(fs),
      stat: fs.stat.bind(fs),
      exists: fs.exists.bind(fs),
      fsyncDir: fs.fsyncDir.bind(fs),
    };
    return { fs: counting, datasyncs: () => datasyncs, writebacks: () => writebacks };
  }

  /** Streams a 10 MiB record in 1 MiB parts through a flush taken while it is open; returns the kicks seen before `end`. */
  async function streamTenMiB(wal: Wal, kicks: () => number): Promise<{ beforeEnd: number; flushed: Promise<number>; flat: Uint8Array }> {
    const flat = leaves(0, (10 << 20) / 32);
    const writer = wal.appendImmutable!(1, flat.length);
    const flushed = wal.flush(); // takes the open record: its parts are written as they come
    const before = kicks();
    for (let at = 0; at < flat.length; at += 1 << 20) writer.add([flat.subarray(at, at + (1 << 20))]);
    const beforeEnd = kicks() - before;
    writer.end();
    return { beforeEnd, flushed, flat };
  }

  for (const writeback of [false, true]) {
    it(`starts the device I/O of a long streamed record before it ends (${writeback ? 'a write-back start every 2 MiB' : 'an fdatasync every 4 MiB'})`, async () => {
      const fs = faultyFileSystem({ seed: 12 });
      const counting = countingFs(fs, writeback ? async () => undefined : undefined);
      const wal = fsWal({ dir: DIR, fs: counting.fs });
      await openCollect(wal);
      const syncsBefore = counting.datasyncs();
      const { beforeEnd, flushed, flat } = await streamTenMiB(wal, writeback ? counting.writebacks : counting.datasyncs);
      expect(beforeEnd).toBe(writeback ? 5 : 2); // while the record is still open
      if (writeback) expect(counting.datasyncs()).toBe(syncsBefore); // no fdatasync kicks beside them
      expect(await flushed).toBe(1);
      await wal.close();
      const again = fsWal({ dir: DIR, fs });
      const { records } = await openCollect(again);
      await again.close();
      expect(records.length).toBe(1);
      expect(same(records[0]!.leaves, flat)).toBe(true);
    });
  }

  it('fails the flush and poisons when a write-back start fails', async () => {
    const fs = faultyFileSystem({ seed: 13 });
    const failing = countingFs(fs, async () => {
      throw Object.assign(new Error('injected'), { code: 'EIO' });
    });
    const wal = fsWal({ dir: DIR, fs: failing.fs });
    await openCollect(wal);
    const { flushed } = await streamTenMiB(wal, failing.writebacks);
    expect(await codeOf(flushed)).toBe('IO');
    expect(await codeOf(wal.flush())).toBe('POISONED');
    await wal.close();
  });
});
