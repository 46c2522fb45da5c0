import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CRASH_MODES, faultyFileSystem } from '../src/fs/faulty.js';
import type { CrashMode, FaultyFileSystem } from '../src/fs/faulty.js';
import { readWholeFile } from '../src/fs/helpers.js';
import { fsRejectionCode } from './support/outcomes.js';

async function bytesAt(fs: FaultyFileSystem, path: string): Promise<number[] | undefined> {
  return (await fs.exists(path)) ? [...(await readWholeFile(fs, path))] : undefined;
}

/** A file created durably (data synced, name fsynced) holding `bytes`. */
async function durableFile(fs: FaultyFileSystem, path: string, bytes: number[]): Promise<void> {
  const fh = await fs.open(path, 'wx+');
  await fh.pwrite(Uint8Array.from(bytes), 0, bytes.length, 0);
  await fh.datasync();
  await fh.close();
  await fs.fsyncDir('/d');
}

describe('faultyFileSystem: the durability model', () => {
  it('keeps synced data and synced names through every crash mode', async () => {
    for (const mode of CRASH_MODES) {
      const fs = faultyFileSystem({ seed: 1 });
      await fs.mkdir('/d');
      await durableFile(fs, '/d/a', [1, 2, 3]);
      fs.crash(mode);
      expect(await bytesAt(fs, '/d/a')).toEqual([1, 2, 3]);
    }
  });

  it('loses a created name without fsyncDir under dropAll, even with its data synced', async () => {
    const fs = faultyFileSystem({ seed: 2 });
    await fs.mkdir('/d');
    const fh = await fs.open('/d/a', 'wx+');
    await fh.pwrite(Uint8Array.of(7), 0, 1, 0);
    await fh.sync();
    fs.crash('dropAll');
    expect(await fs.exists('/d/a')).toBe(false);
    expect(await fs.readdir('/d')).toEqual([]);
  });

  it('makes a rename durable only with fsyncDir, and atomically under reorder', async () => {
    for (let seed = 0; seed < 20; seed++) {
      const fs = faultyFileSystem({ seed });
      await fs.mkdir('/d');
      await durableFile(fs, '/d/old', [1]);
      await durableFile(fs, '/d/tmp', [2]);
      await fs.rename('/d/tmp', '/d/old');
      fs.crash('reorder');
      const old = await bytesAt(fs, '/d/old');
      const tmp = await bytesAt(fs, '/d/tmp');
      // Either the rename happened (tmp gone, old = new bytes) or it did not: never a mix.
      expect([JSON.stringify([old, tmp])]).toContain(
        JSON.stringify(tmp === undefined ? [[2], undefined] : [[1], [2]]),
      );
    }
    const fs = faultyFileSystem({ seed: 3 });
    await fs.mkdir('/d');
    await durableFile(fs, '/d/tmp', [2]);
    await fs.rename('/d/tmp', '/d/new');
    await fs.fsyncDir('/d');
    fs.crash('dropAll');
    expect(await fs.readdir('/d')).toEqual(['new']);
  });

  it('after a failed datasync, the lost writes stay lost even when a retry succeeds (fsyncgate)', async () => {
    const fs = faultyFileSystem({ seed: 4 });
    await fs.mkdir('/d');
    await durableFile(fs, '/d/a', [1]);
    const fh = await fs.open('/d/a', 'r+');
    await fh.pwrite(Uint8Array.of(2), 0, 1, 1);
    fs.failAt({ op: 'datasync', nth: 1, code: 'EIO' });
    expect(await fsRejectionCode(fh.datasync())).toBe('EIO');
    await fh.datasync();
    expect([...fs.peek('/d/a')!]).toEqual([1, 2]); // the page cache still shows it
    fs.crash('prefix');
    expect(await bytesAt(fs, '/d/a')).toEqual([1]);
  });

  it('fires an injected fault on the nth matching call only, and a failed write changes nothing', async () => {
    const fs = faultyFileSystem({ seed: 5 });
    await fs.mkdir('/d');
    const fh = await fs.open('/d/a', 'wx+');
    fs.failAt({ op: 'write', nth: 2, code: 'ENOSPC', path: '/d/a' });
    await fh.pwrite(Uint8Array.of(1), 0, 1, 0);
    expect(await fsRejectionCode(fh.pwrite(Uint8Array.of(2), 0, 1, 1))).toBe('ENOSPC');
    await fh.pwrite(Uint8Array.of(3), 0, 1, 1);
    expect([...fs.peek('/d/a')!]).toEqual([1, 3]);
  });

  it('a gather write is one operation for faults, and its buffers are separate unsynced writes at a crash', async () => {
    const fs = faultyFileSystem({ seed: 8 });
    await fs.mkdir('/d');
    const fh = await fs.open('/d/a', 'wx+');
    fs.failAt({ op: 'write', nth: 1, code: 'EIO', path: '/d/a' });
    expect(await fsRejectionCode(fh.pwritev!([Uint8Array.of(1), Uint8Array.of(2)], 0))).toBe('EIO');
    expect(fs.peek('/d/a')).toEqual(new Uint8Array(0));
    const ops = fs.opCount;
    await fh.pwritev!([Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)], 1);
    expect(fs.opCount).toBe(ops + 1);
    expect([...fs.peek('/d/a')!]).toEqual([0, 1, 2, 3]);
    fs.crash('dropAll');
    expect(await fs.exists('/d/a')).toBe(false);
    // Synced: every buffer survives any crash.
    const fh2 = await fs.open('/d/b', 'wx+');
    await fh2.pwritev!([Uint8Array.of(4), Uint8Array.of(5, 6)], 0);
    await fh2.datasync();
    await fs.fsyncDir('/d');
    fs.crash('reorder');
    expect(await bytesAt(fs, '/d/b')).toEqual([4, 5, 6]);
  });

  it('refuses every operation after crashAfterOp with EIO, and counts each operation once', async () => {
    const fs = faultyFileSystem({ seed: 6 });
    await fs.mkdir('/d/e/f', { recursive: true });
    expect(fs.opCount).toBe(1);
    const fh = await fs.open('/d/a', 'wx+');
    fs.setCrashAfterOp(fs.opCount + 1);
    await fh.pwrite(Uint8Array.of(1), 0, 1, 0);
    expect(fs.isDown).toBe(false);
    expect(await fsRejectionCode(fh.datasync())).toBe('EIO');
    expect(await fsRejectionCode(fs.stat('/d/a'))).toBe('EIO');
    expect(fs.isDown).toBe(true);
    fs.crash('dropAll');
    expect(fs.isDown).toBe(false);
    expect(await fs.exists('/d/a')).toBe(false);
    expect(await fsRejectionCode(fh.size())).toBe('EBADF'); // handles die with the machine
  });

  it('has POSIX open flags', async () => {
    const fs = faultyFileSystem({ seed: 7 });
    expect(await fsRejectionCode(fs.open('/nope/a', 'w+'))).toBe('ENOENT');
    await fs.mkdir('/d');
    expect(await fsRejectionCode(fs.open('/d/a', 'r'))).toBe('ENOENT');
    await durableFile(fs, '/d/a', [1, 2]);
    expect(await fsRejectionCode(fs.open('/d/a', 'wx+'))).toBe('EEXIST');
    const ro = await fs.open('/d/a', 'r');
    expect(await fsRejectionCode(ro.pwrite(Uint8Array.of(1), 0, 1, 0))).toBe('EBADF');
    const w = await fs.open('/d/a', 'w+');
    expect(await w.size()).toBe(0);
    await w.truncate(3);
    expect([...fs.peek('/d/a')!]).toEqual([0, 0, 0]);
    expect(await fsRejectionCode(fs.mkdir('/d'))).toBe('EEXIST');
    expect(await fsRejectionCode(fs.unlink('/d/zz'))).toBe('ENOENT');
  });
});

/**
 * Property: an append-only file with random syncs. After a crash, the image must start with
 * every synced append; beyond that, each mode keeps what it promises.
 */
describe('faultyFileSystem: crash images of an append-only file', () => {
  const script = fc.array(fc.record({ len: fc.integer({ min: 1, max: 700 }), sync: fc.boolean() }), {
    minLength: 1,
    maxLength: 12,
  });

  async function run(seed: number, steps: { len: number; sync: boolean }[], mode: CrashMode) {
    const fs = faultyFileSystem({ seed });
    await fs.mkdir('/d');
    await durableFile(fs, '/d/log', []);
    const fh = await fs.open('/d/log', 'r+');
    const all: number[] = [];
    const appends: number[][] = [];
    let synced = 0;
    for (const [i, step] of steps.entries()) {
      const chunk = Array.from({ length: step.len }, (_, j) => ((i * 31 + j) % 251) + 1);
      await fh.pwrite(Uint8Array.from(chunk), 0, chunk.length, all.length);
      all.push(...chunk);
      appends.push(chunk);
      if (step.sync) {
        await fh.datasync();
        synced = all.length;
      }
    }
    fs.crash(mode);
    return { image: (await bytesAt(fs, '/d/log'))!, all, synced, appends };
  }

  it.each(CRASH_MODES)('%s', async (mode) => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), script, async (seed, steps) => {
        const { image, all, synced, appends } = await run(seed, steps, mode);
        expect(image.slice(0, synced)).toEqual(all.slice(0, synced));
        const rest = image.slice(synced);
        if (mode === 'dropAll') expect(image.length).toBe(synced);
        if (mode === 'prefix') expect(image).toEqual(all.slice(0, image.length));
        if (mode === 'prefix') {
          // the kept length falls on an append boundary
          const ends = appends.reduce<number[]>((acc, a) => [...acc, (acc.at(-1) ?? 0) + a.length], [0]);
          expect(ends).toContain(image.length);
        }
        if (mode === 'torn') {
          // appends kept whole up to the torn one, which reaches its full length (the size got
          // to disk) with its bytes kept only up to a sector boundary: the rest zeros or garbage
          const ends = appends.reduce<number[]>((acc, a) => [...acc, (acc.at(-1) ?? 0) + a.length], [0]);
          expect(ends).toContain(image.length);
          if (image.length > synced) {
            const start = ends[ends.indexOf(image.length) - 1]!;
            expect(image.slice(0, start)).toEqual(all.slice(0, start));
            let same = start;
            while (same < image.length && image[same] === all[same]) same++;
            const tail = image.slice(same);
            // written bytes are never 0, so a zero-filled tail starts exactly at the cut
            if (tail.length > 0 && tail.every((b) => b === 0)) expect(same === start || same % 512 === 0).toBe(true);
          }
        }
        if (mode === 'reorder') {
          // every kept byte is either the byte written there or a zero of a hole
          for (let i = 0; i < rest.length; i++) expect([0, all[synced + i]]).toContain(rest[i]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('replays exactly from the seed', async () => {
    const steps = [
      { len: 600, sync: false },
      { len: 5000, sync: false },
      { len: 300, sync: false },
    ];
    for (const mode of CRASH_MODES) {
      const a = await run(42, steps, mode);
      const b = await run(42, steps, mode);
      expect(a.image).toEqual(b.image);
    }
    const images = new Set<string>();
    for (let seed = 0; seed < 30; seed++) images.add((await run(seed, steps, 'torn')).image.length.toString());
    expect(images.size).toBeGreaterThan(2); // the seed does change the outcome
  });
});
