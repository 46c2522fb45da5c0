/**
 * `WalBase`: the rules every {@link Wal} keeps, written once. A backend extends it and writes only
 * its I/O, in a few protected hooks (abstract-level's pattern: public methods check and keep state,
 * then call a hook).
 *
 * What the base keeps, so that no backend re-implements it:
 * - the lifecycle (`open` → `recover` → use → `close`; `CLOSED` after close, misuse is `TypeError`);
 * - the tree's parameters and identity (`CONFIG_MISMATCH`, `CORRUPTION` for another tree's log);
 * - sequence numbers (each append is the last + 1) and payload shapes (k*32 bytes: `INVALID_NODE`);
 * - recovery's sequence rules (the first record handed over is `afterSeq + 1`, no gap, a log that
 *   starts after `afterSeq` is `CORRUPTION`, a log that ends before it continues after it);
 * - the bookkeeping of records appended by reference (declared length, parts, end, abort);
 * - flush serialisation (one flush at a time; calls during one coalesce into the next) and
 *   truncate ordering;
 * - poisoning: a failed hook poisons the WAL for good (`POISONED` for every later call; nothing is
 *   reported durable again, no sync is ever retried as if it had succeeded).
 * @module
 */
import { RotorTreeError } from '../../errors.js';
import { checkStoredTree, isTreeId } from '../tree-identity.js';
import type { TreeIdentity } from '../tree-identity.js';
import { assertTreeConfig } from '../tree-identity.js';
import type {
  ImmutableRecordWriter,
  Wal,
  WalCapabilities,
  WalConfig,
  WalMark,
  WalOpened,
  WalRecordVisitor,
  WalRecoverOptions,
  WalRecovery,
  WalRunVisitor,
} from '../wal.js';

/** Largest payload of one record: 1 GiB (2^25 leaves, the engine's `MAX_BATCH_LEAVES`). Every WAL accepts it. */
export const MAX_RECORD_BYTES = 1 << 30;

/** What a backend's log says about itself (read by {@link WalBase._open}). */
export interface StoredLog extends TreeIdentity {
  /** The log holds the records after this sequence number (a checkpoint covers the ones up to it). */
  readonly baseSeq: number;
}

/** What {@link WalBase._recover} hands over and reports. */
export interface LogReplay {
  /** Hand records here (only those with `seq > afterSeq`; the base checks their order). */
  readonly visit: WalRecordVisitor;
  /** Or whole runs here, when offered (see {@link WalRunVisitor}). */
  readonly visitRun: WalRunVisitor | undefined;
  /** The last sequence number the loaded checkpoint holds. */
  readonly afterSeq: number;
}

/** The backend's side of a record appended by reference (see {@link WalBase._openRecord}). */
export interface RecordSink {
  /** The next parts (already checked: k*32 bytes each, within the declared length, none empty). */
  add(parts: readonly Uint8Array[]): void;
  /** Every declared byte was added. */
  end(): void;
  /** The record will never be complete (the WAL is poisoned already): fail a flush waiting for it. */
  fail(cause: unknown): void;
}

type State = 'new' | 'opened' | 'open' | 'closed';

/** A record opened by `appendImmutable` and not yet ended or given up. */
interface OpenRecord {
  readonly seq: number;
  missing: number;
  readonly sink: RecordSink;
}

const NOOP = (): void => undefined;

/**
 * The base of a {@link Wal}: extend it and implement the hooks (`_open`, `_create`, `_recover`,
 * `_append`, `_flush`, `_truncate`, `_close`, and optionally `_openRecord`). Hooks only do I/O:
 * every argument they get has been checked, and every rule of the contract around them is kept here.
 * A hook that throws a system error gets it wrapped as `IO` (a `RotorTreeError` passes as it is);
 * a throwing `_flush`, `_truncate` or `_append` poisons the WAL.
 */
export abstract class WalBase implements Wal {
  abstract readonly supports: WalCapabilities;

  /** Where the log lives (a path, a table and key), for errors and reports. */
  abstract readonly location: string;

  #state: State = 'new';
  #poison: { readonly cause: unknown } | undefined;
  #config: WalConfig | undefined;
  #stored: StoredLog | undefined;
  #lastAppended = 0;
  #durable = 0;
  #openRecord: OpenRecord | undefined;
  /** Flushes and truncates run one at a time, in call order. */
  #chain: Promise<unknown> = Promise.resolve();
  #queuedFlush: Promise<number> | undefined;
  /** The flush that has taken the buffer and not yet settled, and the seq it covers. */
  #startedFlush: Promise<number> | undefined;
  #startedCover = 0;
  /** Flushes and truncates started and not yet settled. */
  #running = 0;

  // --- hooks: I/O only --------------------------------------------------------------------

  /**
   * Takes the one-writer lock (`FILE_LOCKED` when held) and reads the log's header: what it says
   * about the tree, or `undefined` when there is no log. Creates nothing. A damaged header is
   * `CORRUPTION`, an unknown format version `CONFIG_MISMATCH`. On a throw the base calls `_close`.
   */
  protected abstract _open(config: WalConfig): Promise<StoredLog | undefined>;

  /** Creates an empty log stamped with `tree` whose records will start at seq 1. */
  protected abstract _create(tree: TreeIdentity): Promise<void>;

  /**
   * Reads the log found by `_open` (same parameters and identity as the tree, starting at or before
   * `replay.afterSeq`), cuts a torn tail (reporting it), hands every record with `seq > afterSeq`
   * over in order, and reports the last seq present. Damage that cannot be a torn tail is `CORRUPTION`.
   */
  protected abstract _recover(replay: LogReplay): Promise<WalRecovery>;

  /** Buffers one record (copying `leaves` before it returns). Synchronous, no I/O. */
  protected abstract _append(seq: number, leaves: Uint8Array): void;

  /**
   * Optional: opens a record of `byteLength` bytes whose parts are handed over by reference (see
   * {@link Wal.appendImmutable}); a flush called while it is open must include it and complete only
   * after its end. Without this hook, `appendImmutable` is not offered.
   */
  protected _openRecord?(seq: number, byteLength: number): RecordSink;

  /**
   * Writes everything buffered since the last flush (taking the buffer synchronously, before its first
   * await) and makes it durable. A record still open is written as its parts come, after its end.
   */
  protected abstract _flush(): Promise<void>;

  /**
   * Drops the records with `seq <= upToSeq` and keeps the rest, crash-safely (the old set or the new
   * set, never a mix). Called with everything appended already flushed. `upToSeq` may be past the
   * last record: the log then continues after `upToSeq` (recovery uses it when a checkpoint is
   * ahead of every record).
   */
  protected abstract _truncate(upToSeq: number): Promise<void>;

  /** Releases the lock and files. Called once, after every flush and truncate settled. */
  protected abstract _close(): Promise<void>;

  /**
   * Optional: keeps `mark` (a durable seq, the tree's size and root after it) where readers of the
   * log find it. Called only with a checked mark of a durable seq; must not throw (a failure only
   * makes readers lag).
   */
  protected _mark?(mark: WalMark): void;

  // --- the contract ------------------------------------------------------------------------

  async open(config: WalConfig): Promise<WalOpened> {
    if (this.#state === 'closed') throw new RotorTreeError('CLOSED', 'the WAL is closed', { file: this.location });
    if (this.#state !== 'new') throw new TypeError('open() was called already');
    assertTreeConfig(config);
    this.#config = { n: config.n, maxDepth: config.maxDepth, hasherId: config.hasherId };
    try {
      const stored = await this.#io('open', () => this._open(this.#config!));
      if (stored !== undefined) checkStoredTree(stored, this.#config!, this.location); // the identity is checked by recover
      this.#stored = stored;
    } catch (err) {
      await this._close().catch(NOOP);
      throw err;
    }
    this.#state = 'opened';
    return { treeId: this.#stored?.treeId, location: this.location, baseSeq: this.#stored?.baseSeq ?? 0 };
  }

  async recover(options: WalRecoverOptions): Promise<WalRecovery> {
    if (this.#state === 'closed') throw new RotorTreeError('CLOSED', 'the WAL is closed', { file: this.location });
    if (this.#state !== 'opened') throw new TypeError(this.#state === 'new' ? 'recover() needs open() first' : 'recover() was called already');
    if (options === null || typeof options !== 'object') throw new TypeError('recover needs { treeId, afterSeq, visit }');
    const { treeId, afterSeq, visit, visitRun } = options;
    if (!isTreeId(treeId)) throw new TypeError(`treeId must be 32 lowercase hex digits, got ${String(treeId)}`);
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new RangeError(`afterSeq must be an integer >= 0, got ${String(afterSeq)}`);
    if (typeof visit !== 'function' || (visitRun !== undefined && typeof visitRun !== 'function')) throw new TypeError('visit (and visitRun) must be functions');
    const stored = this.#stored;
    const where = { file: this.location };
    let result: WalRecovery;
    if (stored === undefined) {
      if (afterSeq > 0) {
        throw new RotorTreeError('CORRUPTION', `${this.location} is missing, but a checkpoint holds the tree up to seq ${afterSeq}`, where);
      }
      await this.#io('create', () => this._create({ ...this.#config!, treeId }));
      result = { lastSeq: 0 };
    } else {
      checkStoredTree(stored, { ...this.#config!, treeId }, this.location);
      if (stored.baseSeq > afterSeq) {
        throw new RotorTreeError(
          'CORRUPTION',
          `${this.location} starts after seq ${stored.baseSeq}, but the checkpoint holds only up to ${afterSeq}: records are missing`,
          { ...where, seq: afterSeq + 1 },
        );
      }
      const order = new SequenceCheck(afterSeq, this.location);
      result = await this.#io('recover', () => this._recover(order.wrap(visit, visitRun)));
      if (!Number.isSafeInteger(result.lastSeq) || (order.handed > 0 && result.lastSeq !== order.last) || (order.handed === 0 && result.lastSeq > afterSeq)) {
        throw new RotorTreeError('CORRUPTION', `${this.location} reports seq ${result.lastSeq} as its last, but recovery handed over up to ${order.last}`, where);
      }
      if (result.lastSeq < afterSeq) {
        // The checkpoint is ahead of every record: the log continues after it, so the next append
        // (afterSeq + 1) follows without a gap.
        await this.#io('restart', () => this._truncate(afterSeq));
        result = { ...result, lastSeq: afterSeq };
      }
    }
    this.#lastAppended = this.#durable = result.lastSeq;
    this.#state = 'open';
    return result;
  }

  append(seq: number, leaves: Uint8Array): void {
    // The hot path of single inserts: one test per condition, the specific error on the cold path.
    if (this.#state !== 'open' || this.#poison !== undefined || this.#openRecord !== undefined) this.#assertAppendable();
    if (seq !== this.#lastAppended + 1) throw new RangeError(`append: seq ${seq} must be ${this.#lastAppended + 1}`);
    const len = leaves.length;
    if (len === 0 || (len & 31) !== 0 || len > MAX_RECORD_BYTES) this.#badPayload(leaves);
    try {
      this._append(seq, leaves);
    } catch (err) {
      throw this.#poisonWith(err, 'append');
    }
    this.#lastAppended = seq;
  }

  appendImmutable(seq: number, byteLength: number): ImmutableRecordWriter {
    if (this._openRecord === undefined) throw new TypeError(`${this.constructor.name} does not append by reference (supports.appendImmutable)`);
    this.#assertAppendable();
    if (seq !== this.#lastAppended + 1) throw new RangeError(`appendImmutable: seq ${seq} must be ${this.#lastAppended + 1}`);
    if (!Number.isSafeInteger(byteLength) || byteLength <= 0 || byteLength % 32 !== 0) {
      throw new RotorTreeError('INVALID_NODE', `a WAL record holds k*32 bytes, k >= 1; got ${String(byteLength)} bytes`);
    }
    if (byteLength > MAX_RECORD_BYTES) throw new RangeError(`a WAL record holds at most ${MAX_RECORD_BYTES} bytes, got ${byteLength}`);
    let sink: RecordSink;
    try {
      sink = this._openRecord(seq, byteLength);
    } catch (err) {
      throw this.#poisonWith(err, 'append');
    }
    const record: OpenRecord = { seq, missing: byteLength, sink };
    this.#openRecord = record;
    this.#lastAppended = seq;
    return {
      add: (parts) => this.#addParts(record, parts),
      end: () => this.#endRecord(record),
      abort: (cause) => {
        if (this.#openRecord === record) this.#giveUp(record, cause ?? new Error('a record appended by reference was given up'));
      },
    };
  }

  flush(): Promise<number> {
    const unusable = this.#unusable();
    if (unusable !== undefined) return Promise.reject(unusable);
    if (this.#queuedFlush !== undefined) return this.#queuedFlush;
    // Nothing appended since the flush in flight took the buffer: that flush covers this call.
    if (this.#startedFlush !== undefined && this.#lastAppended === this.#startedCover) return this.#startedFlush;
    if (this.#running === 0) {
      // Nothing in flight: start now, so that the backend's writes are under way before this call
      // returns (they proceed while the caller goes on, e.g. hashing the batch it holds).
      const now = this.#track(this.#startFlush());
      this.#chain = now.catch(NOOP);
      return now;
    }
    const run = this.#chain.then(() => {
      this.#queuedFlush = undefined;
      return this.#startFlush();
    });
    this.#queuedFlush = run;
    this.#chain = this.#track(run).catch(NOOP);
    return run;
  }

  truncate(upToSeq: number): Promise<void> {
    const unusable = this.#unusable();
    if (unusable !== undefined) return Promise.reject(unusable);
    if (!Number.isSafeInteger(upToSeq) || upToSeq < 0) return Promise.reject(new RangeError(`upToSeq must be an integer >= 0, got ${String(upToSeq)}`));
    if (upToSeq > this.#lastAppended) return Promise.reject(new RangeError(`truncate: ${upToSeq} is past the last record ${this.#lastAppended}`));
    const run = this.#track(
      this.#chain.then(async () => {
        await this.#flushNow(this.#lastAppended);
        try {
          await this._truncate(upToSeq);
        } catch (err) {
          throw this.#poisonWith(err, 'truncate');
        }
      }),
    );
    this.#chain = run.catch(NOOP);
    return run;
  }

  mark(mark: WalMark): void {
    if (this._mark === undefined || this.#state !== 'open' || this.#poison !== undefined) return;
    const { seq, size, root } = mark;
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > this.#durable || !Number.isSafeInteger(size) || size < 1) return;
    if (!(root instanceof Uint8Array) || root.length !== 32) return;
    try {
      this._mark({ seq, size, root });
    } catch {
      // a mark is a hint for readers: never a failure of the log
    }
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const record = this.#openRecord;
    if (record !== undefined) this.#giveUp(record, new RotorTreeError('CLOSED', 'the WAL was closed with a record open', { file: this.location }));
    await this.#chain;
    await this._close();
  }

  /** True once a write failed: nothing is reported durable any more. */
  protected get poisoned(): boolean {
    return this.#poison !== undefined;
  }

  /** The highest sequence number appended (recovered at open). */
  protected get lastAppendedSeq(): number {
    return this.#lastAppended;
  }

  // --- flushing -----------------------------------------------------------------------------

  /** Runs a flush now, known as the started flush until it settles. */
  #startFlush(): Promise<number> {
    const cover = this.#lastAppended;
    const now = this.#flushNow(cover).finally(() => {
      if (this.#startedFlush === now) this.#startedFlush = undefined;
    });
    this.#startedFlush = now;
    this.#startedCover = cover;
    return now;
  }

  /** Flushes everything appended so far (up to `cover`): the hook is called before the first await. */
  async #flushNow(cover: number): Promise<number> {
    const unusable = this.#unusable();
    if (unusable !== undefined) throw unusable;
    if (cover <= this.#durable) return this.#durable;
    try {
      await this._flush();
    } catch (err) {
      throw this.#poisonWith(err, 'flush');
    }
    // A record given up while the flush ran was not written whole.
    if (this.#poison !== undefined) throw this.#poisoned();
    this.#durable = Math.max(this.#durable, cover);
    return this.#durable;
  }

  /** Counts `op` as running until it settles. */
  #track<T>(op: Promise<T>): Promise<T> {
    this.#running++;
    return op.finally(() => {
      this.#running--;
    });
  }

  // --- records appended by reference ---------------------------------------------------------

  #addParts(record: OpenRecord, parts: readonly Uint8Array[]): void {
    if (this.#openRecord !== record) throw this.#notOpen();
    let len = 0;
    let empty = false;
    for (const part of parts) {
      if (!(part instanceof Uint8Array) || part.length % 32 !== 0) len = Infinity;
      else if (part.length === 0) empty = true;
      else len += part.length;
    }
    if (len > record.missing) {
      const err = new RangeError('appendImmutable: a part is not k*32 bytes, or the parts go past the declared length');
      this.#giveUp(record, err);
      throw err;
    }
    record.missing -= len;
    record.sink.add(empty ? parts.filter((p) => p.length > 0) : parts);
  }

  #endRecord(record: OpenRecord): void {
    if (this.#openRecord !== record) throw this.#notOpen();
    if (record.missing !== 0) {
      const err = new RangeError(`appendImmutable: ${record.missing} declared bytes were never added`);
      this.#giveUp(record, err);
      throw err;
    }
    this.#openRecord = undefined;
    record.sink.end();
  }

  /** The open record will never be complete: poison, so that nothing is reported durable again. */
  #giveUp(record: OpenRecord, cause: unknown): void {
    this.#openRecord = undefined;
    this.#poison ??= { cause };
    record.sink.fail(this.#poison.cause);
  }

  /** The error of a writer call after its record was ended (`RangeError`) or given up (`POISONED`). */
  #notOpen(): Error {
    if (this.#poison === undefined) return new RangeError('appendImmutable: this record was ended already');
    return this.#poisoned('this record was given up, or the WAL failed');
  }

  // --- state ---------------------------------------------------------------------------------

  /** Poisons (once) and returns the error to throw for `err`: a `RotorTreeError` as it is, else `IO`. */
  #poisonWith(err: unknown, what: string): RotorTreeError {
    this.#poison ??= { cause: err };
    if (err instanceof RotorTreeError) return err;
    return new RotorTreeError('IO', `${what} of ${this.location} failed; the WAL is poisoned`, { cause: err, file: this.location });
  }

  #poisoned(message = 'an earlier write or sync of the WAL failed'): RotorTreeError {
    return new RotorTreeError('POISONED', message, { cause: this.#poison?.cause, file: this.location });
  }

  /** Why the WAL cannot be used now, or `undefined`. */
  #unusable(): Error | undefined {
    if (this.#state === 'closed') return new RotorTreeError('CLOSED', 'the WAL is closed', { file: this.location });
    if (this.#poison !== undefined) return this.#poisoned();
    if (this.#state !== 'open') return new TypeError('the WAL is not open: call open() and recover() first');
    return undefined;
  }

  #assertAppendable(): void {
    const unusable = this.#unusable();
    if (unusable !== undefined) throw unusable;
    if (this.#openRecord !== undefined) throw new RangeError(`append: the record ${this.#openRecord.seq} appended by reference is still open`);
  }

  #badPayload(leaves: Uint8Array): never {
    if (leaves.length > MAX_RECORD_BYTES) throw new RangeError(`a WAL record holds at most ${MAX_RECORD_BYTES} bytes, got ${leaves.length}`);
    throw new RotorTreeError('INVALID_NODE', `a WAL record holds k*32 bytes, k >= 1; got ${leaves.length} bytes`);
  }

  /** Runs a hook, turning system errors into `IO` (RotorTreeErrors and argument errors pass through). */
  async #io<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RotorTreeError || err instanceof TypeError || err instanceof RangeError) throw err;
      throw new RotorTreeError('IO', `cannot ${what} ${this.location}`, { cause: err, file: this.location });
    }
  }
}

/** Checks the order and shape of what recovery hands over (see {@link Wal.recover}). */
class SequenceCheck {
  /** The last seq handed over (afterSeq before any). */
  last: number;
  handed = 0;
  readonly #location: string;

  constructor(afterSeq: number, location: string) {
    this.last = afterSeq;
    this.#location = location;
  }

  wrap(visit: WalRecordVisitor, visitRun: WalRunVisitor | undefined): LogReplay {
    return {
      afterSeq: this.last,
      visit: (seq, leaves) => {
        this.#expect(seq, 1, leaves.length);
        visit(seq, leaves);
      },
      visitRun:
        visitRun === undefined
          ? undefined
          : (firstSeq, records, leaves) => {
              this.#expect(firstSeq, records, leaves.length);
              visitRun(firstSeq, records, leaves);
            },
    };
  }

  #expect(first: number, records: number, bytes: number): void {
    if (first !== this.last + 1) {
      throw new RotorTreeError('CORRUPTION', `${this.#location}: record ${first} follows ${this.last}`, { file: this.#location, seq: this.last + 1 });
    }
    if (!Number.isSafeInteger(records) || records < 1 || bytes < records * 32 || bytes % 32 !== 0) {
      throw new RotorTreeError('CORRUPTION', `${this.#location}: records ${first}+${records} hold ${bytes} bytes`, { file: this.#location, seq: first });
    }
    this.last = first + records - 1;
    this.handed += records;
  }
}
