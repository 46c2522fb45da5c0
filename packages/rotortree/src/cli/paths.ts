/**
 * Checks of the paths a user gives (`--dir`, an input file, `--out`), made before any work starts:
 * a path that cannot be what the command needs is a usage error naming it, never a raw error.
 * @module
 */
import { accessSync, closeSync, constants, fstatSync, openSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { usage } from './command.js';
import { why } from './errno.js';

/**
 * Checks `--dir`: it may be missing (init creates it; the others say there is no tree), but what
 * exists there must be a directory.
 */
export function checkDirArgument(dir: string): void {
  let st: Stats | undefined;
  try {
    st = statSync(dir, { throwIfNoEntry: false });
  } catch (err) {
    throw usage(`--dir ${dir}: ${why(err)}`, dir);
  }
  if (st !== undefined && !st.isDirectory()) throw usage(`--dir ${dir} is not a directory`, dir);
}

/** An input file opened for reading: its descriptor and size (undefined unless a regular file). */
export interface OpenedInput {
  readonly fd: number;
  readonly bytes: number | undefined;
}

/**
 * Opens the input file `path` (what the user named it: `what`) for reading. A file that does not
 * exist, cannot be read, or is a directory is a usage error naming it. Pipes, FIFOs and devices
 * (`<(cmd)`, `/dev/stdin`) are read as streams.
 */
export function openInputFile(path: string, what = path): OpenedInput {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw usage(`cannot read ${what}: ${why(err)}`, path);
  }
  const st = fstatSync(fd);
  if (st.isDirectory()) {
    closeSync(fd);
    throw usage(`cannot read ${what}: it is a directory`, path);
  }
  return { fd, bytes: st.isFile() ? st.size : undefined };
}

/** Throws a usage error when the already open descriptor `fd` (stdin) is a directory. */
export function assertNotDirectoryFd(fd: number, what: string): void {
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch {
    return; // closed: Node reads it as empty
  }
  if (st.isDirectory()) throw usage(`cannot read ${what}: it is a directory`);
}

/**
 * Checks that `path` (an output file, `--out`) can be written, without creating or changing it:
 * its directory must exist and be writable, and an existing `path` must not be a directory.
 */
export function checkOutputFile(path: string, what: string): void {
  const abs = resolve(path);
  let st: Stats | undefined;
  try {
    st = statSync(abs, { throwIfNoEntry: false });
  } catch (err) {
    throw usage(`cannot write ${what} ${path}: ${why(err)}`, path);
  }
  if (st?.isDirectory() === true) throw usage(`cannot write ${what} ${path}: it is a directory`, path);
  const parent = dirname(abs);
  try {
    if (st === undefined) {
      const dir = statSync(parent);
      if (!dir.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      accessSync(parent, constants.W_OK);
    } else {
      accessSync(abs, constants.W_OK);
    }
  } catch (err) {
    throw usage(`cannot write ${what} ${path}: ${st === undefined ? `its directory ${parent}: ` : ''}${why(err)}`, path);
  }
}
