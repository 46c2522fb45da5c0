/**
 * The one-writer lock of a WAL directory: an exclusive `flock` on `wal.lock` for real files,
 * or an in-process table for in-memory file systems.
 * @module
 */
import { closeSync, constants, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RotorTreeError } from '@rotortree/core';
import type { FileSystem } from '@rotortree/core/fs';
import { fsErrorCode, normalizePath } from '@rotortree/core/fs';

/** Which lock guards the directory: see {@link FsWalOptions.lock}. */
export type LockKind = 'flock' | 'memory' | 'none';

/** Releases a held lock. */
export type ReleaseLock = () => void;

export const LOCK_FILE = 'wal.lock';

interface FsExt {
  flockSync(fd: number, flags: 'exnb'): void;
}

let fsExt: FsExt | undefined;

/**
 * flock(LOCK_EX|LOCK_NB) on `<dir>/wal.lock`. flock belongs to the open file description, so a
 * second open in this same process is refused too; the kernel drops it when the holder dies,
 * and Node's fds are O_CLOEXEC, so children do not inherit it.
 */
function flockDirectory(dir: string): ReleaseLock {
  fsExt ??= createRequire(import.meta.url)('fs-ext') as FsExt;
  const path = join(dir, LOCK_FILE);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  } catch (err) {
    throw new RotorTreeError('IO', `cannot open the lock file ${path}`, { cause: err, file: path });
  }
  try {
    fsExt.flockSync(fd, 'exnb');
  } catch (err) {
    closeSync(fd);
    const code = fsErrorCode(err);
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
      throw new RotorTreeError('FILE_LOCKED', `another opener holds ${path}`, { cause: err, file: path });
    }
    throw new RotorTreeError('IO', `flock failed on ${path}`, { cause: err, file: path });
  }
  return () => closeSync(fd);
}

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

/** Takes the lock of `dir` or throws `FILE_LOCKED`. */
export function lockDirectory(kind: LockKind, fs: FileSystem, dir: string): ReleaseLock {
  if (kind === 'flock') return flockDirectory(dir);
  if (kind === 'memory') return memoryLock(fs, dir);
  return () => {};
}
