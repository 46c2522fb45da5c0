/**
 * The store's exclusive lock. Real files: an flock on the checkpoint directory itself
 * (`@rotortree/native`'s `lockDirectory`: fs-ext where it built, else the prebuilt addon; an
 * in-process registry keyed by device and inode refuses a second opener in this process). A lock
 * file could be deleted under a live writer; the directory cannot. Injected (in-memory) file
 * systems: an in-process registry per file-system object.
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import { lockDirectory } from '@rotortree/native';

/** A held lock. */
export interface HeldLock {
  /** Releases it. Idempotent. */
  release(): void;
}

/** Directories held in this process, per injected file-system object. */
const held = new WeakMap<object, Set<string>>();

/** Locks a directory of an injected (in-memory) file system: in-process only. */
export function lockVirtualDir(fs: object, dir: string): HeldLock {
  let set = held.get(fs);
  if (set === undefined) held.set(fs, (set = new Set()));
  if (set.has(dir)) throw new RotorTreeError('FILE_LOCKED', `the checkpoint directory ${dir} is open already in this process`, { file: dir });
  set.add(dir);
  const s = set;
  let done = false;
  return {
    release() {
      if (done) return;
      done = true;
      s.delete(dir);
    },
  };
}

/** Locks a real directory (which must exist) against every other opener: `FILE_LOCKED`, `UNSUPPORTED` or `IO`. */
export function lockRealDir(dir: string): HeldLock {
  return lockDirectory(dir, { purpose: 'checkpoint' });
}
