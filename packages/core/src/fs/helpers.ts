/**
 * Small recipes over {@link FileSystem} shared by the file backends.
 * @module
 */
import { dirName, normalizePath } from './path.js';
import type { FileHandle, FileSystem } from './types.js';

/** Writes `bufs` one after another from `pos`: one gather write when the handle has one, else one `pwrite` each. */
export async function pwriteAll(fh: FileHandle, bufs: readonly Uint8Array[], pos: number): Promise<void> {
  if (fh.pwritev !== undefined) return fh.pwritev(bufs, pos);
  for (const buf of bufs) {
    await fh.pwrite(buf, 0, buf.length, pos);
    pos += buf.length;
  }
}

/** The whole content of the file at `path` (through {@link FileSystem.readFile} when the file system has it). */
export async function readWholeFile(fs: FileSystem, path: string): Promise<Uint8Array> {
  if (fs.readFile !== undefined) return fs.readFile(path);
  const fh = await fs.open(path, 'r');
  try {
    const size = await fh.size();
    const buf = new Uint8Array(size);
    const got = await fh.read(buf, 0, size, 0);
    return got === size ? buf : buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/**
 * Durably replaces the file at `path` with `bytes`: write `path + '.tmp'`, fsync it, rename it
 * over `path`, fsync the directory. After a crash, `path` holds the old or the new bytes, whole;
 * a leftover `.tmp` may remain and is the caller's to clean.
 */
export async function writeFileAtomic(fs: FileSystem, path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await fs.open(tmp, 'w+');
  try {
    await fh.pwrite(bytes, 0, bytes.length, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, path);
  await fs.fsyncDir(dirName(path));
}

/**
 * Creates `dir` and its missing parents and makes each new name durable (an fsync of the directory
 * holding it, from the top down): a directory entry lost in a power loss would lose everything
 * written under it, silently. Pushes the directories it is about to create, outermost first, onto
 * `created` before it creates them (none if `dir` exists), so that a caller can remove them again
 * when this or a later step fails; returns `created`.
 */
export async function mkdirDurable(fs: FileSystem, dir: string, created: string[] = []): Promise<string[]> {
  const missing: string[] = [];
  for (let d = normalizePath(dir); (await fs.stat(d)) === undefined; d = dirName(d)) {
    missing.unshift(d);
    if (dirName(d) === d) break;
  }
  if (missing.length === 0) return created;
  created.push(...missing);
  await fs.mkdir(dir, { recursive: true });
  for (const d of missing) await fs.fsyncDir(dirName(d));
  return created;
}
