/**
 * A small file WAL written against the suite, for two uses: the example a backend author starts
 * from (it passes the suite), and, with a `flaw`, the deliberately broken backends the suite's
 * self-tests must catch. It extends core's `WalBase`, so it holds only I/O: every rule of the
 * contract (state, sequence numbers, payload shapes, identity, flush serialisation, poisoning) is
 * kept by the base.
 *
 * Format of `<dir>/simple.wal` (little-endian): header `"SWAL"`, u32 n, u32 maxDepth, u32 baseSeq,
 * 16-byte tree id, u16 id length, hasher id, u32 CRC-32C of the header; then records `u32 len,
 * u32 seq, payload, u32 CRC-32C of (len, seq, payload)`. A bad or incomplete record ends the log
 * (torn tail: cut and reported). Truncation rewrites the file: temp file, fsync, rename, fsync of
 * the directory.
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import type { Wal, WalCapabilities, WalRecovery } from '@rotortree/core';
import { WalBase, treeIdFromBytes, treeIdToBytes } from '@rotortree/core/backend';
import type { LogReplay, StoredLog, TreeIdentity } from '@rotortree/core/backend';
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
/** Offset of the hasher id's length: after magic, n, maxDepth, baseSeq and the tree id. */
const ID_LEN_AT = 32;
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

function encodeHeader(tree: TreeIdentity, baseSeq: number): Uint8Array {
  const id = new TextEncoder().encode(tree.hasherId);
  const out = new Uint8Array(ID_LEN_AT + 2 + id.length + 4);
  out.set([0x53, 0x57, 0x41, 0x4c], 0);
  putU32(out, 4, tree.n);
  putU32(out, 8, tree.maxDepth);
  putU32(out, 12, baseSeq);
  out.set(treeIdToBytes(tree.treeId), 16);
  out[ID_LEN_AT] = id.length & 0xff;
  out[ID_LEN_AT + 1] = id.length >>> 8;
  out.set(id, ID_LEN_AT + 2);
  putU32(out, out.length - 4, crc32c(out.subarray(0, out.length - 4)));
  return out;
}

/** The header at the start of `file`, or `undefined` when it is damaged. */
function decodeHeader(file: Uint8Array): { readonly log: StoredLog; readonly length: number } | undefined {
  if (file.length < ID_LEN_AT + 2) return undefined;
  const idEnd = ID_LEN_AT + 2 + (file[ID_LEN_AT]! | (file[ID_LEN_AT + 1]! << 8));
  if (file.length < idEnd + 4 || u32(file, idEnd) !== crc32c(file.subarray(0, idEnd))) return undefined;
  const log: StoredLog = {
    n: u32(file, 4),
    maxDepth: u32(file, 8),
    baseSeq: u32(file, 12),
    treeId: treeIdFromBytes(file, 16),
    hasherId: new TextDecoder().decode(file.subarray(ID_LEN_AT + 2, idEnd)),
  };
  return { log, length: idEnd + 4 };
}

class SimpleFileWal extends WalBase implements Wal {
  readonly supports: WalCapabilities = { durable: true };
  readonly location: string;
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #flaw: WalFlaw | undefined;
  #tree: TreeIdentity | undefined;
  #fh: FileHandle | undefined;
  /** The log read at open (recovery scans it), then dropped. */
  #file: Uint8Array | undefined;
  #headerLength = 0;
  #end = 0;
  #buffer: Uint8Array[] = [];
  #unlock: (() => void) | undefined;

  constructor(options: SimpleFileWalOptions) {
    super();
    this.#fs = options.fs ?? nodeFileSystem();
    this.#dir = options.dir;
    this.location = joinPath(options.dir, NAME);
    this.#flaw = options.flaw;
  }

  protected async _open(): Promise<StoredLog | undefined> {
    await this.#fs.mkdir(this.#dir, { recursive: true });
    this.#lock();
    if (!(await this.#fs.exists(this.location))) return undefined;
    const file = await this.#readAll();
    const header = decodeHeader(file);
    if (header === undefined) throw new RotorTreeError('CORRUPTION', 'bad header', { file: this.location, offset: 0 });
    this.#tree = header.log;
    this.#file = file;
    this.#headerLength = header.length;
    return header.log;
  }

  protected async _create(tree: TreeIdentity): Promise<void> {
    this.#tree = tree;
    await this.#rewrite(0, []);
  }

  protected async _recover(replay: LogReplay): Promise<WalRecovery> {
    const file = this.#file!;
    this.#file = undefined;
    const baseSeq = u32(file, 12);
    const records: { seq: number; rec: Uint8Array; at: number }[] = [];
    let end = this.#scan(file, baseSeq, (seq, rec, at) => records.push({ seq, rec, at }));
    if (this.#flaw === 'loseTailOnReopen' && records.length > 0) end = records.pop()!.at;
    let tornTail: WalRecovery['tornTail'];
    if (end < file.length) {
      await this.#fh!.truncate(end);
      await this.#fh!.datasync();
      if (this.#flaw !== 'loseTailOnReopen') tornTail = { file: this.location, offset: end, bytes: file.length - end };
    }
    let last = baseSeq;
    for (const { seq, rec } of records) {
      last = seq;
      if (seq > replay.afterSeq) replay.visit(seq, rec.subarray(8, rec.length - 4));
    }
    this.#end = end;
    return tornTail === undefined ? { lastSeq: last } : { lastSeq: last, tornTail };
  }

  protected _append(seq: number, leaves: Uint8Array): void {
    const rec = new Uint8Array(12 + leaves.length);
    putU32(rec, 0, leaves.length);
    putU32(rec, 4, seq);
    rec.set(leaves, 8);
    putU32(rec, 8 + leaves.length, crc32c(rec.subarray(0, 8 + leaves.length)));
    this.#buffer.push(rec);
  }

  protected async _flush(): Promise<void> {
    const recs = this.#buffer;
    this.#buffer = [];
    if (recs.length === 0) return;
    const total = recs.reduce((s, r) => s + r.length, 0);
    const bytes = new Uint8Array(total);
    let off = 0;
    for (const r of recs) {
      bytes.set(r, off);
      off += r.length;
    }
    await this.#fh!.pwrite(bytes, 0, total, this.#end);
    this.#end += total;
    if (this.#flaw !== 'ackBeforeSync') await this.#sync();
  }

  protected async _truncate(upToSeq: number): Promise<void> {
    const file = await this.#readAll();
    const kept: Uint8Array[] = [];
    this.#scan(file, u32(file, 12), (seq, rec) => {
      if (seq > upToSeq) kept.push(rec);
    });
    await this.#rewrite(upToSeq, kept);
  }

  protected async _close(): Promise<void> {
    await this.#fh?.close().catch(() => {});
    this.#fh = undefined;
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
    if (set.has(this.#dir)) throw new RotorTreeError('FILE_LOCKED', `${this.#dir} is open elsewhere`, { file: this.location });
    set.add(this.#dir);
    const s = set;
    this.#unlock = () => s.delete(this.#dir);
  }

  /** Calls `fn` for every valid record after the header; returns where the valid records end. */
  #scan(file: Uint8Array, baseSeq: number, fn: (seq: number, rec: Uint8Array, at: number) => void): number {
    let pos = this.#headerLength;
    let expected = baseSeq + 1;
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
    this.#fh ??= await this.#fs.open(this.location, 'r+');
    const size = await this.#fh.size();
    const buf = new Uint8Array(size);
    await this.#fh.read(buf, 0, size, 0);
    return buf;
  }

  async #rewrite(baseSeq: number, records: readonly Uint8Array[]): Promise<void> {
    const header = encodeHeader(this.#tree!, baseSeq);
    const tmpPath = `${this.location}.tmp`;
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
    await this.#fs.rename(tmpPath, this.location);
    await this.#fs.fsyncDir(this.#dir);
    await this.#fh?.close();
    this.#fh = await this.#fs.open(this.location, 'r+');
    this.#headerLength = header.length;
    this.#end = off;
  }
}

/**
 * The example file WAL in `options.dir` (see the module doc): correct without a `flaw`, and broken
 * in one documented way with one.
 */
export function simpleFileWal(options: SimpleFileWalOptions): Wal {
  return new SimpleFileWal(options);
}
