/**
 * The reported scenario, in real processes: a child writes with a preallocated WAL, is SIGKILLed
 * after acknowledgements, and a fresh process reopens it: every acknowledged leaf is there, the
 * preallocated zeros stay free space, and the reopening process's memory stays bounded. By default
 * the step is 128 MiB (the preallocation writes real zeros: 2.5 GiB took ~9 s here), past which a
 * whole-tail read broke the memory bound; with `ROTORTREE_HUGE_TAIL=1` it is the largest the option
 * allows, {@link MAX_PREALLOCATE} (1 GiB). Tails past 2 GiB (which made every open abort the
 * process) are in wal-huge-tail.test.ts, as sparse files.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PREALLOCATE } from '../src/fs-wal.js';
import { runChildUntilKilled } from './kill-child.js';

const MiB = 2 ** 20;
const PREALLOCATE = process.env['ROTORTREE_HUGE_TAIL'] === '1' ? MAX_PREALLOCATE : 128 * MiB;
/** Peak resident memory allowed to the reopening process (node and the engine take ~70 MiB here). */
const HWM_BOUND_KIB = 128 * 1024;
const WRITER = fileURLToPath(new URL('./engine-child.mjs', import.meta.url));
const REOPEN = fileURLToPath(new URL('./engine-reopen-child.mjs', import.meta.url));

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotortree-prealloc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function reopenInChild(): Promise<{ size: number; mismatch: number; hwmKiB: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [REOPEN, dir, '4']);
  return JSON.parse(stdout) as { size: number; mismatch: number; hwmKiB: number };
}

describe(`a WAL preallocated in steps of ${PREALLOCATE / MiB} MiB, writer SIGKILLed`, () => {
  it('reopens in a fresh process with every acknowledged leaf, the zeros kept as free space', async () => {
    let verified = 0;
    for (let cycle = 0; cycle < 2; cycle++) {
      const { acked, recovered } = await runChildUntilKilled(WRITER, [dir, '4', '2', String(PREALLOCATE)], {
        killAfterMs: 240_000,
        afterAcked: verified + 300,
      });
      expect(recovered).toBe(verified);
      expect(acked).toBeGreaterThanOrEqual(verified + 300);
      expect(statSync(join(dir, 'wal.log')).size).toBe(PREALLOCATE);
      const reopened = await reopenInChild();
      expect(reopened.size).toBeGreaterThanOrEqual(acked);
      expect(reopened.mismatch).toBe(-1);
      expect(reopened.hwmKiB).toBeLessThan(HWM_BOUND_KIB);
      expect(statSync(join(dir, 'wal.log')).size).toBe(PREALLOCATE); // not cut: free space
      verified = reopened.size;
    }
  }, 300_000);
});
