/**
 * `open(dir)`: a durable tree in a directory, with the default file backends.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { RotorTree, RotorTreeError } from '@rotortree/core';
import type { CheckpointPolicy, FlushPolicy, Hasher, TieringOptions } from '@rotortree/core';
import { BLAKE3_ID, BLAKE3_LEGACY_ID, blake3 } from '@rotortree/hasher-blake3';
import { fsWal } from '@rotortree/wal-fs';
import { mmapCheckpointStore } from '@rotortree/checkpoint-mmap';
import { assertLockingSupported } from '@rotortree/native';
import { DEFAULT_CHECKPOINT, DEFAULT_FLUSH, DEFAULT_MAX_DEPTH, DEFAULT_N, defaultTiering } from './defaults.js';
import { readDescriptor, readWalHeader, writeDescriptor } from './descriptor.js';
import type { TreeDescriptor } from './descriptor.js';
import { layoutOf } from './layout.js';

/** Options of {@link open}. Every one is optional. */
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
  /** Forwarded to `fsWal({ preallocate })`: grow the WAL in zero-filled steps of this many bytes. Default 0. */
  readonly walPreallocate?: number;
}

/** Where the stored parameters of a directory come from. */
export interface StoredParameters extends TreeDescriptor {
  /** `descriptor` (`rotortree.json`) or `wal` (the WAL header, when the descriptor is missing). */
  readonly source: 'descriptor' | 'wal';
}

/**
 * The parameters stored in the tree directory `dir`, or `undefined` when it holds no tree.
 * Throws `CORRUPTION` for a damaged descriptor or WAL header.
 */
export function storedParameters(dir: string): StoredParameters | undefined {
  const layout = layoutOf(dir);
  const fromDescriptor = readDescriptor(layout.descriptor);
  if (fromDescriptor !== undefined) return { ...fromDescriptor, source: 'descriptor' };
  const fromWal = readWalHeader(layout.wal);
  return fromWal === undefined ? undefined : { n: fromWal.n, maxDepth: fromWal.maxDepth, hasher: fromWal.hasher, source: 'wal' };
}

function mismatch(file: string, what: string, stored: unknown, given: unknown): never {
  throw new RotorTreeError('CONFIG_MISMATCH', `${file} holds ${what}=${String(stored)}, opened with ${what}=${String(given)}`, { file });
}

/** The hasher for a directory: the given one, or the BLAKE3 rule its id names. */
function hasherFor(stored: StoredParameters | undefined, given: Hasher | undefined, file: string): Hasher {
  if (given !== undefined) {
    if (stored !== undefined && given.id !== stored.hasher) mismatch(file, 'hasher', stored.hasher, given.id);
    return given;
  }
  if (stored === undefined || stored.hasher === BLAKE3_ID) return blake3();
  if (stored.hasher === BLAKE3_LEGACY_ID) return blake3({ legacy: true });
  throw new RotorTreeError('CONFIG_MISMATCH', `${file} uses the hasher "${stored.hasher}": pass it as options.hasher`, { file });
}

function param(stored: number | undefined, given: number | undefined, fallback: number, file: string, what: string): number {
  if (stored === undefined) return given ?? fallback;
  if (given !== undefined && given !== stored) mismatch(file, what, stored, given);
  return stored;
}

/**
 * Opens the durable tree stored in `dir`, creating it (and `dir`) when there is none.
 *
 * Wires the default file backends: the WAL of `@rotortree/wal-fs` in `dir/wal`, the checkpoint store
 * of `@rotortree/checkpoint-mmap` in `dir/checkpoint`, and the fastest BLAKE3 backend that loads.
 * A new directory records n, maxDepth and the hasher id in `dir/rotortree.json`, so reopening needs
 * no options; options that contradict it are `CONFIG_MISMATCH`. Also `FILE_LOCKED` (another opener
 * holds `dir`), `CORRUPTION` (with file and offset), `IO`; see `RotorTree.open`.
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
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const layout = layoutOf(dir);
  assertLockingSupported(dir); // UNSUPPORTED before anything is created
  const stored = storedParameters(dir);
  if (stored === undefined && options.create === false) {
    const cause = Object.assign(new Error(`ENOENT: no rotortree in ${dir}`), { code: 'ENOENT' });
    throw new RotorTreeError('IO', `no rotortree in ${dir} (no ${layout.descriptor})`, { file: layout.descriptor, cause });
  }
  const file = stored?.source === 'wal' ? layout.wal : layout.descriptor;
  const n = param(stored?.n, options.n, DEFAULT_N, file, 'n');
  const maxDepth = param(stored?.maxDepth, options.maxDepth, DEFAULT_MAX_DEPTH, file, 'maxDepth');
  const hasher = hasherFor(stored, options.hasher, file);
  if (stored === undefined) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new RotorTreeError('IO', `cannot create ${dir}`, { file: dir, cause: err });
    }
  }
  const tiering = options.tiering === false ? undefined : (options.tiering ?? defaultTiering(n));
  const tree = await RotorTree.open({
    hasher,
    n,
    maxDepth,
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
  });
  // Written while holding the lock, after the WAL header exists: a crash before it leaves a WAL
  // that storedParameters() reads instead; two racing creators cannot both get here.
  if (stored?.source !== 'descriptor') {
    try {
      await writeDescriptor(layout.descriptor, { n, maxDepth, hasher: hasher.id });
    } catch (err) {
      await tree.close().catch(() => undefined);
      throw err;
    }
  }
  return tree;
}
