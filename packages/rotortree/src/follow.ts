/**
 * `follow(dir)`: a read-only follower of the tree in `dir` while its writer (another process) goes on.
 * @module
 */
import { RotorTree, RotorTreeError } from '@rotortree/core';
import type { Hasher, RotorFollower, TieringOptions } from '@rotortree/core';
import { fsWalReader } from '@rotortree/wal-fs';
import { mmapCheckpointStore } from '@rotortree/checkpoint-mmap';
import { defaultTiering } from './defaults.js';
import { readDescriptor } from './descriptor.js';
import { layoutOf } from './layout.js';
import { hasherFor } from './open.js';
import { assertFollowOptions } from './open-options.js';

/** Options of {@link follow}. Every one is optional. */
export interface FollowDirOptions {
  /** The hasher; default as `open` picks it from the descriptor. */
  readonly hasher?: Hasher;
  /** Default: `defaultTiering(n)`; `false` for none. */
  readonly tiering?: TieringOptions | false;
  /** Read the log when the WAL directory reports a change, and every this many ms anyway (default 20); 0: only on `catchUp()`. */
  readonly pollMs?: number;
  /** Read checkpoint segments through mmap (`'auto'`, the default) or into memory (`'off'`). */
  readonly mmap?: 'auto' | 'off';
  /** As `open`'s: a budget for mapped pages kept resident. */
  readonly maxResidentBytes?: number;
}

/**
 * Follows the tree stored in `dir` (see core's `RotorFollower`): loads its latest checkpoint, tails
 * its WAL without any lock, and serves roots, sizes, snapshots and proofs of the states its writer
 * made durable, checking the writer's published roots. Works beside a live writer, in this process or
 * another. Rejects with `IO` (cause `ENOENT`) when `dir` holds no tree; `CORRUPTION`,
 * `CONFIG_MISMATCH` as `open` does.
 */
export async function follow(dir: string, options: FollowDirOptions = {}): Promise<RotorFollower> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('dir must be a non-empty string');
  assertFollowOptions(options);
  const layout = layoutOf(dir);
  const d = await readDescriptor(layout.descriptor);
  if (d === undefined) {
    const cause = Object.assign(new Error(`ENOENT: no rotortree in ${dir}`), { code: 'ENOENT' });
    throw new RotorTreeError('IO', `no rotortree in ${dir} (no ${layout.descriptor})`, { file: layout.descriptor, cause });
  }
  const hasher = hasherFor(d.hasher, options.hasher, layout.descriptor);
  const tiering = options.tiering === false ? undefined : (options.tiering ?? defaultTiering(d.n));
  return RotorTree.follow({
    hasher,
    n: d.n,
    maxDepth: d.maxDepth,
    treeId: d.treeId,
    wal: fsWalReader({ dir: layout.wal }),
    checkpoints: mmapCheckpointStore({
      dir: layout.checkpoint,
      readOnly: true,
      ...(options.mmap === undefined ? {} : { mmap: options.mmap }),
      ...(options.maxResidentBytes === undefined ? {} : { maxResidentBytes: options.maxResidentBytes }),
    }),
    ...(tiering === undefined ? {} : { tiering }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
  });
}
