/**
 * Power-loss tests on the fault-injecting file system: a scripted workload of appends, flushes
 * and truncates, crashed after every operation index, under every crash mode; then recovery
 * must keep every record whose flush resolved and return a prefix of what was appended, each
 * record whole. Some cases crash a second time during recovery.
 */
import { describe, expect, it } from 'vitest';
import { openWal } from '@rotortree/core/backend';
import { CRASH_MODES, createPrng, faultyFileSystem } from '@rotortree/core/fs';
import type { CrashMode, FaultyFileSystem } from '@rotortree/core/fs';
import { isRotorTreeError } from '@rotortree/core';
import { fsWal } from '../src/index.js';
import { CONFIG, leaves, openCollect } from './support.js';

const DIR = '/data/wal';

type Step = { readonly kind: 'append'; readonly k: number } | { readonly kind: 'flush' } | { readonly kind: 'truncate' };

/** A workload fixed by `seed`: appends (some spanning several 512-byte sectors), flushes, truncates. */
function script(seed: number): Step[] {
  const rnd = createPrng(seed);
  const steps: Step[] = [];
  for (let i = 0; i < 14; i++) {
    steps.push({ kind: 'append', k: rnd.below(4) === 0 ? 40 + rnd.below(150) : 1 + rnd.below(3) });
    if (rnd.below(3) === 0) steps.push({ kind: 'flush' });
    if (i === 6 || i === 11) steps.push({ kind: 'truncate' });
  }
  steps.push({ kind: 'flush' });
  return steps;
}

/** What the workload did before the machine went away. */
interface History {
  /** appended[s - 1] = leaves of seq s */
  readonly appended: Uint8Array[];
  /** Highest seq a resolved flush reported durable. */
  acked: number;
  /** Seq covered by the last checkpoint published (the truncate then called with it). */
  checkpoint: number;
}

async function runWorkload(fs: FaultyFileSystem, steps: Step[]): Promise<History> {
  const h: History = { appended: [], acked: 0, checkpoint: 0 };
  const wal = fsWal({ dir: DIR, fs });
  try {
    await openWal(wal, CONFIG, 0, () => {});
    let first = 0;
    for (const step of steps) {
      if (step.kind === 'append') {
        const l = leaves(first, step.k);
        first += step.k;
        h.appended.push(l);
        wal.append(h.appended.length, l);
      } else if (step.kind === 'flush') {
        h.acked = await wal.flush();
      } else {
        h.checkpoint = h.acked; // as if a checkpoint of everything durable were published first
        await wal.truncate(h.checkpoint);
      }
    }
  } catch (err) {
    if (!(isRotorTreeError(err, 'IO') || isRotorTreeError(err, 'POISONED'))) throw err;
  } finally {
    await wal.close();
  }
  return h;
}

/** Recovers and checks the invariants; returns the recovered last seq. */
async function recoverAndCheck(fs: FaultyFileSystem, h: History, label: string): Promise<number> {
  const wal = fsWal({ dir: DIR, fs });
  const { result, records } = await openCollect(wal, h.checkpoint).catch((err: unknown) => {
    throw new Error(`${label}: recovery failed: ${String(err)}`);
  });
  records.forEach((r, i) => {
    expect(r.seq, label).toBe(h.checkpoint + 1 + i);
    expect(r.leaves, `${label} seq ${r.seq}`).toEqual(h.appended[r.seq - 1]);
  });
  const last = h.checkpoint + records.length;
  expect(result.lastSeq, label).toBe(last);
  expect(last, `${label}: an acknowledged record was lost`).toBeGreaterThanOrEqual(h.acked);
  expect(last, label).toBeLessThanOrEqual(h.appended.length);
  // The recovered log takes new records.
  wal.append(last + 1, leaves(9999, 1));
  expect(await wal.flush()).toBe(last + 1);
  await wal.close();
  return last;
}

/** Operations of the workload run without a crash (which must then complete and ack all). */
async function countOps(steps: Step[]): Promise<number> {
  const fs = faultyFileSystem({ seed: 0 });
  const h = await runWorkload(fs, steps);
  expect(h.acked).toBe(h.appended.length);
  return fs.opCount;
}

describe('fsWal under power loss', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`keeps acknowledged records at every crash point x every mode (workload ${seed})`, async () => {
      const steps = script(seed);
      const total = await countOps(steps);
      expect(total).toBeGreaterThan(20);
      let torn = 0;
      for (let crashAfterOp = 0; crashAfterOp <= total; crashAfterOp++) {
        for (const [m, mode] of CRASH_MODES.entries()) {
          const fs = faultyFileSystem({ seed: seed * 100_003 + crashAfterOp * 4 + m, crashAfterOp });
          const h = await runWorkload(fs, steps);
          fs.crash(mode);
          const wal = fsWal({ dir: DIR, fs });
          const peek = await openCollect(wal, h.checkpoint).catch(() => undefined);
          if (peek?.result.tornTail !== undefined) torn++;
          await wal.close();
          // reopen the same image from the recovered state: the checks must still hold
          await recoverAndCheck(fs, h, `seed ${seed} op ${crashAfterOp} ${mode}`);
        }
      }
      expect(torn).toBeGreaterThan(0); // the workload does produce torn tails to recover from
    });
  }

  it('survives a second crash during recovery', async () => {
    const steps = script(7);
    const total = await countOps(steps);
    const rnd = createPrng(99);
    for (let trial = 0; trial < 150; trial++) {
      const crashAfterOp = rnd.below(total + 1);
      const mode1: CrashMode = CRASH_MODES[rnd.below(4)]!;
      const mode2: CrashMode = CRASH_MODES[rnd.below(4)]!;
      const fs = faultyFileSystem({ seed: trial, crashAfterOp });
      const h = await runWorkload(fs, steps);
      fs.crash(mode1);
      fs.setCrashAfterOp(fs.opCount + 1 + rnd.below(8));
      const wal = fsWal({ dir: DIR, fs });
      await openWal(wal, CONFIG, h.checkpoint, () => {}).catch(() => {});
      await wal.close();
      fs.crash(mode2);
      await recoverAndCheck(fs, h, `trial ${trial} op ${crashAfterOp} ${mode1}/${mode2}`);
    }
  });
});
