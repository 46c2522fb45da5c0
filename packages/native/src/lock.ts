/**
 * The one-writer locks of rotortree: an exclusive, non-blocking `flock` on a directory (or a file),
 * plus an in-process registry.
 *
 * - **A directory, not a lock file.** A lock file can be deleted under a live writer (a cleanup
 *   job does that), and a second opener then creates and locks a new file of the same name. A data
 *   directory cannot be deleted while it holds the tree's files, and its inode stays the same, so
 *   the flock on it holds.
 * - **Provider.** `flock` comes from the npm package `fs-ext` where it built (the design keeps it
 *   the provider), else from this package's addon (prebuilt: no compiler needed). Both are the same
 *   system call on the same kind of fd, so a lock taken through one excludes the other; `provider`
 *   of a held lock says which took it. With neither, taking a lock is `UNSUPPORTED`.
 * - **This process.** A registry keyed by device and inode (not by path: a symlink or another
 *   spelling of the same directory is the same key), shared by every copy of this package loaded in
 *   the process, refuses a second opener of the same `purpose`. Openers of different purposes (a
 *   tree's WAL and its checkpoint store given one directory, as a lock file each allowed before)
 *   share one flock, held until the last of them releases; every other process is refused by the
 *   flock. The kernel drops the lock when the holder dies; Node's fds are O_CLOEXEC, so children do
 *   not inherit it.
 * @module
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { RotorTreeError } from '@rotortree/core';
import { nativeAddon, nativeAddonProblem } from './addon.js';

/** Who provides `flock`. */
export type LockProvider = 'fs-ext' | 'native';

/** A held lock. */
export interface HeldLock {
  /** Which provider took it. */
  readonly provider: LockProvider;
  /** The locked path, as given. */
  readonly path: string;
  /** Releases it (closes the fd). Idempotent. */
  release(): void;
}

/** Options of {@link lockDirectory} and {@link lockFile}. */
export interface LockOptions {
  /**
   * What the lock is for (e.g. `'wal'`, `'checkpoint'`, `'tree'`): a second opener with the same
   * purpose in this process is `FILE_LOCKED`; other purposes share the process's flock. Default `'default'`.
   */
  readonly purpose?: string;
  /** Use this provider (tests; `UNSUPPORTED` when it does not load). Default: fs-ext, else native. */
  readonly provider?: LockProvider;
}

interface FsExt {
  flockSync(fd: number, flags: 'exnb'): void;
}

/** flock(LOCK_EX | LOCK_NB): true when taken, false when another open file description holds it. */
type TryLock = (fd: number) => boolean;

let fsExt: FsExt | null | undefined;

function fsExtModule(): FsExt | null {
  if (fsExt !== undefined) return fsExt;
  try {
    const loaded = createRequire(import.meta.url)('fs-ext') as Partial<FsExt>;
    fsExt = typeof loaded.flockSync === 'function' ? (loaded as FsExt) : null;
  } catch {
    fsExt = null; // not installed, or installed without its build (no compiler, --ignore-scripts)
  }
  return fsExt;
}

function isHeldElsewhere(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

function tryLockWith(provider: LockProvider): TryLock | undefined {
  if (provider === 'fs-ext') {
    const ext = fsExtModule();
    if (ext === null) return undefined;
    return (fd) => {
      try {
        ext.flockSync(fd, 'exnb');
        return true;
      } catch (err) {
        if (isHeldElsewhere(err)) return false;
        throw err;
      }
    };
  }
  const addon = nativeAddon();
  return addon === undefined ? undefined : (fd) => addon.lockExclusive(fd);
}

/**
 * The provider locks taken now use: `'fs-ext'` where it loads, else `'native'` (this package's
 * addon), else `undefined` (locking is then `UNSUPPORTED`).
 */
export function lockProvider(): LockProvider | undefined {
  if (fsExtModule() !== null) return 'fs-ext';
  return nativeAddon() !== undefined ? 'native' : undefined;
}

/** Throws `UNSUPPORTED` (naming what is missing) when no provider can take a lock. Call before creating anything. */
export function assertLockingSupported(what: string): void {
  if (lockProvider() !== undefined) return;
  throw new RotorTreeError(
    'UNSUPPORTED',
    `locking ${what} needs flock: fs-ext is not built and ${nativeAddonProblem() ?? 'the native addon is unavailable'}; reinstall with install scripts enabled, or on a platform with a prebuild (linux-x64, linux-arm64)`,
    { file: what },
  );
}

/** A path this process holds a flock on, and for which purposes. */
interface Hold {
  readonly fd: number;
  readonly provider: LockProvider;
  readonly purposes: Set<string>;
}

/** Holds by device:inode in this process, shared by every copy of this module. */
const held = ((globalThis as Record<symbol, unknown>)[Symbol.for('@rotortree/native.locks.v1')] ??= new Map<string, Hold>()) as Map<string, Hold>;

function handle(id: string, hold: Hold, purpose: string, path: string): HeldLock {
  let released = false;
  return {
    provider: hold.provider,
    path,
    release() {
      if (released) return;
      released = true;
      hold.purposes.delete(purpose);
      if (hold.purposes.size > 0) return;
      held.delete(id);
      closeSync(hold.fd);
    },
  };
}

function take(fd: number, path: string, kind: string, options: LockOptions): HeldLock {
  const purpose = options.purpose ?? 'default';
  let kept = false;
  try {
    const st = fstatSync(fd, { bigint: true });
    const id = `${st.dev}:${st.ino}`;
    const existing = held.get(id);
    if (existing !== undefined) {
      if (existing.purposes.has(purpose)) throw new RotorTreeError('FILE_LOCKED', `the ${kind} ${path} is locked already in this process`, { file: path });
      existing.purposes.add(purpose);
      return handle(id, existing, purpose, path);
    }
    const provider = options.provider ?? lockProvider();
    const tryLock = provider === undefined ? undefined : tryLockWith(provider);
    if (provider === undefined || tryLock === undefined) {
      if (options.provider !== undefined) throw new RotorTreeError('UNSUPPORTED', `the lock provider ${options.provider} does not load`, { file: path });
      assertLockingSupported(path);
      throw new Error('unreachable: a provider loads');
    }
    let taken: boolean;
    try {
      taken = tryLock(fd);
    } catch (err) {
      throw new RotorTreeError('IO', `flock failed on the ${kind} ${path}`, { cause: err, file: path });
    }
    if (!taken) throw new RotorTreeError('FILE_LOCKED', `another process holds the lock on the ${kind} ${path}`, { file: path });
    const hold: Hold = { fd, provider, purposes: new Set([purpose]) };
    held.set(id, hold);
    kept = true;
    return handle(id, hold, purpose, path);
  } finally {
    if (!kept) closeSync(fd);
  }
}

function openForLock(path: string, flags: number, kind: string): number {
  try {
    return openSync(path, flags, 0o644);
  } catch (err) {
    throw new RotorTreeError('IO', `cannot open the ${kind} ${path} to lock it`, { cause: err, file: path });
  }
}

/**
 * Locks the directory `dir` (which must exist) for this opener: `FILE_LOCKED` when another opener
 * holds it, in this process or another; `UNSUPPORTED` when no provider loads; `IO` otherwise.
 */
export function lockDirectory(dir: string, options: LockOptions = {}): HeldLock {
  return take(openForLock(dir, constants.O_RDONLY | constants.O_DIRECTORY, 'directory'), dir, 'directory', options);
}

/** Locks the file `path` (created when missing) as {@link lockDirectory} locks a directory. */
export function lockFile(path: string, options: LockOptions = {}): HeldLock {
  return take(openForLock(path, constants.O_RDWR | constants.O_CREAT, 'file'), path, 'file', options);
}
