/**
 * The one-writer lock of a WAL directory: an exclusive `flock` on the directory itself for real
 * files (`@rotortree/native`'s `lockDirectory`: fs-ext where it built, else the prebuilt addon; a
 * lock file could be deleted under a live writer, the directory cannot), or an in-process table
 * for in-memory file systems.
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import type { FileSystem } from '@rotortree/core/fs';
import { normalizePath } from '@rotortree/core/fs';
import { assertLockingSupported, lockDirectory as flockDirectory } from '@rotortree/native';

/** Which lock guards the directory: see {@link FsWalOptions.lock}. */
export type LockKind = 'flock' | 'memory' | 'none';

/** Releases a held lock. */
export type ReleaseLock = () => void;

const memoryLocks = new WeakMap<FileSystem, Set<string>>();

function memoryLock(fs: FileSystem, dir: string): ReleaseLock {
  const key = normalizePath(dir);
  let held = memoryLocks.get(fs);
  if (held === undefined) memoryLocks.set(fs, (held = new Set()));
  if (held.has(key)) throw new RotorTreeError('FILE_LOCKED', `another opener holds the WAL in ${key}`, { file: key });
  held.add(key);
  const set = held;
  return () => set.delete(key);
}

/** Throws `UNSUPPORTED` when `kind` needs a flock this machine cannot take: before anything is created. */
export function assertLockable(kind: LockKind, dir: string): void {
  if (kind === 'flock') assertLockingSupported(dir);
}

/** Takes the lock of `dir` (which exists) or throws `FILE_LOCKED`. */
export function lockDirectory(kind: LockKind, fs: FileSystem, dir: string): ReleaseLock {
  if (kind === 'flock') {
    const held = flockDirectory(dir, { purpose: 'wal' });
    return () => held.release();
  }
  if (kind === 'memory') return memoryLock(fs, dir);
  return () => {};
}
