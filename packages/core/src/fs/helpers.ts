/**
 * Small recipes over {@link FileSystem} shared by the file backends.
 * @module
 */
import { dirName } from './path.js';
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
