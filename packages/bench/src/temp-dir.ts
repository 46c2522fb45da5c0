/** Scratch directories for the disk benchmarks, removed afterwards even when a run fails. */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `fn` with a fresh directory under the OS temp dir and removes it afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rotortree-bench-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Free bytes for an unprivileged writer on the file system of the OS temp dir (what `df` shows as available). */
export function freeTempBytes(): number {
  const s = statfsSync(tmpdir());
  return s.bavail * s.bsize;
}
