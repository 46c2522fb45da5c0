/**
 * A small file WAL written against the suite, for two uses: the example a backend author starts
 * from (it passes the suite), and, with a `flaw`, the deliberately broken backends the suite's
 * self-tests must catch.
 *
 * Format of `<dir>/simple.wal` (little-endian): header `"SWAL"`, u32 n, u32 maxDepth, u32 baseSeq,
 * u16 id length, hasher id, u32 CRC-32C of the header; then records `u32 len, u32 seq, payload,
 * u32 CRC-32C of (len, seq, payload)`. A bad or incomplete record ends the log (torn tail: cut
 * and reported). Truncation rewrites the file: temp file, fsync, rename, fsync of the directory.
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import type { Wal, WalCapabilities, WalConfig, WalOpenResult, WalRecordVisitor } from '@rotortree/core';
import { crc32c, joinPath, nodeFileSystem } from '@rotortree/core/fs';
import type { FileHandle, FileSystem } from '@rotortree/core/fs';

/** Deliberate defects of {@link simpleFileWal}, each breaking one guarantee. */
export type WalFlaw =
  /** `flush` resolves after writing, without fdatasync: acknowledged inserts are lost at a power loss. */
  | 'ackBeforeSync'
  /** `open` drops the last record (cuts it off) without reporting it. */
  | 'loseTailOnReopen'
  /** No lock: a second opener is let in. */
  | 'noLock'
  /** A failed fdatasync is swallowed: the flush resolves and the WAL is not poisoned. */
  | 'ignoreSyncError';

/** Options of {@link simpleFileWal}. */
export interface SimpleFileWalOptions {
  readonly dir: string;
  /** Default: the real file system. */
  readonly fs?: FileSystem;
  /** A deliberate defect, for the suite's self-tests. */
  readonly flaw?: WalFlaw;
}

const NAME = 'simple.wal';
const held = new WeakMap<FileSystem, Set<string>>();

function u32(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

function putU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v;
  b[off + 1] = v >>> 8;
  b[off + 2] = v >>> 16;
  b[off + 3] = v >>> 24;
}

function encodeHeader(config: WalConfig, baseSeq: number): Uint8Array {
  const id = new TextEncoder().encode(config.hasherId);
  const out = new Uint8Array(18 + id.length + 4);
  out.set([0x53, 0x57, 0x41, 0x4c], 0);
  putU32(out, 4, config.n);
  putU32(out, 8, config.maxDepth);
  putU32(out, 12, baseSeq);
  out[16] = id.length & 0xff;
  out[17] = id.length >>> 8;
  out.set(id, 18);
  putU32(out, 18 + id.length, crc32c(out.subarray(0, 18 + id.length)));
  return out;
}

class SimpleFileWal implements Wal {
  readonly supports: WalCapabilities = { durable: true };
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #path: string;
  readonly #flaw: WalFlaw | undefined;
  #config: WalConfig | undefined;
  #fh: FileHandle | undefined;
  #end = 0;
  #lastSeq = 0;
  #durable = 0;
  #buffer: Uint8Array[] = [];
  #state: 'new' | 'open' | 'poisoned' | 'closed' = 'new';
  #chain: Promise<unknown> = Promise.resolve();
  #unlock: (() => void) | undefined;

  constructor(options: SimpleFileWalOptions) {
    this.#fs = options.fs ?? nodeFileSystem();
    this.#dir = options.dir;
    this.#path = joinPath(options.dir, NAME);
    this.#flaw = options.flaw;
  }

  async open(config: WalConfig, afterSeq: number, visit: WalRecordVisitor): Promise<WalOpenResult> {
    if (this.#state !== 'new') throw new RotorTreeError('CLOSED', 'opened already');
    this.#config = config;
    await this.#io(() => this.#fs.mkdir(this.#dir, { recursive: true }));
    this.#lock();
    try {
      return await this.#recover(config, afterSeq, visit);
    } catch (err) {
      await this.#fh?.close().catch(() => {});
      this.#unlock?.();
      throw err;
    }
  }

  append(seq: number, leaves: Uint8Array): void {
    this.#assertOpen();
    if (seq !== this.#lastSeq + 1) throw new RangeError(`append: expected seq ${this.#lastSeq + 1}, got ${seq}`);
    if (leaves.length === 0 || leaves.length % 32 !== 0) throw new RotorTreeError('INVALID_NODE', 'a record holds k*32 bytes');
    const rec = new Uint8Array(12 + leaves.length);
    putU32(rec, 0, leaves.length);
    putU32(rec, 4, seq);
    rec.set(leaves, 8);
    putU32(rec, 8 + leaves.length, crc32c(rec.subarray(0, 8 + leaves.length)));
    this.#buffer.push(rec);
    this.#lastSeq = seq;
  }

  flush(): Promise<number> {
    const run = this.#chain.then(async () => {
      this.#assertOpen();
      const recs = this.#buffer;
      this.#buffer = [];
      const upTo = this.#lastSeq;
      if (recs.length === 0) return this.#durable;
      const total = recs.reduce((s, r) => s + r.length, 0);
      const bytes = new Uint8Array(total);
      let off = 0;
      for (const r of recs) {
        bytes.set(r, off);
        off += r.length;
      }
      try {
        await this.#fh!.pwrite(bytes, 0, total, this.#end);
        this.#end += total;
        if (this.#flaw !== 'ackBeforeSync') await this.#sync();
      } catch (err) {
        this.#state = 'poisoned';
        throw new RotorTreeError('IO', 'flush failed', { cause: err, file: this.#path });
      }
      this.#durable = upTo;
      return upTo;
    });
    this.#chain = run.catch(() => {});
    return run;
  }

  truncate(upToSeq: number): Promise<void> {
    const run = this.#chain.then(async () => {
      this.#assertOpen();
      const file = await this.#io(() => this.#readAll());
      const kept: Uint8Array[] = [];
      this.#scan(file, (seq, rec) => {
        if (seq > upToSeq) kept.push(rec);
      });
      try {
        await this.#rewrite(upToSeq, kept);
      } catch (err) {
        this.#state = 'poisoned';
        throw new RotorTreeError('IO', 'truncate failed', { cause: err, file: this.#path });
      }
    });
    this.#chain = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    await this.#chain;
    await this.#fh?.close().catch(() => {});
    this.#unlock?.();
    this.#unlock = undefined;
  }

  async #sync(): Promise<void> {
    try {
      await this.#fh!.datasync();
    } catch (err) {
      if (this.#flaw !== 'ignoreSyncError') throw err;
    }
  }

  #lock(): void {
    if (this.#flaw === 'noLock') return;
    let set = held.get(this.#fs);
    if (set === undefined) held.set(this.#fs, (set = new Set()));
    if (set.has(this.#dir)) throw new RotorTreeError('FILE_LOCKED', `${this.#dir} is open elsewhere`, { file: this.#path });
    set.add(this.#dir);
    const s = set;
    this.#unlock = () => s.delete(this.#dir);
  }

  async #recover(config: WalConfig, afterSeq: number, visit: WalRecordVisitor): Promise<WalOpenResult> {
    const exists = await this.#io(() => this.#fs.exists(this.#path));
    if (!exists) {
      if (afterSeq > 0) throw new RotorTreeError('CORRUPTION', 'the log is missing', { file: this.#path, offset: 0 });
      await this.#io(() => this.#rewrite(0, []));
      this.#state = 'open';
      return { lastSeq: 0 };
    }
    const file = await this.#io(() => this.#readAll());
    const idLen = file.length >= 18 ? file[16]! | (file[17]! << 8) : 0;
    const idEnd = 18 + idLen;
    if (file.length < idEnd + 4 || u32(file, idEnd) !== crc32c(file.subarray(0, idEnd))) {
      throw new RotorTreeError('CORRUPTION', 'bad header', { file: this.#path, offset: 0 });
    }
    const wanted = encodeHeader(config, 0);
    if (u32(file, 4) !== config.n || u32(file, 8) !== config.maxDepth || !sameBytes(file.subarray(16, idEnd), wanted.subarray(16, wanted.length - 4))) {
      throw new RotorTreeError('CONFIG_MISMATCH', 'the log was written with another configuration', { file: this.#path, offset: 0 });
    }
    const baseSeq = u32(file, 12);
    if (baseSeq > afterSeq) throw new RotorTreeError('CORRUPTION', `records up to ${baseSeq} are missing`, { file: this.#path, offset: 0 });
    const records: { seq: number; rec: Uint8Array; at: number }[] = [];
    let end = this.#scan(file, (seq, rec, at) => records.push({ seq, rec, at }));
    if (this.#flaw === 'loseTailOnReopen' && records.length > 0) end = records.pop()!.at;
    let tornTail: WalOpenResult['tornTail'];
    if (end < file.length) {
      await this.#io(async () => {
        await this.#fh!.truncate(end);
        await this.#fh!.datasync();
      });
      if (this.#flaw !== 'loseTailOnReopen') tornTail = { file: this.#path, offset: end, bytes: file.length - end };
    }
    let last = baseSeq;
    for (const { seq, rec } of records) {
      last = seq;
      if (seq > afterSeq) visit(seq, rec.subarray(8, rec.length - 4));
    }
    this.#end = end;
    if (last < afterSeq) {
      await this.#io(() => this.#rewrite(afterSeq, []));
      last = afterSeq;
    }
    this.#lastSeq = this.#durable = last;
    this.#state = 'open';
    return tornTail === undefined ? { lastSeq: last } : { lastSeq: last, tornTail };
  }

  /** Calls `fn` for every valid record; returns where the valid records end. */
  #scan(file: Uint8Array, fn: (seq: number, rec: Uint8Array, at: number) => void): number {
    const idLen = file[16]! | (file[17]! << 8);
    let pos = 22 + idLen;
    let expected = u32(file, 12) + 1;
    while (pos + 12 <= file.length) {
      const len = u32(file, pos);
      if (len === 0 || len % 32 !== 0 || pos + 12 + len > file.length) break;
      const seq = u32(file, pos + 4);
      if (seq !== expected || u32(file, pos + 8 + len) !== crc32c(file.subarray(pos, pos + 8 + len))) break;
      fn(seq, file.subarray(pos, pos + 12 + len), pos);
      pos += 12 + len;
      expected++;
    }
    return pos;
  }

  async #readAll(): Promise<Uint8Array> {
    this.#fh ??= await this.#fs.open(this.#path, 'r+');
    const size = await this.#fh.size();
    const buf = new Uint8Array(size);
    await this.#fh.read(buf, 0, size, 0);
    return buf;
  }

  async #rewrite(baseSeq: number, records: readonly Uint8Array[]): Promise<void> {
    const header = encodeHeader(this.#config!, baseSeq);
    const tmpPath = `${this.#path}.tmp`;
    const tmp = await this.#fs.open(tmpPath, 'w+');
    let off = header.length;
    try {
      await tmp.pwrite(header, 0, header.length, 0);
      for (const r of records) {
        await tmp.pwrite(r, 0, r.length, off);
        off += r.length;
      }
      await tmp.sync();
    } finally {
      await tmp.close();
    }
    await this.#fs.rename(tmpPath, this.#path);
    await this.#fs.fsyncDir(this.#dir);
    await this.#fh?.close();
    this.#fh = await this.#fs.open(this.#path, 'r+');
    this.#end = off;
  }

  #assertOpen(): void {
    if (this.#state === 'open') return;
    if (this.#state === 'poisoned') throw new RotorTreeError('POISONED', 'an earlier write or sync failed', { file: this.#path });
    throw new RotorTreeError('CLOSED', 'the WAL is not open', { file: this.#path });
  }

  async #io<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RotorTreeError) throw err;
      throw new RotorTreeError('IO', 'I/O failed', { cause: err, file: this.#path });
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The example file WAL in `options.dir` (see the module doc): correct without a `flaw`, and broken
 * in one documented way with one.
 */
export function simpleFileWal(options: SimpleFileWalOptions): Wal {
  return new SimpleFileWal(options);
}
