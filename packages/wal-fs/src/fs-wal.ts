/**
 * `fsWal()`: the file write-ahead log (format in format.ts).
 *
 * Files in `dir`: `wal.log` (the log), `wal.log.tmp` (a rewrite in progress: creation and
 * truncate write it, fsync it, rename it over `wal.log` and fsync the directory, so a crash
 * leaves the old or the new log, whole). The flock is on `dir` itself (lock.ts).
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import type { Wal, WalCapabilities, WalMark, WalRecovery } from '@rotortree/core';
import { WalBase } from '@rotortree/core/backend';
import type { LogReplay, RecordSink, StoredLog, TreeIdentity } from '@rotortree/core/backend';
import { baseName, joinPath, mkdirDurable, nodeFileSystem, pwriteAll } from '@rotortree/core/fs';
import type { FileHandle, FileSystem } from '@rotortree/core/fs';
import { decodeHeader, encodeHeader, encodeMark, MARK_SLOT_BYTES, readU32, RECORD_OVERHEAD } from './format.js';
import { assertLockable, lockDirectory } from './lock.js';
import type { LockKind, ReleaseLock } from './lock.js';
import { RecordBuffer } from './record-buffer.js';
import { LogWindow } from './log-window.js';
import { nativeWalKernels } from './native.js';
import { writebackStarter } from '@rotortree/native';
import { scanLog, visitLog } from './stream-scan.js';
import { RunFeeder } from './run-feeder.js';
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
   * 0 turns it off. Default 0; at most {@link MAX_PREALLOCATE} (1 GiB).
   */
  readonly preallocate?: number;
  /**
   * The one-writer lock: `flock` (an exclusive flock on `dir` itself, across processes; the
   * default with the real file system), `memory` (an in-process table per file-system object;
   * the default with a custom `fs`), or `none`.
   */
  readonly lock?: LockKind;
}

const LOG = 'wal.log';
/** The largest preallocation step: more only grows what every open must read past after a crash. */
export const MAX_PREALLOCATE = 1 << 30;
const ZEROS = new Uint8Array(1 << 20);
/**
 * Writes go out in pieces of at most this size: measured here, a single 32 MiB write call
 * sometimes takes 100+ ms (4 MiB calls ~65 ms) where 1-2 MiB calls total ~10-15 ms.
 */
const WRITE_CHUNK = 1 << 20;
/** Bytes per piece when a truncate copies the records it keeps into the new log. */
const COPY_PIECE = 8 << 20;
/**
 * Bytes of a record streamed by reference between kicks (see writeLiveAndSync), measured on 32 MiB
 * batches here. A write-back start is cheap (no journal commit, no cache flush): every 2 MiB. An
 * fdatasync costs about a journal commit beyond its data: every 4 MiB (2 and 8 were slower).
 */
const WRITEBACK_KICK_BYTES = 2 << 20;
const DATASYNC_KICK_BYTES = 4 << 20;

class FsWal extends WalBase implements Wal {
  readonly supports: WalCapabilities = { durable: true, appendImmutable: true };
  readonly location: string;

  private readonly fs: FileSystem;
  private readonly dir: string;
  private readonly path: string;
  private readonly tmpPath: string;
  private readonly recovery: RecoveryMode;
  private readonly preallocate: number;
  private readonly lockKind: LockKind;

  private release: ReleaseLock | undefined;
  private fh: FileHandle | undefined;
  /** The close of a log replaced by a truncate, still running. */
  private retiring: Promise<void> = Promise.resolve();
  /** The tree this log belongs to: stamped in every header it writes. */
  private tree: TreeIdentity | undefined;
  /** The file's size at open, and a window over its first bytes (the header), for recovery. */
  private openedSize = 0;
  private window: LogWindow | undefined;
  /** Records in the file are baseSeq+1 .. fileLastSeq, in [headerLength, fileEnd). */
  private baseSeq = 0;
  private fileLastSeq = 0;
  private headerLength = 0;
  private fileEnd = 0;
  /** The file's size: zeros (preallocated) after fileEnd. */
  private allocatedEnd = 0;
  private index = new SparseIndex();
  private buffer = new RecordBuffer();
  /** The other buffer (swapped in at each flush), made at the first flush. */
  private spare: RecordBuffer | undefined;
  /** The record appended by reference and not yet ended or given up. */
  private openRecord: OpenRecord | undefined;
  /** The mark slot's bytes being written, and the next mark to write once that write is done. */
  private readonly markSlot = new Uint8Array(MARK_SLOT_BYTES);
  private markWriting = false;
  private nextMark: WalMark | undefined;

  constructor(options: FsWalOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError('fsWal needs { dir }');
    if (typeof options.dir !== 'string' || options.dir.length === 0) throw new TypeError('dir must be a non-empty string');
    this.fs = options.fs ?? nodeFileSystem({ startWriteback: writebackStarter() });
    this.dir = options.dir;
    this.path = joinPath(options.dir, LOG);
    this.location = this.path;
    this.tmpPath = `${this.path}.tmp`;
    this.recovery = options.recovery ?? 'tolerateTornTail';
    if (this.recovery !== 'tolerateTornTail' && this.recovery !== 'absolute' && this.recovery !== 'salvage') {
      throw new TypeError(`recovery must be 'tolerateTornTail', 'absolute' or 'salvage', got ${String(this.recovery)}`);
    }
    this.preallocate = options.preallocate ?? 0;
    if (!Number.isSafeInteger(this.preallocate) || this.preallocate < 0 || this.preallocate > MAX_PREALLOCATE) {
      throw new RangeError(`preallocate must be a byte count in 0..${MAX_PREALLOCATE}, got ${String(options.preallocate)}`);
    }
    this.lockKind = options.lock ?? (options.fs === undefined ? 'flock' : 'memory');
    if (this.lockKind !== 'flock' && this.lockKind !== 'memory' && this.lockKind !== 'none') {
      throw new TypeError(`lock must be 'flock', 'memory' or 'none', got ${String(this.lockKind)}`);
    }
  }

  // --- opening ------------------------------------------------------------------------------

  protected async _open(): Promise<StoredLog | undefined> {
    assertLockable(this.lockKind, this.dir);
    await this.ensureDirectory();
    this.release = lockDirectory(this.lockKind, this.fs, this.dir);
    const size = await this.openLog();
    // An empty file is no log: rewrites publish a whole header by rename, so only damage or a crash
    // inside creation leaves one (the engine refuses it when the tree should exist).
    if (size === undefined || size === 0) return undefined;
    const readError = (cause: unknown) => new RotorTreeError('IO', `cannot read the log (${this.path})`, { cause, file: this.path });
    const win = new LogWindow(this.fh!, size, readError);
    await win.load(0, 0);
    const decoded = decodeHeader(win.bytes.subarray(0, win.length));
    if ('problem' in decoded) {
      if (decoded.problem === 'badVersion') {
        throw new RotorTreeError('CONFIG_MISMATCH', `${this.path} has format version ${decoded.version}; this build reads 2`, {
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
    this.window = win;
    this.openedSize = size;
    this.headerLength = length;
    this.baseSeq = header.baseSeq;
    this.tree = { n: header.n, maxDepth: header.maxDepth, hasherId: header.hasherId, treeId: header.treeId };
    return { ...this.tree, baseSeq: header.baseSeq };
  }

  protected async _create(tree: TreeIdentity): Promise<void> {
    this.tree = tree;
    await this.rewrite(0);
  }

  protected async _recover(replay: LogReplay): Promise<WalRecovery> {
    const { afterSeq, visit, visitRun } = replay;
    const win = this.window!;
    const size = this.openedSize;
    this.window = undefined;
    const length = this.headerLength;
    // With a run visitor the log is read once: each checked stretch of records is replayed in runs
    // during the scan (the caller drops them if recovery then fails; see WalRunVisitor).
    const feeder = visitRun === undefined ? undefined : new RunFeeder(nativeWalKernels, afterSeq, visitRun, size - length);
    const scan = await scanLog(win, nativeWalKernels, length, this.baseSeq, feeder);
    const cutAt = this.judgeStop(scan.stop);

    // Everything checked: now visit (or hand over the last run), then change the file.
    if (feeder === undefined) await visitLog(win, length, scan.end, this.baseSeq, afterSeq, scan.index, visit);
    else feeder.finish();
    this.fileLastSeq = scan.lastSeq;
    this.fileEnd = scan.end;
    this.allocatedEnd = cutAt === undefined ? size : scan.end;
    this.index = scan.index;
    if (cutAt === undefined) return { lastSeq: scan.lastSeq };
    await this.fh!.truncate(cutAt);
    await this.fh!.sync();
    return { lastSeq: scan.lastSeq, tornTail: { file: this.path, offset: cutAt, bytes: size - cutAt } };
  }

  /** The directory and its missing parents, each name made durable (a lost entry would lose the log). */
  private async ensureDirectory(): Promise<void> {
    await mkdirDurable(this.fs, this.dir);
  }

  /** Opens the log (recovery reads it through a window); its size, or undefined if missing. */
  private async openLog(): Promise<number | undefined> {
    // One listing for both names (the directory is locked: they cannot change meanwhile).
    const names = await this.fs.readdir(this.dir);
    if (names.includes(baseName(this.tmpPath))) await this.fs.unlink(this.tmpPath); // an unfinished rewrite
    if (!names.includes(LOG)) return undefined;
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

  // --- appending ----------------------------------------------------------------------------

  protected _append(seq: number, leaves: Uint8Array): void {
    this.buffer.append(seq, leaves);
  }

  protected override _openRecord(seq: number, byteLength: number): RecordSink {
    this.buffer.openParts(seq, byteLength);
    const record: OpenRecord = { buffer: this.buffer, live: undefined };
    this.openRecord = record;
    return {
      add: (parts) => {
        record.buffer.addParts(parts);
        record.live?.write(parts);
      },
      end: () => {
        record.buffer.closeParts();
        this.openRecord = undefined;
        record.live?.end();
      },
      fail: (cause) => {
        if (this.openRecord === record) this.openRecord = undefined;
        record.live?.fail(cause);
      },
    };
  }

  // --- writing ----------------------------------------------------------------------------

  protected async _flush(): Promise<void> {
    if (this.buffer.isEmpty) return;
    const batch = this.buffer;
    this.buffer = this.spare ?? new RecordBuffer();
    const { firstSeq, lastSeq } = batch;
    const at = this.fileEnd;
    const end = at + batch.size;
    try {
      const fh = this.fh!;
      if (this.preallocate > 0 && end > this.allocatedEnd) {
        const target = Math.ceil(end / this.preallocate) * this.preallocate;
        for (let p = Math.max(end, this.allocatedEnd); p < target; p += ZEROS.length) {
          await fh.pwrite(ZEROS, 0, Math.min(ZEROS.length, target - p), p);
        }
        this.allocatedEnd = target;
      }
      // A record given up while the space was preallocated is never written.
      if (this.poisoned) throw new RotorTreeError('POISONED', 'a record appended by reference was given up', { file: this.path });
      const open = this.openRecord?.buffer === batch ? this.openRecord : undefined;
      if (open !== undefined) await writeLiveAndSync(fh, batch, open, at);
      else if (batch.hasParts) await writePiecesAndSync(fh, batch.pieces(), at);
      else await writeAndSync(fh, batch.bytes, batch.used, at);
    } catch (err) {
      if (err instanceof RotorTreeError && err.code === 'POISONED') throw err;
      throw new RotorTreeError('IO', `flush of ${this.path} failed; the WAL is poisoned`, { cause: err, file: this.path, offset: at });
    } finally {
      batch.clear();
      this.spare = batch;
    }
    this.index.note(firstSeq, at);
    this.fileEnd = end;
    this.allocatedEnd = Math.max(this.allocatedEnd, end);
    this.fileLastSeq = lastSeq;
  }

  protected async _truncate(upToSeq: number): Promise<void> {
    if (upToSeq <= this.baseSeq) return;
    let firstKeptAt = this.fileEnd;
    if (upToSeq < this.fileLastSeq) {
      // Walk the record lengths from the index entry before the first kept record (at most one index
      // spacing of records, each read as its 4-byte length).
      const from = this.index.floor(upToSeq + 1)!;
      const len = new Uint8Array(4);
      firstKeptAt = from.offset;
      for (let seq = from.seq; seq <= upToSeq; seq++) {
        await this.fh!.read(len, 0, 4, firstKeptAt);
        firstKeptAt += readU32(len, 0) + RECORD_OVERHEAD;
      }
    }
    const keepsRecords = firstKeptAt < this.fileEnd;
    const oldIndex = this.index;
    await this.rewrite(upToSeq, firstKeptAt, this.fileEnd);
    this.index = keepsRecords ? oldIndex.rebase(firstKeptAt, this.headerLength, upToSeq + 1) : new SparseIndex();
  }

  /**
   * Replaces the log with a header (`baseSeq`) followed by the current log's bytes `[keepFrom,
   * keepTo)` (whole records), copied a piece at a time: write the temp file, fsync it, rename it over
   * the log, fsync the directory, then reopen. A crash at any point leaves the old log or the new
   * one, whole.
   */
  private async rewrite(baseSeq: number, keepFrom = 0, keepTo = 0): Promise<void> {
    const header = encodeHeader({ ...this.tree!, baseSeq });
    const tmp = await this.fs.open(this.tmpPath, 'w+');
    try {
      await tmp.pwrite(header, 0, header.length, 0);
      if (keepTo > keepFrom) {
        const piece = new Uint8Array(Math.min(COPY_PIECE, keepTo - keepFrom));
        for (let at = keepFrom; at < keepTo; at += piece.length) {
          const take = Math.min(piece.length, keepTo - at);
          const got = await this.fh!.read(piece, 0, take, at);
          if (got !== take) throw Object.assign(new Error(`short read of the log at ${at}`), { code: 'EIO' });
          await tmp.pwrite(piece, 0, take, header.length + at - keepFrom);
        }
      }
      await tmp.sync();
    } finally {
      await tmp.close();
    }
    await this.fs.rename(this.tmpPath, this.path);
    await this.fs.fsyncDir(this.dir);
    // The replaced log's last handle: closing it frees its blocks (~9 ms for 32 MiB here), which
    // nothing waits for. It holds nothing durable any more; `close()` waits for it.
    const old = this.fh;
    this.fh = undefined;
    if (old !== undefined) this.retiring = old.close().catch(() => {});
    this.fh = await this.fs.open(this.path, 'r+');
    this.baseSeq = baseSeq;
    if (this.fileLastSeq < baseSeq) this.fileLastSeq = baseSeq;
    this.headerLength = header.length;
    this.fileEnd = this.allocatedEnd = header.length + Math.max(0, keepTo - keepFrom);
  }

  /**
   * Writes the mark into the header's mark slot (see format.ts): one 64-byte pwrite, no sync of its
   * own (the next flush's fdatasync carries it; a lost mark only makes readers lag). Marks that come
   * while one is being written are coalesced: only the latest is written next.
   */
  protected override _mark(mark: WalMark): void {
    this.nextMark = mark;
    if (!this.markWriting) void this.writeMarks();
  }

  private async writeMarks(): Promise<void> {
    this.markWriting = true;
    try {
      for (let mark = this.nextMark; mark !== undefined && this.fh !== undefined; mark = this.nextMark) {
        this.nextMark = undefined;
        encodeMark(this.markSlot, { seq: mark.seq, size: mark.size, root: mark.root! });
        await this.fh.pwrite(this.markSlot, 0, MARK_SLOT_BYTES, this.headerLength - MARK_SLOT_BYTES).catch(() => undefined);
      }
    } finally {
      this.markWriting = false;
    }
  }

  protected async _close(): Promise<void> {
    // Closing never loses durable data (nothing relies on close for durability), and after a
    // lost machine it fails: ignore its error, the lock must be released regardless.
    await this.fh?.close().catch(() => {});
    await this.retiring;
    this.fh = undefined;
    this.window = undefined;
    this.release?.();
    this.release = undefined;
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
 * Hands `pieces` (in file order, from `at`) to the libuv pool as gather writes of about
 * {@link WRITE_CHUNK} bytes each, adding them to `writes` (each already observed, so that a failure
 * before someone awaits it is not an unhandled rejection). Returns the file offset after them.
 */
function submitGathered(fh: FileHandle, pieces: readonly Uint8Array[], at: number, writes: Promise<void>[]): number {
  let group: Uint8Array[] = [];
  let groupAt = at;
  let groupBytes = 0;
  const submit = (): void => {
    const write = pwriteAll(fh, group, groupAt);
    write.catch(() => undefined);
    writes.push(write);
    groupAt += groupBytes;
    group = [];
    groupBytes = 0;
  };
  for (let piece of pieces) {
    while (piece.length > 0) {
      const take = Math.min(piece.length, WRITE_CHUNK - groupBytes);
      group.push(take === piece.length ? piece : piece.subarray(0, take));
      groupBytes += take;
      piece = piece.subarray(take);
      if (groupBytes === WRITE_CHUNK) submit();
    }
  }
  if (groupBytes > 0) submit();
  return groupAt;
}

/** Waits for every write; throws the first failure. */
async function settleWrites(writes: readonly Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(writes)).find((s) => s.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
}

/** Like {@link writeAndSync} for a buffer holding records by reference (see {@link RecordBuffer.pieces}). */
async function writePiecesAndSync(fh: FileHandle, pieces: readonly Uint8Array[], at: number): Promise<void> {
  const writes: Promise<void>[] = [];
  submitGathered(fh, pieces, at, writes);
  await settleWrites(writes);
  await fh.datasync();
}

/**
 * Writes `batch` from `at` while its last record is still open: what it holds now at once, each later
 * part as it is added, the CRC trailer at the end; then one fdatasync. Fails (after every submitted
 * write has settled) if the record is given up.
 */
async function writeLiveAndSync(fh: FileHandle, batch: RecordBuffer, record: OpenRecord, at: number): Promise<void> {
  const writes: Promise<void>[] = [];
  let pos = submitGathered(fh, batch.pieces(), at, writes);
  const trailerAt = batch.used;
  let ended!: () => void;
  let failed!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    ended = resolve;
    failed = reject;
  });
  // The caller goes on hashing the batch while it adds parts (a slice at a time): the completions,
  // and so the real fdatasync, wait for it. Buffered writes alone would sit in the page cache until
  // then, so a kick behind every few MiB of writes starts the device I/O meanwhile: a write-back start
  // where the file offers one, else an fdatasync. A kick proves nothing (some writes may still run
  // beside it), but its failure fails the flush: a failed fdatasync may clear the error that the
  // later one would have reported.
  const startWriteback = fh.startWriteback?.bind(fh);
  const kickBytes = startWriteback !== undefined ? WRITEBACK_KICK_BYTES : DATASYNC_KICK_BYTES;
  let unkicked = 0;
  const kick = (): void => {
    const started = startWriteback !== undefined ? startWriteback() : fh.datasync();
    started.catch(() => undefined);
    writes.push(started);
    unkicked = 0;
  };
  record.live = {
    write: (parts) => {
      const from = pos;
      pos = submitGathered(fh, parts, pos, writes);
      unkicked += pos - from;
      if (unkicked >= kickBytes) kick();
    },
    end: () => {
      submitGathered(fh, [batch.bytes.subarray(trailerAt, batch.used)], pos, writes);
      kick();
      ended();
    },
    fail: failed,
  };
  try {
    await done;
  } catch (err) {
    await Promise.allSettled(writes);
    throw err;
  }
  await settleWrites(writes);
  await fh.datasync();
}

/** A record opened by `appendImmutable` (see {@link RecordBuffer.openParts}). */
interface OpenRecord {
  /** The buffer holding it (the flush may have taken it). */
  readonly buffer: RecordBuffer;
  /** Set once a flush writes the record while it is open: forwards what comes next. */
  live: { write(parts: readonly Uint8Array[]): void; end(): void; fail(err: unknown): void } | undefined;
}

/**
 * A file {@link Wal} in `options.dir`: checksummed records, group commit (one write and one
 * fdatasync per flush; a record appended by reference is streamed by gather writes as it arrives,
 * with an early fdatasync behind them), crash-safe truncation by rewrite-and-rename, and a
 * one-writer lock.
 */
export function fsWal(options: FsWalOptions): Wal {
  return new FsWal(options);
}
