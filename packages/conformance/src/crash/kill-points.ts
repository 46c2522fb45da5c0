/**
 * Named kill points without hooks in the backends: a {@link FileSystem} wrapper that SIGKILLs
 * its own process right before or after the nth call of an operation, chosen by
 * `ROTORTREE_KILL_AT=<point>:<nth>[:<path part>]`, e.g. `after-rename:1:MANIFEST` (the first
 * manifest publish), `before-datasync:3` (the third fdatasync: written, not yet durable),
 * `after-truncate:1` (a torn tail just cut), `after-fsyncDir:2`.
 * @module
 */
import { writeSync } from 'node:fs';
import type { FileHandle, FileSystem, OpenFlags } from '@rotortree/core/fs';

/** Operations a kill point can be attached to. `create` is an open that may create the file (`w+`, `wx+`). */
export const KILL_OPERATIONS = ['create', 'write', 'datasync', 'sync', 'truncate', 'rename', 'unlink', 'fsyncDir'] as const;

/** One of {@link KILL_OPERATIONS}. */
export type KillOperation = (typeof KILL_OPERATIONS)[number];

/** Every named kill point: `before-<op>` and `after-<op>`. */
export const KILL_POINTS: readonly string[] = KILL_OPERATIONS.flatMap((op) => [`before-${op}`, `after-${op}`]);

/** A parsed `ROTORTREE_KILL_AT`. */
export interface KillAt {
  readonly when: 'before' | 'after';
  readonly op: KillOperation;
  /** 1 = the first matching call. */
  readonly nth: number;
  /** Only calls whose path contains this. */
  readonly pathPart?: string;
}

/** Parses `<point>:<nth>[:<path part>]`; throws a `RangeError` naming the valid points. */
export function parseKillAt(spec: string): KillAt {
  const [point = '', nthText = '1', ...rest] = spec.split(':');
  const dash = point.indexOf('-');
  const when = point.slice(0, dash);
  const op = point.slice(dash + 1) as KillOperation;
  const nth = Number(nthText);
  if ((when !== 'before' && when !== 'after') || !KILL_OPERATIONS.includes(op) || !Number.isInteger(nth) || nth < 1) {
    throw new RangeError(`ROTORTREE_KILL_AT must be <point>:<nth>[:<path part>] with a point of ${KILL_POINTS.join(', ')}; got "${spec}"`);
  }
  const pathPart = rest.join(':');
  return pathPart === '' ? { when, op, nth } : { when, op, nth, pathPart };
}

/** Kills this process with SIGKILL, telling the parent first (a pipe write is synchronous). */
export function killSelf(label: string): never {
  try {
    writeSync(1, `K ${label}\n`);
  } catch {
    // stdout closed: die anyway
  }
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL to oneself is delivered before kill() returns; this is unreachable in practice.
  throw new Error('SIGKILL did not stop the process');
}

/** Wraps `inner` so that the process kills itself at `at` (no wrapper effect when `at` is undefined). */
export function killPointFileSystem(inner: FileSystem, at: KillAt | undefined, kill: (label: string) => void = killSelf): FileSystem {
  if (at === undefined) return inner;
  let seen = 0;
  const label = `${at.when}-${at.op}:${at.nth}${at.pathPart === undefined ? '' : `:${at.pathPart}`}`;
  const around = async <T>(op: KillOperation, path: string, fn: () => Promise<T>): Promise<T> => {
    const hit = op === at.op && (at.pathPart === undefined || path.includes(at.pathPart)) && ++seen === at.nth;
    if (hit && at.when === 'before') kill(label);
    const result = await fn();
    if (hit && at.when === 'after') kill(label);
    return result;
  };
  const wrapHandle = (fh: FileHandle, path: string): FileHandle => ({
    pwrite: (buf, off, len, pos) => around('write', path, () => fh.pwrite(buf, off, len, pos)),
    read: (buf, off, len, pos) => fh.read(buf, off, len, pos),
    size: () => fh.size(),
    datasync: () => around('datasync', path, () => fh.datasync()),
    sync: () => around('sync', path, () => fh.sync()),
    truncate: (len) => around('truncate', path, () => fh.truncate(len)),
    close: () => fh.close(),
  });
  return {
    open: async (path: string, flags: OpenFlags) => {
      const fh = flags === 'w+' || flags === 'wx+' ? await around('create', path, () => inner.open(path, flags)) : await inner.open(path, flags);
      return wrapHandle(fh, path);
    },
    rename: (from, to) => around('rename', `${from} -> ${to}`, () => inner.rename(from, to)),
    unlink: (path) => around('unlink', path, () => inner.unlink(path)),
    readdir: (dir) => inner.readdir(dir),
    mkdir: (dir, options) => inner.mkdir(dir, options),
    stat: (path) => inner.stat(path),
    exists: (path) => inner.exists(path),
    fsyncDir: (dir) => around('fsyncDir', dir, () => inner.fsyncDir(dir)),
  };
}
