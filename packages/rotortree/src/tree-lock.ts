/**
 * The lock of a tree directory itself: held by `open(dir)` for the life of the tree, so that two
 * openers can never both write its descriptor, and so that deleting lock files under a live writer
 * lets nobody in (a directory cannot be deleted while it holds the tree). `@rotortree/native`'s
 * directory flock (fs-ext where it built, else the prebuilt addon), purpose `tree`: a second opener
 * in this process or another is `FILE_LOCKED`; no provider at all is `UNSUPPORTED`.
 * @module
 */
import { lockDirectory } from '@rotortree/native';

/** Releases a held lock (idempotent). */
export type ReleaseTreeLock = () => void;

/** Takes the exclusive lock of the existing directory `dir`: `FILE_LOCKED` when another opener holds it. */
export function lockTreeDirectory(dir: string): ReleaseTreeLock {
  const held = lockDirectory(dir, { purpose: 'tree' });
  return () => held.release();
}
