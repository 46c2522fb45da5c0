/**
 * Opening the tree of `--dir` for a command.
 * @module
 */
import type { RotorFollower, RotorTree } from '@rotortree/core';
import { follow } from '../follow.js';
import { open, storedParameters } from '../open.js';
import { CliError } from './exit-codes.js';

/**
 * Opens the existing tree in `dir` (`NO_TREE` when there is none). `read`: no flush timer and no
 * checkpoint at close (a read-only command writes nothing, beyond what recovery itself does);
 * `write`: the defaults of `open` (group commit, checkpoint at close unless `checkpoint` is false).
 */
export async function openExisting(dir: string, mode: 'read' | 'write', checkpoint = true): Promise<RotorTree> {
  await requireTree(dir);
  if (mode === 'read') return open(dir, { create: false, checkpointOnClose: false, flushPolicy: { kind: 'manual' } });
  return open(dir, { create: false, checkpointOnClose: checkpoint });
}

async function requireTree(dir: string): Promise<void> {
  if ((await storedParameters(dir)) === undefined) {
    throw new CliError('NO_TREE', `no tree in ${dir} (create one with: rotortree init --dir ${dir})`);
  }
}

/**
 * Runs `fn` on a follower of the tree of `dir` (read commands): no lock and nothing written, so it
 * works beside a live writer, in another process; it shows the state the writer made durable.
 */
export async function withFollower<T>(dir: string, fn: (tree: RotorFollower) => Promise<T>): Promise<T> {
  await requireTree(dir);
  const tree = await follow(dir, { pollMs: 0 });
  try {
    return await fn(tree);
  } finally {
    await tree.close();
  }
}

/** Runs `fn` on the tree of `dir` and closes it; a close error is reported only when `fn` succeeded. */
export async function withTree<T>(dir: string, mode: 'read' | 'write', fn: (tree: RotorTree) => Promise<T>, checkpoint = true): Promise<T> {
  const tree = await openExisting(dir, mode, checkpoint);
  let result: T;
  try {
    result = await fn(tree);
  } catch (err) {
    await tree.close().catch(() => undefined);
    throw err;
  }
  await tree.close();
  return result;
}
