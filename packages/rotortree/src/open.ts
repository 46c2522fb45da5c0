/**
 * `open(dir)`: a durable tree in a directory, with the default file backends.
 * @module
 */
import { rm, rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RotorTree, RotorTreeError, newTreeId } from '@rotortree/core';
import type { CheckpointPolicy, FlushPolicy, Hasher, TieringOptions } from '@rotortree/core';
import { mkdirDurable, nodeFileSystem } from '@rotortree/core/fs';
import { BLAKE3_ID, BLAKE3_LEGACY_ID, blake3 } from '@rotortree/hasher-blake3';
import { fsWal } from '@rotortree/wal-fs';
import { mmapCheckpointStore } from '@rotortree/checkpoint-mmap';
import { assertLockingSupported } from '@rotortree/native';
import { DEFAULT_CHECKPOINT, DEFAULT_FLUSH, DEFAULT_MAX_DEPTH, DEFAULT_N, defaultTiering } from './defaults.js';
import { readDescriptor, writeDescriptor } from './descriptor.js';
import type { TreeDescriptor } from './descriptor.js';
import { layoutOf } from './layout.js';
import type { TreeLayout } from './layout.js';
import { assertOpenOptions } from './open-options.js';
import { lockTreeDirectory } from './tree-lock.js';

/** Options of {@link open}. Every one is optional; a value of the wrong type is a `TypeError` naming it. */
export interface OpenOptions {
  /**
   * Branching factor, 2..256. A new tree: default 4. An existing tree: its stored value; another
   * value is `CONFIG_MISMATCH`.
   */
  readonly n?: number;
  /** Maximum depth, 1..64. A new tree: default 32 (see `DEFAULT_MAX_DEPTH`). An existing tree: as `n`. */
  readonly maxDepth?: number;
  /**
   * The hasher. Default: `blake3()` (the fastest backend that loads), or `blake3({ legacy: true })`
   * for a directory created with the legacy rule. Another id than the directory's is `CONFIG_MISMATCH`.
   */
  readonly hasher?: Hasher;
  /** Default: group commit every 10 ms. */
  readonly flushPolicy?: FlushPolicy;
  /** The engine's background checkpoint policy. Default: `memoryThreshold` of 64 MiB of leaves. */
  readonly checkpointPolicy?: CheckpointPolicy;
  /**
   * Write a checkpoint in `close()` when the WAL holds records the last checkpoint does not cover,
   * so that the next open replays nothing. Default true. (The engine takes one policy; this adds
   * `onClose` to the background one.)
   */
  readonly checkpointOnClose?: boolean;
  /** Default: `defaultTiering(n)` (levels below it are read from checkpoint files once the engine tiers); `false` for none. */
  readonly tiering?: TieringOptions | false;
  /** Recompute every checkpoint level from its leaves at open (`CORRUPTION` on a mismatch). Default false. */
  readonly verifyCheckpoint?: boolean;
  /** Create the tree when `dir` holds none. Default true; with false, `open` throws `IO` (cause `ENOENT`). */
  readonly create?: boolean;
  /** Read checkpoint segments through mmap (`'auto'`, the default) or into memory (`'off'`). */
  readonly mmap?: 'auto' | 'off';
  /**
   * Forwarded to `mmapCheckpointStore({ maxResidentBytes })`: about how many bytes of mapped checkpoint
   * pages reads may keep in the RSS before they are released (default: no limit; they are page cache).
   */
  readonly maxResidentBytes?: number;
  /** Forwarded to `fsWal({ preallocate })`: grow the WAL in zero-filled steps of this many bytes (0..1 GiB). Default 0. */
  readonly walPreallocate?: number;
}

/** The parameters stored in a tree directory (its descriptor). */
export type StoredParameters = TreeDescriptor;

/**
 * The parameters stored in the tree directory `dir` (its descriptor), or `undefined` when it holds
 * no tree. Throws `CORRUPTION` for a damaged descriptor, `CONFIG_MISMATCH` for another format version.
 */
export function storedParameters(dir: string): Promise<StoredParameters | undefined> {
  return readDescriptor(layoutOf(dir).descriptor);
}

function mismatch(file: string, what: string, stored: unknown, given: unknown): never {
  throw new RotorTreeError('CONFIG_MISMATCH', `${file} holds ${what}=${String(stored)}, opened with ${what}=${String(given)}`, { file });
}

/**
 * The hasher for a directory whose descriptor names `stored` (undefined: a new tree): the given one
 * (its id must match), or the BLAKE3 rule the id names. Another id with no hasher given is
 * `CONFIG_MISMATCH` (pass that hasher).
 */
export function hasherFor(stored: string | undefined, given: Hasher | undefined, file: string): Hasher {
  if (given !== undefined) {
    if (stored !== undefined && given.id !== stored) mismatch(file, 'hasher', stored, given.id);
    return given;
  }
  if (stored === undefined || stored === BLAKE3_ID) return blake3();
  if (stored === BLAKE3_LEGACY_ID) return blake3({ legacy: true });
  throw new RotorTreeError('CONFIG_MISMATCH', `${file} uses the hasher "${stored}": pass it as options.hasher`, { file });
}

function param(stored: number | undefined, given: number | undefined, fallback: number, file: string, what: string): number {
  if (stored === undefined) return given ?? fallback;
  if (given !== undefined && given !== stored) mismatch(file, what, stored, given);
  return stored;
}

/** True when `dir` holds a backend's directory of a tree (another user's files do not make one). */
async function holdsTreeFiles(layout: TreeLayout): Promise<boolean> {
  const fs = nodeFileSystem();
  return (await fs.exists(layout.wal)) || (await fs.exists(layout.checkpoint));
}

/**
 * Creates `dir` and its missing parents, each name made durable (an fsync of its parent: a new
 * tree's directory must not vanish in a power loss after its inserts were acknowledged). Returns
 * the directories it created, outermost first.
 */
async function makeDirectory(dir: string): Promise<string[]> {
  const created: string[] = [];
  try {
    await mkdirDurable(nodeFileSystem(), resolve(dir), created);
  } catch (err) {
    await removeDirectories(created);
    throw new RotorTreeError('IO', `cannot create ${dir}`, { file: dir, cause: err });
  }
  return created;
}

/** Removes the (empty) directories `created`, innermost first; what cannot be removed stays. */
async function removeDirectories(created: readonly string[]): Promise<void> {
  for (let i = created.length - 1; i >= 0; i--) await rmdir(created[i]!).catch(() => undefined);
}

/**
 * Opens the durable tree stored in `dir`, creating it (and `dir`) when there is none.
 *
 * Wires the default file backends: the WAL of `@rotortree/wal-fs` in `dir/wal`, the checkpoint store
 * of `@rotortree/checkpoint-mmap` in `dir/checkpoint`, and the fastest BLAKE3 backend that loads.
 * `dir/rotortree.json` records the tree's identity and parameters, so reopening needs no options;
 * options that contradict it are `CONFIG_MISMATCH`. The directory itself is locked while the tree is
 * open (`FILE_LOCKED` for any second opener, in this process or another). A file the tree must have
 * and does not (its WAL), a file of another tree, or a descriptor missing beside a tree's files is
 * `CORRUPTION` naming the file; also `IO`; see `RotorTree.open`.
 *
 * ```ts
 * const tree = await open('./data');         // n = 4, maxDepth = 32, BLAKE3
 * const { root, token } = tree.insertMany(leaves);
 * await token.wait();                        // durable
 * await tree.close();                        // flushes, checkpoints, unlocks
 * ```
 */
export async function open(dir: string, options: OpenOptions = {}): Promise<RotorTree> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('dir must be a non-empty string');
  assertOpenOptions(options);
  const layout = layoutOf(dir);
  let stored = await readDescriptor(layout.descriptor);
  if (stored === undefined) {
    if (options.create === false) {
      const cause = Object.assign(new Error(`ENOENT: no rotortree in ${dir}`), { code: 'ENOENT' });
      throw new RotorTreeError('IO', `no rotortree in ${dir} (no ${layout.descriptor})`, { file: layout.descriptor, cause });
    }
    if (await holdsTreeFiles(layout)) {
      throw new RotorTreeError('CORRUPTION', `${layout.descriptor} is missing, but ${dir} holds files of a tree`, { file: layout.descriptor });
    }
  }
  // Checked before anything is created: a refused open leaves no half-made directory.
  const file = layout.descriptor;
  const n = param(stored?.n, options.n, DEFAULT_N, file, 'n');
  const maxDepth = param(stored?.maxDepth, options.maxDepth, DEFAULT_MAX_DEPTH, file, 'maxDepth');
  const hasher = hasherFor(stored?.hasher, options.hasher, file);
  assertLockingSupported(dir); // UNSUPPORTED (no flock provider) before anything is created
  const createdDirs = await makeDirectory(dir);
  let release: (() => void) | undefined;
  let creating = false;
  try {
    release = lockTreeDirectory(dir);
    // Read again under the lock: another opener may have created the tree meanwhile.
    stored = await readDescriptor(layout.descriptor);
    if (stored === undefined) {
      stored = { treeId: newTreeId(), n, maxDepth, hasher: hasher.id, state: 'creating' };
      creating = true;
      await writeDescriptor(layout.descriptor, stored);
    } else {
      param(stored.n, n, n, file, 'n');
      param(stored.maxDepth, maxDepth, maxDepth, file, 'maxDepth');
      if (stored.hasher !== hasher.id) mismatch(file, 'hasher', stored.hasher, hasher.id);
    }
    const tree = await openEngine(layout, stored, hasher, options, release);
    if (stored.state === 'creating') {
      try {
        await writeDescriptor(layout.descriptor, { ...stored, state: 'created' });
      } catch (err) {
        await tree.close().catch(() => undefined);
        throw err;
      }
    }
    return tree;
  } catch (err) {
    // A tree this call began to create was never handed out (nothing in it was acknowledged): undo it.
    if (creating) await removeCreated(layout, createdDirs);
    else await removeDirectories(createdDirs);
    release?.();
    throw err;
  }
}

/** The engine on the default backends, for the tree `stored` describes. */
function openEngine(layout: TreeLayout, stored: TreeDescriptor, hasher: Hasher, options: OpenOptions, release: () => void): Promise<RotorTree> {
  const tiering = options.tiering === false ? undefined : (options.tiering ?? defaultTiering(stored.n));
  return RotorTree.open({
    hasher,
    n: stored.n,
    maxDepth: stored.maxDepth,
    treeId: stored.treeId,
    create: stored.state === 'creating',
    wal: fsWal({ dir: layout.wal, ...(options.walPreallocate === undefined ? {} : { preallocate: options.walPreallocate }) }),
    checkpoints: mmapCheckpointStore({
      dir: layout.checkpoint,
      ...(options.mmap === undefined ? {} : { mmap: options.mmap }),
      ...(options.maxResidentBytes === undefined ? {} : { maxResidentBytes: options.maxResidentBytes }),
    }),
    flushPolicy: options.flushPolicy ?? DEFAULT_FLUSH,
    checkpointPolicy: options.checkpointPolicy ?? DEFAULT_CHECKPOINT,
    ...(tiering === undefined ? {} : { tiering }),
    verifyCheckpoint: options.verifyCheckpoint === true,
    checkpointOnClose: options.checkpointOnClose !== false,
    onClosed: release,
  });
}

/** Removes what an open that began to create a tree made: its descriptor, backend directories, and the directories it made. */
async function removeCreated(layout: TreeLayout, createdDirs: readonly string[]): Promise<void> {
  await Promise.allSettled([rm(layout.wal, { recursive: true, force: true }), rm(layout.checkpoint, { recursive: true, force: true }), rm(layout.descriptor, { force: true })]);
  await removeDirectories(createdDirs);
}
