/**
 * `fsWal()`: the file write-ahead log (format in format.ts).
 *
 * Files in `dir`: `wal.log` (the log), `wal.log.tmp` (a rewrite in progress: creation and
 * truncate write it, fsync it, rename it over `wal.log` and fsync the directory, so a crash
 * leaves the old or the new log, whole), `wal.lock` (the flock target).
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import type { Wal, WalCapabilities, WalConfig, WalOpenResult, WalRecordVisitor } from '@rotortree/core';
import { dirName, joinPath, nodeFileSystem } from '@rotortree/core/fs';
import type { FileHandle, FileSystem } from '@rotortree/core/fs';
import { decodeHeader, encodeHeader, MAX_PAYLOAD, readU32, RECORD_OVERHEAD } from './format.js';
import { lockDirectory } from './lock.js';
import type { LockKind, ReleaseLock } from './lock.js';
import { RecordBuffer } from './record-buffer.js';
import { LogWindow } from './log-window.js';
import { nativeWalKernels } from './native.js';
import { scanLog, visitLog } from './stream-scan.js';
import type { ScanStop } from './scan.js';
import { SparseIndex } from './sparse-index.js';

/**
 * What recovery does with damage after the last valid record:
 * - `tolerateTornTail` (default): a bad or incomplete tail with no valid record after it is cut
 *   off and reported; anything else is `CORRUPTION`.
 * - `absolute`: any bad byte (other than zero-filled free space at the end) is `CORRUPTION`.
 * - `salvage`: for tools: keeps the valid prefix and cuts the file at the first problem, even
 *   when valid records follow it (reported as `tornTail`). Destructive.
 */
export type RecoveryMode = 'tolerateTornTail' | 'absolute' | 'salvage';

/** Options of {@link fsWal}. */
export interface FsWalOptions {
  /** The directory of the log (created if missing). */
  readonly dir: string;
  /** The file system to use; default the real one. */
  readonly fs?: FileSystem;
  /** See {@link RecoveryMode}; default `tolerateTornTail`. */
  readonly recovery?: RecoveryMode;
  /**
   * Grow the file in zero-filled steps of this many bytes ahead of the records, so that most
   * flushes overwrite allocated blocks and fdatasync has no size change to persist (measured
   * here: 4 KiB append + fdatasync 0.27-0.31 ms, into preallocated space 0.16-0.19 ms).
   * 0 turns it off. Default 0.
   */
  readonly preallocate?: number;
  /**
   * The one-writer lock: `flock` (an exclusive flock on `wal.lock`, across processes; the
   * default with the real file system), `memory` (an in-process table per file-system object;
   * the default with a custom `fs`), or `none`.
   */
  readonly lock?: LockKind;
}

const LOG = 'wal.log';
const ZEROS = new Uint8Array(1 << 20);
/**
 * Writes go out in pieces of at most this size: measured here, a single 32 MiB write call
 * sometimes takes 100+ ms (4 MiB calls ~65 ms) where 1-2 MiB calls total ~10-15 ms.
 */
const WRITE_CHUNK = 1 << 20;

type State = 'new' | 'open' | 'closed';

class FsWal implements Wal {
  readonly supports: WalCapabilities = { durable: true };

  private readonly fs: FileSystem;
  private readonly dir: string;
  private readonly path: string;
  private readonly tmpPath: string;
  private readonly recovery: RecoveryMode;
  private readonly preallocate: number;
  private readonly lockKind: LockKind;

  private state: State = 'new';
  private poisonedBy: unknown = undefined;
  private release: ReleaseLock | undefined;
  private fh: FileHandle | undefined;
  private config: WalConfig = { n: 0, maxDepth: 0, hasherId: '' };
  /** Records in the file are baseSeq+1 .. fileLastSeq, in [headerLength, fileEnd). */
  private baseSeq = 0;
  private fileLastSeq = 0;
  private headerLength = 0;
  private fileEnd = 0;
  /** The file's size: zeros (preallocated) after fileEnd. */
  private allocatedEnd = 0;
  private index = new SparseIndex();
  private durableSeq = 0;
  private lastAppended = 0;
  private buffer = new RecordBuffer();
  private spare = new RecordBuffer();
  /** Flushes and truncates run one at a time, in call order. */
  private chain: Promise<unknown> = Promise.resolve();
  private queuedFlush: Promise<number> | undefined;
  /** The flush that has taken the buffer and not yet settled. */
  private startedFlush: Promise<number> | undefined;
  /** Flushes and truncates started and not yet settled. */
  private running = 0;

  constructor(options: FsWalOptions) {
    if (typeof options.dir !== 'string' || options.dir.length === 0) throw new TypeError('dir must be a non-empty string');
    this.fs = options.fs ?? nodeFileSystem();
    this.dir = options.dir;
    this.path = joinPath(options.dir, LOG);
    this.tmpPath = `${this.path}.tmp`;
    this.recovery = options.recovery ?? 'tolerateTornTail';
    this.preallocate = options.preallocate ?? 0;
    if (!Number.isSafeInteger(this.preallocate) || this.preallocate < 0) throw new RangeError('preallocate must be a byte count >= 0');
    this.lockKind = options.lock ?? (options.fs === undefined ? 'flock' : 'memory');
  }

  async open(config: WalConfig, afterSeq: number, visit: WalRecordVisitor): Promise<WalOpenResult> {
    if (this.state === 'closed') throw new RotorTreeError('CLOSED', 'the WAL is closed');
    if (this.state === 'open') throw new Error('the WAL is already open');
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new RangeError('afterSeq must be an integer >= 0');
    this.config = { n: config.n, maxDepth: config.maxDepth, hasherId: config.hasherId };
    await this.io('create the directory', this.dir, () => this.ensureDirectory());
    this.release = lockDirectory(this.lockKind, this.fs, this.dir);
    try {
      const result = await this.recover(afterSeq, visit);
      this.state = 'open';
      return result;
    } catch (err) {
      await this.fh?.close().catch(() => {});
      this.fh = undefined;
      this.release();
      this.release = undefined;
      throw err;
    }
  }

  append(seq: number, leaves: Uint8Array): void {
    this.assertUsable();
    if (seq !== this.lastAppended + 1) throw new RangeError(`append: seq ${seq} must be ${this.lastAppended + 1}`);
    const len = leaves.length;
    if (len === 0 || len % 32 !== 0 || len > MAX_PAYLOAD) {
      throw new RangeError(`append: leaves must be k*32 bytes, 1 <= k <= ${MAX_PAYLOAD / 32}; got ${len} bytes`);
    }
    this.buffer.append(seq, leaves);
    this.lastAppended = seq;
  }

  flush(): Promise<number> {
    try {
      this.assertUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.queuedFlush !== undefined) return this.queuedFlush;
    // Nothing appended since the flush in flight took the buffer: that flush covers this call.
    if (this.startedFlush !== undefined && this.buffer.isEmpty) return this.startedFlush;
    if (this.running === 0) {
      // Nothing in flight: start now, so that the writes are queued on the libuv pool before this
      // call returns (they proceed while the caller goes on, e.g. hashing the batch they hold).
      const now = this.track(this.startFlush());
      this.chain = now.catch(() => {});
      return now;
    }
    const run = this.chain.then(() => {
      this.queuedFlush = undefined;
      return this.startFlush();
    });
    this.queuedFlush = run;
    this.chain = this.track(run).catch(() => {});
    return run;
  }

  /** Runs a flush now, known as {@link startedFlush} until it settles. */
  private startFlush(): Promise<number> {
    const now = this.flushNow().finally(() => {
      if (this.startedFlush === now) this.startedFlush = undefined;
    });
    this.startedFlush = now;
    return now;
  }

  /** Counts `op` as running until it settles. */
  private track<T>(op: Promise<T>): Promise<T> {
    this.running++;
    return op.finally(() => {
      this.running--;
    });
  }

  truncate(upToSeq: number): Promise<void> {
    try {
      this.assertUsable();
      if (!Number.isSafeInteger(upToSeq) || upToSeq < 0) throw new RangeError('upToSeq must be an integer >= 0');
      if (upToSeq > this.lastAppended) throw new RangeError(`truncate: ${upToSeq} is past the last record ${this.lastAppended}`);
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.track(this.chain.then(() => this.truncateNow(upToSeq)));
    this.chain = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.chain;
    // Closing never loses durable data (nothing relies on close for durability), and after a
    // lost machine it fails: ignore its error, the lock must be released regardless.
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
    this.release?.();
    this.release = undefined;
  }

  // --- recovery ---------------------------------------------------------------------------

  private async ensureDirectory(): Promise<void> {
    if (await this.fs.exists(this.dir)) return;
    await this.fs.mkdir(this.dir, { recursive: true });
    await this.fs.fsyncDir(dirName(this.dir));
  }

  private async recover(afterSeq: number, visit: WalRecordVisitor): Promise<WalOpenResult> {
    const size = await this.io('read the log', this.path, () => this.openLog());
    if (size === undefined || size === 0) {
      if (afterSeq > 0) {
        throw new RotorTreeError('CORRUPTION', `${this.path} is missing or empty, but a checkpoint holds up to seq ${afterSeq}`, {
          file: this.path,
          offset: 0,
        });
      }
      await this.io('create the log', this.path, () => this.rewrite(0, new Uint8Array(0)));
      return { lastSeq: 0 };
    }
    const readError = (cause: unknown) => new RotorTreeError('IO', `cannot read the log (${this.path})`, { cause, file: this.path });
    const win = new LogWindow(this.fh!, size, readError);
    await win.load(0, 0);
    const decoded = decodeHeader(win.bytes.subarray(0, win.length));
    if ('problem' in decoded) {
      if (decoded.problem === 'badVersion') {
        throw new RotorTreeError('CONFIG_MISMATCH', `${this.path} has format version ${decoded.version}; this build reads 1`, {
          file: this.path,
          offset: 0,
        });
      }
      throw new RotorTreeError('CORRUPTION', `${this.path}: not a rotortree WAL or a damaged header (${decoded.problem})`, {
        file: this.path,
        offset: 0,
      });
    }
    const { header, length } = decoded;
    const { n, maxDepth, hasherId } = this.config;
    if (header.n !== n || header.maxDepth !== maxDepth || header.hasherId !== hasherId) {
      throw new RotorTreeError(
        'CONFIG_MISMATCH',
        `${this.path} was written with n=${header.n}, maxDepth=${header.maxDepth}, hasher "${header.hasherId}"; ` +
          `opened with n=${n}, maxDepth=${maxDepth}, hasher "${hasherId}"`,
        { file: this.path, offset: 0 },
      );
    }
    if (header.baseSeq > afterSeq) {
      throw new RotorTreeError(
        'CORRUPTION',
        `${this.path} starts after seq ${header.baseSeq}, but the checkpoint holds only up to ${afterSeq}: records are missing`,
        { file: this.path, offset: length, seq: afterSeq + 1 },
      );
    }
    const scan = await scanLog(win, nativeWalKernels, length, header.baseSeq);
    const cutAt = this.judgeStop(scan.stop);

    // Everything checked: now visit, then change the file.
    await visitLog(win, length, scan.end, header.baseSeq, afterSeq, scan.index, visit);
    this.headerLength = length;
    this.baseSeq = header.baseSeq;
    this.fileLastSeq = scan.lastSeq;
    this.fileEnd = scan.end;
    this.allocatedEnd = cutAt === undefined ? size : scan.end;
    this.index = scan.index;
    let tornTail: WalOpenResult['tornTail'];
    if (cutAt !== undefined) {
      tornTail = { file: this.path, offset: cutAt, bytes: size - cutAt };
      await this.io('cut the torn tail', this.path, async () => {
        await this.fh!.truncate(cutAt);
        await this.fh!.sync();
      });
    }
    if (scan.lastSeq < afterSeq) {
      // The checkpoint is ahead of every record: start the log after it, so the next append
      // (afterSeq + 1) follows without a gap.
      await this.io('restart the log', this.path, () => this.rewrite(afterSeq, new Uint8Array(0)));
    }
    this.durableSeq = this.lastAppended = Math.max(scan.lastSeq, afterSeq);
    return tornTail === undefined ? { lastSeq: this.lastAppended } : { lastSeq: this.lastAppended, tornTail };
  }

  /** Opens the log (recovery reads it through a window); its size, or undefined if missing. */
  private async openLog(): Promise<number | undefined> {
    if (await this.fs.exists(this.tmpPath)) await this.fs.unlink(this.tmpPath); // an unfinished rewrite
    if (!(await this.fs.exists(this.path))) return undefined;
    this.fh = await this.fs.open(this.path, 'r+');
    return this.fh.size();
  }

  /** Where to cut the file for `stop` (undefined: nothing to cut), or throws per the recovery mode. */
  private judgeStop(stop: ScanStop | undefined): number | undefined {
    if (stop === undefined || stop.kind === 'zeros') return undefined;
    if (this.recovery === 'salvage') return stop.offset;
    if (stop.kind === 'torn' && this.recovery === 'tolerateTornTail') return stop.offset;
    const where = { file: this.path, offset: stop.offset };
    if (stop.kind === 'gap') {
      throw new RotorTreeError('CORRUPTION', `${this.path}@${stop.offset}: record seq ${stop.seq}, expected ${stop.expected}`, {
        ...where,
        seq: stop.expected,
      });
    }
    if (stop.kind === 'bad') {
      throw new RotorTreeError(
        'CORRUPTION',
        `${this.path}@${stop.offset}: damaged record with a valid record after it (at ${stop.next})`,
        where,
      );
    }
    throw new RotorTreeError('CORRUPTION', `${this.path}@${stop.offset}: damaged tail (recovery 'absolute')`, where);
  }

  // --- writing ----------------------------------------------------------------------------

  private async flushNow(): Promise<number> {
    if (this.state === 'closed') throw new RotorTreeError('CLOSED', 'the WAL was closed');
    this.assertNotPoisoned();
    if (this.buffer.isEmpty) return this.durableSeq;
    const batch = this.buffer;
    this.buffer = this.spare;
    const { firstSeq, lastSeq } = batch;
    const at = this.fileEnd;
    const end = at + batch.used;
    try {
      const fh = this.fh!;
      if (this.preallocate > 0 && end > this.allocatedEnd) {
        const target = Math.ceil(end / this.preallocate) * this.preallocate;
        for (let p = Math.max(end, this.allocatedEnd); p < target; p += ZEROS.length) {
          await fh.pwrite(ZEROS, 0, Math.min(ZEROS.length, target - p), p);
        }
        this.allocatedEnd = target;
      }
      await writeAndSync(fh, batch.bytes, batch.used, at);
    } catch (err) {
      this.poisonedBy = err;
      throw new RotorTreeError('IO', `flush of ${this.path} failed; the WAL is poisoned`, { cause: err, file: this.path, offset: at });
    } finally {
      batch.clear();
      this.spare = batch;
    }
    this.index.note(firstSeq, at);
    this.fileEnd = end;
    this.allocatedEnd = Math.max(this.allocatedEnd, end);
    this.fileLastSeq = this.durableSeq = lastSeq;
    return lastSeq;
  }

  private async truncateNow(upToSeq: number): Promise<void> {
    await this.flushNow();
    if (upToSeq <= this.baseSeq) return;
    try {
      let kept = new Uint8Array(0);
      let firstKeptAt = this.fileEnd;
      if (upToSeq < this.fileLastSeq) {
        const from = this.index.floor(upToSeq + 1)!;
        const bytes = new Uint8Array(this.fileEnd - from.offset);
        await this.fh!.read(bytes, 0, bytes.length, from.offset);
        let off = 0;
        for (let seq = from.seq; seq <= upToSeq; seq++) off += readU32(bytes, off) + RECORD_OVERHEAD;
        kept = bytes.subarray(off);
        firstKeptAt = from.offset + off;
      }
      const keepsRecords = kept.length > 0;
      const oldIndex = this.index;
      await this.rewrite(upToSeq, kept);
      this.index = keepsRecords ? oldIndex.rebase(firstKeptAt, this.headerLength, upToSeq + 1) : new SparseIndex();
    } catch (err) {
      this.poisonedBy = err;
      throw new RotorTreeError('IO', `truncate of ${this.path} failed; the WAL is poisoned`, { cause: err, file: this.path });
    }
  }

  /**
   * Replaces the log with a header (`baseSeq`) followed by `records`: write the temp file,
   * fsync it, rename it over the log, fsync the directory, then reopen. A crash at any point
   * leaves the old log or the new one, whole.
   */
  private async rewrite(baseSeq: number, records: Uint8Array): Promise<void> {
    const header = encodeHeader({ ...this.config, baseSeq });
    const tmp = await this.fs.open(this.tmpPath, 'w+');
    try {
      await tmp.pwrite(header, 0, header.length, 0);
      if (records.length > 0) await tmp.pwrite(records, 0, records.length, header.length);
      await tmp.sync();
    } finally {
      await tmp.close();
    }
    await this.fs.rename(this.tmpPath, this.path);
    await this.fs.fsyncDir(this.dir);
    const old = this.fh;
    this.fh = undefined;
    await old?.close();
    this.fh = await this.fs.open(this.path, 'r+');
    this.baseSeq = baseSeq;
    if (this.fileLastSeq < baseSeq) this.fileLastSeq = baseSeq;
    this.headerLength = header.length;
    this.fileEnd = this.allocatedEnd = header.length + records.length;
  }

  // --- helpers ----------------------------------------------------------------------------

  private assertUsable(): void {
    if (this.state === 'closed') throw new RotorTreeError('CLOSED', 'the WAL is closed');
    this.assertNotPoisoned();
    if (this.state !== 'open') throw new Error('the WAL is not open: call open() first');
  }

  private assertNotPoisoned(): void {
    if (this.poisonedBy !== undefined) {
      throw new RotorTreeError('POISONED', 'an earlier write or sync of the WAL failed', { cause: this.poisonedBy, file: this.path });
    }
  }

  /** Runs `fn`, turning system errors into `IO` (RotorTreeErrors pass through). */
  private async io<T>(what: string, file: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RotorTreeError) throw err;
      throw new RotorTreeError('IO', `cannot ${what} (${file})`, { cause: err, file });
    }
  }
}

/**
 * Writes `bytes[0, len)` at `at` in chunks, then fdatasyncs. Every chunk is handed to the libuv pool
 * at once (positional writes, independent of each other), so they proceed without the main thread;
 * any failure fails the flush, and the one fdatasync after all of them is what makes them durable.
 * (One huge write call measured slower here than 1 MiB pieces; a power loss may keep any subset of
 * the pieces: recovery reads that as a torn flush.)
 */
async function writeAndSync(fh: FileHandle, bytes: Uint8Array, len: number, at: number): Promise<void> {
  const writes: Promise<void>[] = [];
  for (let off = 0; off < len; off += WRITE_CHUNK) writes.push(fh.pwrite(bytes, off, Math.min(WRITE_CHUNK, len - off), at + off));
  const failed = (await Promise.allSettled(writes)).find((s) => s.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  await fh.datasync();
}

/**
 * A file {@link Wal} in `options.dir`: checksummed records, group commit (one write and one
 * fdatasync per flush), crash-safe truncation by rewrite-and-rename, and a one-writer lock.
 */
export function fsWal(options: FsWalOptions): Wal {
  return new FsWal(options);
}
