/**
 * The real file system, on `node:fs/promises` (every call runs on the libuv pool, so a flush
 * never blocks the event loop).
 * @module
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { open as fsOpen, mkdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle as NodeHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { FileHandle, FileStat, FileSystem, OpenFlags } from './types.js';

/** Buffers per writev call (Linux IOV_MAX). */
const MAX_IOVECS = 1024;
/**
 * Bytes per read or write call: Node 20 aborts the process on a read of 2^31 bytes or more (a native
 * assert) and refuses such a write, and Linux moves at most ~2 GiB per call anyway.
 */
const MAX_CALL_BYTES = 1 << 30;

/** `bufs` without their first `written` bytes (a partly written buffer becomes its unwritten tail). */
function skipWritten(bufs: readonly Uint8Array[], written: number): Uint8Array[] {
  let i = 0;
  while (i < bufs.length && written >= bufs[i]!.length) written -= bufs[i++]!.length;
  const rest = bufs.slice(i);
  if (written > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(written);
  return rest;
}

/** Platform hooks for {@link nodeFileSystem} that need native code (core has none). */
export interface NodeFileSystemOptions {
  /**
   * Starts the write-out of the dirty pages of the file open as `fd` without waiting (e.g.
   * `startWriteback` of `@rotortree/wal-fs`'s addon, `sync_file_range`): offered as
   * {@link FileHandle.startWriteback}.
   */
  readonly startWriteback?: (fd: number) => Promise<void>;
}

class NodeFile implements FileHandle {
  readonly startWriteback?: () => Promise<void>;

  constructor(
    private readonly fh: NodeHandle,
    startWriteback: ((fd: number) => Promise<void>) | undefined,
  ) {
    if (startWriteback !== undefined) this.startWriteback = () => startWriteback(fh.fd);
  }

  async pwrite(buf: Uint8Array, off: number, len: number, pos: number): Promise<void> {
    if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 0 || off + len > buf.length) {
      throw new RangeError(`pwrite of ${len} bytes at ${off} is outside a buffer of ${buf.length}`);
    }
    // A regular-file write can still come back short (e.g. a signal): loop until all is written.
    while (len > 0) {
      const { bytesWritten } = await this.fh.write(buf, off, Math.min(len, MAX_CALL_BYTES), pos);
      if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      off += bytesWritten;
      pos += bytesWritten;
      len -= bytesWritten;
    }
  }

  async pwritev(bufs: readonly Uint8Array[], pos: number): Promise<void> {
    let rest = bufs.filter((b) => b.length > 0);
    // writev may come back short too: skip what was written and go on with the rest.
    while (rest.length > 0) {
      const { bytesWritten } = await this.fh.writev(rest.slice(0, MAX_IOVECS), pos);
      if (bytesWritten <= 0) throw Object.assign(new Error('writev made no progress'), { code: 'EIO' });
      pos += bytesWritten;
      rest = skipWritten(rest, bytesWritten);
    }
  }

  async read(buf: Uint8Array, off: number, len: number, pos: number): Promise<number> {
    let total = 0;
    while (total < len) {
      const { bytesRead } = await this.fh.read(buf, off + total, Math.min(len - total, MAX_CALL_BYTES), pos + total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return total;
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  datasync(): Promise<void> {
    return this.fh.datasync();
  }

  sync(): Promise<void> {
    return this.fh.sync();
  }

  truncate(len: number): Promise<void> {
    return this.fh.truncate(len);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

class NodeFileSystem implements FileSystem {
  constructor(private readonly options: NodeFileSystemOptions) {}

  async open(path: string, flags: OpenFlags): Promise<FileHandle> {
    return new NodeFile(await fsOpen(path, flags), this.options.startWriteback);
  }

  rename(from: string, to: string): Promise<void> {
    return rename(from, to);
  }

  unlink(path: string): Promise<void> {
    return unlink(path);
  }

  // Lookups (readdir, stat, exists, readFile) run synchronously: a few microseconds of syscall each, where a trip
  // through the libuv pool costs ~50-100 µs here (an open makes several). Their results still come as
  // promises (errors as rejections), like every other call. Reads, writes and syncs stay on the pool.
  async readdir(dir: string): Promise<string[]> {
    return readdirSync(dir);
  }

  async mkdir(dir: string, options?: { readonly recursive?: boolean }): Promise<void> {
    if (options?.recursive !== true) return mkdir(dir);
    // Node's own recursive mkdir never returns where a parent cannot hold directories (measured on
    // Node 20: `mkdir('/proc/x', { recursive: true })` spins at 100% CPU): create each missing one.
    const missing: string[] = [];
    for (let d = resolve(dir); ; d = dirname(d)) {
      const st = statSync(d, { throwIfNoEntry: false });
      if (st !== undefined) {
        if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${d}'`), { code: 'ENOTDIR', path: d });
        break;
      }
      missing.push(d);
      if (dirname(d) === d) break;
    }
    for (let i = missing.length - 1; i >= 0; i--) {
      try {
        await mkdir(missing[i]!);
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
      }
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    // Small files only (manifests, descriptors): one synchronous read of tens of µs beats four
    // thread-pool round trips (open, fstat, read, close).
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const s = statSync(path, { throwIfNoEntry: false });
    return s === undefined ? undefined : { size: s.size, isFile: s.isFile(), isDirectory: s.isDirectory() };
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== undefined;
  }

  async fsyncDir(dir: string): Promise<void> {
    // A directory opens read-only ('r+' gives EISDIR); fsync on that fd persists its entries.
    const fh = await fsOpen(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

/** The real file system of this machine. */
export function nodeFileSystem(options: NodeFileSystemOptions = {}): FileSystem {
  return new NodeFileSystem(options);
}
