/**
 * Where a tree directory keeps its files:
 *
 * ```
 * <dir>/rotortree.json   the descriptor: n, maxDepth, hasher id (written once, atomically)
 * <dir>/wal/             the write-ahead log (@rotortree/wal-fs: wal.log; the directory is flocked)
 * <dir>/checkpoint/      the checkpoint store (@rotortree/checkpoint-mmap: MANIFEST, seg-*.dat)
 * ```
 *
 * The two backends get a directory each: the checkpoint store removes files it does not reference
 * (its own names only, but a directory of its own rules out any clash).
 * @module
 */
import { join } from 'node:path';

/** The descriptor's file name. */
export const DESCRIPTOR_NAME = 'rotortree.json';
/** The WAL's sub-directory. */
export const WAL_DIR = 'wal';
/** The checkpoint store's sub-directory. */
export const CHECKPOINT_DIR = 'checkpoint';

/** The paths of one tree directory. */
export interface TreeLayout {
  readonly dir: string;
  readonly descriptor: string;
  readonly wal: string;
  readonly checkpoint: string;
}

/** The paths of the tree directory `dir`. */
export function layoutOf(dir: string): TreeLayout {
  return {
    dir,
    descriptor: join(dir, DESCRIPTOR_NAME),
    wal: join(dir, WAL_DIR),
    checkpoint: join(dir, CHECKPOINT_DIR),
  };
}
