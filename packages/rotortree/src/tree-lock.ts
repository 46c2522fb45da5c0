/**
 * The lock of a tree directory itself: held by `open(dir)` for the life of the tree, so that two
 * openers can never both write its descriptor, and so that deleting lock files under a live writer
 * lets nobody in (a directory cannot be deleted while it holds the tree). An exclusive flock on the
 * directory's own file descriptor: it belongs to that open file description, so a second opener in
 * this process is refused too, and the kernel drops it when the holder dies.
 * @module
 */
import { closeSync, constants, openSync } from 'node:fs';
import { RotorTreeError } from '@rotortree/core';
import { loadMmapAddon } from '@rotortree/checkpoint-mmap';

/** Releases a held lock (idempotent). */
export type ReleaseTreeLock = () => void;

/** Takes the exclusive lock of the existing directory `dir`: `FILE_LOCKED` when another opener holds it. */
export function lockTreeDirectory(dir: string): ReleaseTreeLock {
  const addon = loadMmapAddon({ disabled: false });
  if (addon === undefined) {
    throw new RotorTreeError('IO', `cannot lock ${dir}: the native addon of @rotortree/checkpoint-mmap did not load`, { file: dir });
  }
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (err) {
    throw new RotorTreeError('IO', `cannot open ${dir} to lock it`, { file: dir, cause: err });
  }
  if (!addon.lockExclusive(fd)) {
    closeSync(fd);
    throw new RotorTreeError('FILE_LOCKED', `another opener holds the tree in ${dir}`, { file: dir });
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    closeSync(fd);
  };
}
