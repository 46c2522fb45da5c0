/**
 * `fsWalReader()`: reads a live `wal.log` without its lock, for followers (core's `WalReader`).
 *
 * Each read opens the log afresh (a truncate replaces the file by a rename), checks its header
 * (parameters, identity), reads the writer's mark slot (format.ts: the last durable seq, the size and
 * root after it) and hands over, in order, the records after the follower's seq up to that mark:
 * only what the writer made durable, each record whole and checked (CRC, seq). A record at or below
 * the mark that does not check is `CORRUPTION`: the writer's tail in progress lies beyond the mark.
 * Where it stopped is remembered, so the next read of the same log starts there.
 * @module
 */
import { watch } from 'node:fs';
import { RotorTreeError } from '@rotortree/core';
import type { WalConfig, WalMark, WalOpened, WalReadResult, WalReader } from '@rotortree/core';
import { assertTreeConfig, checkStoredTree } from '@rotortree/core/backend';
import { joinPath, nodeFileSystem } from '@rotortree/core/fs';
import type { FileHandle, FileSystem } from '@rotortree/core/fs';
import { decodeHeader, decodeMark, MARK_SLOT_BYTES, MAX_PAYLOAD, readU32, readU64, RECORD_HEADER, RECORD_OVERHEAD, validRecordLength } from './format.js';
import type { LogHeader } from './format.js';
import { LogWindow } from './log-window.js';

/** Options of {@link fsWalReader}. */
export interface FsWalReaderOptions {
  /** The log's directory (the writer's `fsWal({ dir })`). */
  readonly dir: string;
  /** The file system (default: the real one). */
  readonly fs?: FileSystem;
}

const LOG = 'wal.log';
/** Bytes read for a header: its fixed part, a hasher id of up to 64 KiB, the mark slot. */
const HEAD_BYTES = 64 * 1024 + 4096;

/** Where the last read stopped, in the log that had this header. */
interface Cursor {
  readonly baseSeq: number;
  readonly treeId: string;
  readonly offset: number;
  readonly seq: number;
}

class FsWalReader implements WalReader {
  readonly location: string;
  readonly #fs: FileSystem;
  #config: WalConfig | undefined;
  #cursor: Cursor | undefined;
  /** The directory to watch: only on the real file system. */
  readonly #dir: string | undefined;

  constructor(options: FsWalReaderOptions) {
    if (options === null || typeof options !== 'object' || typeof options.dir !== 'string' || options.dir.length === 0) {
      throw new TypeError('fsWalReader needs { dir }');
    }
    this.#fs = options.fs ?? nodeFileSystem();
    this.#dir = options.fs === undefined ? options.dir : undefined;
    this.location = joinPath(options.dir, LOG);
  }

  async open(config: WalConfig): Promise<WalOpened> {
    assertTreeConfig(config);
    this.#config = { n: config.n, maxDepth: config.maxDepth, hasherId: config.hasherId };
    const found = await this.#withLog(async (_fh, win) => this.#header(win));
    if (found !== undefined) checkStoredTree(found.header, this.#config, this.location);
    return { treeId: found?.header.treeId, location: this.location, baseSeq: found?.header.baseSeq ?? 0 };
  }

  async read(options: Parameters<WalReader['read']>[0]): Promise<WalReadResult> {
    const config = this.#config;
    if (config === undefined) throw new TypeError('read() needs open() first');
    const { treeId, afterSeq, visit } = options;
    const result = await this.#withLog(async (fh, head) => {
      const { header, length } = this.#header(head);
      checkStoredTree(header, { ...config, treeId }, this.location);
      const slot = decodeMark(head.bytes.subarray(length - MARK_SLOT_BYTES, length));
      // The size is read after the mark: the writer writes a mark after the records it covers, so
      // the file is now at least as long as every record up to the mark.
      const win = new LogWindow(fh, await fh.size(), (cause) => new RotorTreeError('IO', `cannot read ${this.location}`, { file: this.location, cause }));
      const durable = Math.max(slot?.seq ?? 0, header.baseSeq);
      const marks: WalMark[] = slot === undefined ? [] : [{ seq: slot.seq, size: slot.size, root: slot.root }];
      if (header.baseSeq > afterSeq) return { lastSeq: afterSeq, durableSeq: durable, gone: true, marks };
      const from = this.#startOf(header, length, afterSeq);
      let pos = from.offset;
      let seq = from.seq;
      while (seq < durable) {
        if (!win.holds(pos, RECORD_OVERHEAD)) await win.load(pos, RECORD_OVERHEAD);
        const len = win.holds(pos, RECORD_OVERHEAD) ? readU32(win.bytes, pos - win.base) : 0;
        if (len === 0 || (len & 31) !== 0 || len > MAX_PAYLOAD) throw this.#damaged(pos, seq + 1, durable);
        const whole = len + RECORD_OVERHEAD;
        if (!win.holds(pos, whole)) await win.load(pos, whole);
        const at = pos - win.base;
        if (!win.holds(pos, whole) || validRecordLength(win.bytes, at, win.length) !== whole || readU64(win.bytes, at + 4) !== seq + 1) {
          throw this.#damaged(pos, seq + 1, durable);
        }
        seq++;
        if (seq > afterSeq) visit(seq, win.bytes.subarray(at + RECORD_HEADER, at + RECORD_HEADER + len));
        pos += whole;
      }
      this.#cursor = { baseSeq: header.baseSeq, treeId, offset: pos, seq };
      return { lastSeq: Math.max(seq, afterSeq), durableSeq: durable, gone: false, marks };
    });
    if (result === undefined) throw new RotorTreeError('CORRUPTION', `${this.location} is missing`, { file: this.location });
    return result;
  }

  /**
   * Watches the log's directory (a truncation replaces the log by a rename: a watch of the file would
   * stay on the old one) and calls `onChange` when `wal.log` changes: a flush writes records and
   * then the mark. Only on the real file system (`undefined` with a `fs` of the caller's); a watch
   * that fails is closed and the follower goes on polling.
   */
  watch(onChange: () => void): (() => void) | undefined {
    if (this.#dir === undefined) return undefined;
    try {
      const watcher = watch(this.#dir, { persistent: false }, (_event, name) => {
        if (name === null || name === LOG) onChange();
      });
      watcher.on('error', () => watcher.close());
      return () => watcher.close();
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.#cursor = undefined;
  }

  /** Where to start reading for `afterSeq`: the remembered position when it is in this log and not past `afterSeq`. */
  #startOf(header: LogHeader, length: number, afterSeq: number): { offset: number; seq: number } {
    const c = this.#cursor;
    if (c !== undefined && c.baseSeq === header.baseSeq && c.treeId === header.treeId && c.seq <= afterSeq) return { offset: c.offset, seq: c.seq };
    return { offset: length, seq: header.baseSeq };
  }

  #damaged(offset: number, seq: number, durable: number): RotorTreeError {
    return new RotorTreeError('CORRUPTION', `${this.location}@${offset}: record ${seq} is damaged or missing, but the writer marked seq ${durable} durable`, {
      file: this.location,
      offset,
      seq,
    });
  }

  /** The header at the start of the window; damage is `CORRUPTION`, another version `CONFIG_MISMATCH`. */
  #header(win: LogWindow): { header: LogHeader; length: number } {
    const decoded = decodeHeader(win.bytes.subarray(0, win.length));
    if (!('problem' in decoded)) return decoded;
    if (decoded.problem === 'badVersion') {
      throw new RotorTreeError('CONFIG_MISMATCH', `${this.location} has format version ${decoded.version}; this build reads 2`, { file: this.location, offset: 0 });
    }
    throw new RotorTreeError('CORRUPTION', `${this.location}: not a rotortree WAL or a damaged header (${decoded.problem})`, { file: this.location, offset: 0 });
  }

  /** Runs `fn` on the log opened read-only (a window over its header loaded), or resolves `undefined` when there is no log. */
  async #withLog<T>(fn: (fh: FileHandle, head: LogWindow) => Promise<T>): Promise<T | undefined> {
    let fh: FileHandle;
    try {
      fh = await this.#fs.open(this.location, 'r');
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code === 'ENOENT') return undefined;
      throw new RotorTreeError('IO', `cannot open ${this.location}`, { file: this.location, cause: err });
    }
    try {
      const size = await fh.size();
      if (size === 0) return undefined;
      // The header and its mark slot only (a header holds a hasher id of at most 64 KiB).
      const head = new LogWindow(fh, Math.min(size, HEAD_BYTES), (cause) => new RotorTreeError('IO', `cannot read ${this.location}`, { file: this.location, cause }), HEAD_BYTES);
      await head.load(0, 0);
      return await fn(fh, head);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }
}

/** A reader of the log in `options.dir` while its writer goes on (see the module doc). Takes no lock. */
export function fsWalReader(options: FsWalReaderOptions): WalReader {
  return new FsWalReader(options);
}
