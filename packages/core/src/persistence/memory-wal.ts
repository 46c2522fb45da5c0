/**
 * An in-memory {@link Wal} over a {@link MemoryDisk}: for tests, for browsers, and for trees that
 * need the engine's API without durability. It can simulate crashes (through its disk) and flush
 * failures.
 * @module
 */
import { NODE_SIZE } from '../bytes.js';
import { Deferred } from '../deferred.js';
import { RotorTreeError } from '../errors.js';
import type { MemoryWalRecord } from './memory-disk.js';
import { MemoryDisk, microtaskPause } from './memory-disk.js';
import type { ImmutableRecordWriter, Wal, WalCapabilities, WalConfig, WalOpenResult, WalRecordVisitor } from './wal.js';

/** Options of {@link memoryWal}. */
export interface MemoryWalOptions {
  /** The simulated disk; share it with a later instance to "reopen" (default: a private one). */
  readonly disk?: MemoryDisk;
  /** Awaited between the steps of a flush or truncate (write, sync); default: one microtask turn. */
  readonly pause?: () => Promise<void>;
}

/** A {@link Wal} in memory, with fault injection for tests. */
export interface MemoryWal extends Wal {
  /** The disk this WAL lives on. */
  readonly disk: MemoryDisk;
  /** The next flush fails (after writing, before the sync completes) with `IO` and poisons the WAL. */
  failNextFlush(cause?: unknown): void;
  /** Always present here: see {@link Wal.appendImmutable}. */
  appendImmutable(seq: number, byteLength: number): ImmutableRecordWriter;
  /** Number of flushes that completed (for tests). */
  readonly completedFlushes: number;
}

const FILE = 'memory-wal';

/** Creates an in-memory WAL. It is not durable: only its disk object survives, and only in memory. */
export function memoryWal(options: MemoryWalOptions = {}): MemoryWal {
  return new MemoryWalImpl(options.disk ?? new MemoryDisk(), options.pause ?? microtaskPause);
}

type State = 'new' | 'open' | 'poisoned' | 'closed';

class MemoryWalImpl implements MemoryWal {
  readonly supports: WalCapabilities = { durable: false, appendImmutable: true };
  readonly disk: MemoryDisk;
  completedFlushes = 0;
  readonly #pause: () => Promise<void>;
  #state: State = 'new';
  #generation = -1;
  /** Records since the last flush; a record appended by reference keeps its parts until the flush copies them. */
  #buffer: (MemoryWalRecord | OpenRecord)[] = [];
  /** The record appendImmutable opened and not yet ended or given up. */
  #open: OpenRecord | undefined;
  #lastSeq = 0;
  #durableSeq = 0;
  #failNext: { cause: unknown } | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(disk: MemoryDisk, pause: () => Promise<void>) {
    this.disk = disk;
    this.#pause = pause;
  }

  failNextFlush(cause: unknown = new Error('injected flush failure')): void {
    this.#failNext = { cause };
  }

  async open(config: WalConfig, afterSeq: number, visit: WalRecordVisitor): Promise<WalOpenResult> {
    if (this.#state !== 'new') throw new RotorTreeError('CLOSED', 'this memory WAL was opened already');
    const disk = this.disk;
    if (disk.walHolder !== null) throw new RotorTreeError('FILE_LOCKED', 'the memory WAL is open elsewhere', { file: FILE });
    const stored = disk.walConfig;
    if (stored !== undefined && (stored.n !== config.n || stored.maxDepth !== config.maxDepth || stored.hasherId !== config.hasherId)) {
      throw new RotorTreeError(
        'CONFIG_MISMATCH',
        `the WAL holds n=${stored.n} maxDepth=${stored.maxDepth} hasher=${stored.hasherId}, opened with n=${config.n} maxDepth=${config.maxDepth} hasher=${config.hasherId}`,
        { file: FILE },
      );
    }
    // Written but unsynced data of an instance that ended without a crash is still there (page cache).
    for (const record of disk.walWritten) disk.walDurable.push(record);
    disk.walWritten = [];
    const records = disk.walDurable;
    let expected = afterSeq + 1;
    let prev: number | undefined;
    for (const record of records) {
      if (prev !== undefined && record.seq !== prev + 1) {
        throw new RotorTreeError('CORRUPTION', `sequence gap: ${prev} then ${record.seq}`, { file: FILE, seq: record.seq });
      }
      prev = record.seq;
      if (record.seq <= afterSeq) continue;
      if (record.seq !== expected) {
        throw new RotorTreeError('CORRUPTION', `first record after ${afterSeq} is ${record.seq}`, { file: FILE, seq: record.seq });
      }
      visit(record.seq, record.leaves);
      expected++;
    }
    disk.walConfig = stored ?? { n: config.n, maxDepth: config.maxDepth, hasherId: config.hasherId };
    disk.walHolder = this;
    this.#generation = disk.generation;
    this.#state = 'open';
    this.#lastSeq = Math.max(afterSeq, prev ?? 0);
    this.#durableSeq = this.#lastSeq;
    return { lastSeq: this.#lastSeq };
  }

  append(seq: number, leaves: Uint8Array): void {
    this.#assertUsable();
    if (this.#open !== undefined) throw new RangeError('append: a record appended by reference is still open');
    if (seq !== this.#lastSeq + 1) throw new RangeError(`append: expected seq ${this.#lastSeq + 1}, got ${seq}`);
    if (!(leaves instanceof Uint8Array) || leaves.length === 0 || leaves.length % NODE_SIZE !== 0) {
      throw new RotorTreeError('INVALID_NODE', 'a WAL record holds k*32 bytes, k >= 1');
    }
    this.#buffer.push({ seq, leaves: leaves.slice() });
    this.#lastSeq = seq;
  }

  /**
   * Keeps references to the parts and copies them only when a flush writes the record (as a file WAL
   * may), so a caller breaking the immutability contract is caught by tests. A flush that takes an
   * open record waits for its end (or fails on its abort).
   */
  appendImmutable(seq: number, byteLength: number): ImmutableRecordWriter {
    this.#assertUsable();
    if (this.#open !== undefined) throw new RangeError('appendImmutable: a record is still open');
    if (seq !== this.#lastSeq + 1) throw new RangeError(`appendImmutable: expected seq ${this.#lastSeq + 1}, got ${seq}`);
    if (!Number.isSafeInteger(byteLength) || byteLength <= 0 || byteLength % NODE_SIZE !== 0) {
      throw new RotorTreeError('INVALID_NODE', 'a WAL record holds k*32 bytes, k >= 1');
    }
    const record: OpenRecord = { seq, parts: [], missing: byteLength, done: new Deferred({ mayGoUnobserved: true }) };
    this.#open = record;
    this.#buffer.push(record);
    this.#lastSeq = seq;
    const settle = (err?: unknown): void => {
      if (this.#open === record) this.#open = undefined;
      if (err === undefined) record.done.resolve();
      else {
        this.#state = 'poisoned';
        record.done.reject(err);
      }
    };
    return {
      add: (parts) => {
        if (this.#open !== record) throw new RotorTreeError('POISONED', 'the record was ended or given up', { file: FILE });
        for (const part of parts) {
          if (!(part instanceof Uint8Array) || part.length % NODE_SIZE !== 0 || part.length > record.missing) {
            const err = new RangeError('appendImmutable: a part is not k*32 bytes or goes past the declared length');
            settle(err);
            throw err;
          }
          record.parts.push(part);
          record.missing -= part.length;
        }
      },
      end: () => {
        if (this.#open !== record) return;
        if (record.missing !== 0) {
          const err = new RangeError(`appendImmutable: ${record.missing} declared bytes were never added`);
          settle(err);
          throw err;
        }
        settle();
      },
      abort: (cause) => {
        if (this.#open === record) settle(new RotorTreeError('IO', 'the record was given up', { file: FILE, cause }));
      },
    };
  }

  flush(): Promise<number> {
    const run = this.#chain.then(() => this.#flushOnce());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  truncate(upToSeq: number): Promise<void> {
    const run = this.#chain.then(async () => {
      this.#assertUsable();
      await this.#pause();
      this.#assertAlive();
      // One assignment: the old set or the new one, never a mix.
      this.disk.walDurable = this.disk.walDurable.filter((r) => r.seq > upToSeq);
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#buffer = [];
    if (this.#generation === this.disk.generation && this.disk.walHolder === this) this.disk.walHolder = null;
  }

  async #flushOnce(): Promise<number> {
    this.#assertUsable();
    const take = this.#buffer;
    this.#buffer = [];
    if (take.length === 0) return this.#durableSeq;
    await this.#pause();
    this.#assertAlive();
    for (const record of take) {
      if ('parts' in record) await record.done.promise;
      this.disk.walWritten.push('parts' in record ? { seq: record.seq, leaves: concat(record.parts) } : record);
    }
    await this.#pause();
    const fail = this.#failNext;
    if (fail !== undefined) {
      this.#failNext = undefined;
      this.#state = 'poisoned';
      this.disk.walWritten = []; // the failed sync lost them
      throw new RotorTreeError('IO', 'injected fdatasync failure', { file: FILE, cause: fail.cause });
    }
    this.#assertAlive();
    const disk = this.disk;
    for (const record of disk.walWritten) disk.walDurable.push(record);
    disk.walWritten = [];
    this.#durableSeq = take[take.length - 1]!.seq;
    this.completedFlushes++;
    return this.#durableSeq;
  }

  #assertUsable(): void {
    if (this.#state === 'open') return;
    if (this.#state === 'poisoned') throw new RotorTreeError('POISONED', 'an earlier flush failed', { file: FILE });
    throw new RotorTreeError('CLOSED', this.#state === 'new' ? 'the memory WAL is not open' : 'the memory WAL is closed', { file: FILE });
  }

  /** After a simulated crash this instance is dead: its I/O fails and poisons it. */
  #assertAlive(): void {
    if (this.#generation === this.disk.generation) return;
    this.#state = 'poisoned';
    throw new RotorTreeError('IO', 'the simulated machine crashed', { file: FILE });
  }
}

/** A record appended by reference: its parts so far, the bytes still to come, and its end. */
interface OpenRecord {
  readonly seq: number;
  readonly parts: Uint8Array[];
  missing: number;
  readonly done: Deferred;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
