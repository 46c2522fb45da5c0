/**
 * The store's exclusive lock. Within this process a registry refuses a second opener of the
 * same directory (on the same file system object); across processes, when the addon is loaded
 * and the files are real, an flock on `checkpoint.lock` does. Without the addon only the
 * in-process check applies (the engine's WAL lock guards the data directory as a whole).
 * @module
 */
import { closeSync, openSync, realpathSync } from 'node:fs';
import { RotorTreeError } from '@rotortree/core';
import { joinPath } from '@rotortree/core/fs';
import { ioError } from './errors.js';
import { LOCK_NAME } from './layout.js';
import type { MmapAddon } from './native.js';

/** A held lock. */
export interface HeldLock {
  /** Releases it. Idempotent. */
  release(): void;
}

/** Directories held in this process, per file-system object (`REAL` for the real one). */
const held = new WeakMap<object, Set<string>>();
const REAL = {};

function registryTake(owner: object, key: string): () => void {
  let set = held.get(owner);
  if (set === undefined) held.set(owner, (set = new Set()));
  if (set.has(key)) throw new RotorTreeError('FILE_LOCKED', `the checkpoint directory ${key} is open already in this process`, { file: key });
  set.add(key);
  const s = set;
  return () => void s.delete(key);
}

/** Locks a directory of an injected (in-memory) file system: in-process only. */
export function lockVirtualDir(fs: object, dir: string): HeldLock {
  let release: (() => void) | undefined = registryTake(fs, dir);
  return {
    release() {
      release?.();
      release = undefined;
    },
  };
}

/** Locks a real directory (which must exist): registry, plus flock when the addon is there. */
export function lockRealDir(dir: string, addon: MmapAddon | undefined): HeldLock {
  const key = realpathSync.native(dir); // one system call (the JS version walks every component)
  const unregister = registryTake(REAL, key);
  let fd: number | undefined;
  if (addon !== undefined) {
    const path = joinPath(dir, LOCK_NAME);
    try {
      fd = openSync(path, 'a');
      if (!addon.lockExclusive(fd)) {
        throw new RotorTreeError('FILE_LOCKED', `another process holds ${path}`, { file: path });
      }
    } catch (err) {
      if (fd !== undefined) closeSync(fd);
      unregister();
      throw ioError(err, path, 'locking');
    }
  }
  let done = false;
  return {
    release() {
      if (done) return;
      done = true;
      if (fd !== undefined) closeSync(fd);
      unregister();
    },
  };
}
