/**
 * An in-memory {@link Wal} over a {@link MemoryDisk}: for tests, for browsers, and for trees that
 * need the engine's API without durability. It can simulate crashes (through its disk) and flush
 * failures. Its rules are {@link WalBase}'s; this file is only its "I/O".
 * @module
 */
import { Deferred } from '../../deferred.js';
import { RotorTreeError } from '../../errors.js';
import type { LogReplay, RecordSink, StoredLog } from '../kit/wal-base.js';
import { WalBase } from '../kit/wal-base.js';
import type { TreeIdentity } from '../tree-identity.js';
import type { ImmutableRecordWriter, Wal, WalCapabilities, WalMark, WalRecovery } from '../wal.js';
import type { MemoryWalRecord } from './memory-disk.js';
import { MemoryDisk, microtaskPause } from './memory-disk.js';

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

/** A record appended by reference: its parts so far, and its end (the parts are copied when a flush writes it). */
interface OpenRecord {
  readonly seq: number;
  readonly parts: Uint8Array[];
  readonly done: Deferred;
}

class MemoryWalImpl extends WalBase implements MemoryWal {
  readonly supports: WalCapabilities = { durable: false, appendImmutable: true };
  readonly location = FILE;
  readonly disk: MemoryDisk;
  completedFlushes = 0;
  readonly #pause: () => Promise<void>;
  #generation = -1;
  /**
   * Records since the last flush. A record appended by reference keeps references to its parts until
   * a flush copies them, as a file WAL may, so that a caller breaking the immutability contract is
   * caught by tests.
   */
  #buffer: (MemoryWalRecord | OpenRecord)[] = [];
  #failNext: { cause: unknown } | undefined;

  constructor(disk: MemoryDisk, pause: () => Promise<void>) {
    super();
    this.disk = disk;
    this.#pause = pause;
  }

  override appendImmutable(seq: number, byteLength: number): ImmutableRecordWriter {
    return super.appendImmutable(seq, byteLength);
  }

  failNextFlush(cause: unknown = new Error('injected flush failure')): void {
    this.#failNext = { cause };
  }

  protected async _open(): Promise<StoredLog | undefined> {
    const disk = this.disk;
    if (disk.walHolder !== null) throw new RotorTreeError('FILE_LOCKED', 'the memory WAL is open elsewhere', { file: FILE });
    disk.walHolder = this;
    this.#generation = disk.generation;
    // Written but unsynced data of an instance that ended without a crash is still there (page cache).
    for (const record of disk.walWritten) disk.walDurable.push(record);
    disk.walWritten = [];
    return disk.walHeader;
  }

  protected async _create(tree: TreeIdentity): Promise<void> {
    this.disk.walHeader = { ...tree, baseSeq: 0 };
    this.disk.walDurable = [];
  }

  protected async _recover(replay: LogReplay): Promise<WalRecovery> {
    const records = this.disk.walDurable;
    let prev = this.disk.walHeader!.baseSeq;
    for (const record of records) {
      if (record.seq !== prev + 1) {
        throw new RotorTreeError('CORRUPTION', `sequence gap: ${prev} then ${record.seq}`, { file: FILE, seq: prev + 1 });
      }
      prev = record.seq;
      if (record.seq > replay.afterSeq) replay.visit(record.seq, record.leaves);
    }
    return { lastSeq: prev };
  }

  protected _append(seq: number, leaves: Uint8Array): void {
    this.#buffer.push({ seq, leaves: leaves.slice() });
  }

  protected override _openRecord(seq: number): RecordSink {
    const record: OpenRecord = { seq, parts: [], done: new Deferred({ mayGoUnobserved: true }) };
    this.#buffer.push(record);
    return {
      add: (parts) => {
        for (const part of parts) record.parts.push(part);
      },
      end: () => record.done.resolve(),
      fail: (cause) => record.done.reject(new RotorTreeError('IO', 'the record was given up', { file: FILE, cause })),
    };
  }

  protected async _flush(): Promise<void> {
    const take = this.#buffer;
    this.#buffer = [];
    if (take.length === 0) return;
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
      this.disk.walWritten = []; // the failed sync lost them
      throw new RotorTreeError('IO', 'injected fdatasync failure', { file: FILE, cause: fail.cause });
    }
    this.#assertAlive();
    const disk = this.disk;
    for (const record of disk.walWritten) disk.walDurable.push(record);
    disk.walWritten = [];
    this.completedFlushes++;
  }

  protected async _truncate(upToSeq: number): Promise<void> {
    await this.#pause();
    this.#assertAlive();
    const disk = this.disk;
    // One step: the old set or the new one, never a mix.
    disk.walHeader = { ...disk.walHeader!, baseSeq: Math.max(disk.walHeader!.baseSeq, upToSeq) };
    disk.walDurable = disk.walDurable.filter((r) => r.seq > upToSeq);
  }

  protected override _mark(mark: WalMark): void {
    if (this.#generation === this.disk.generation) this.disk.walMark = mark;
  }

  protected async _close(): Promise<void> {
    this.#buffer = [];
    if (this.#generation === this.disk.generation && this.disk.walHolder === this) this.disk.walHolder = null;
  }

  /** After a simulated crash this instance is dead: its I/O fails (and poisons it). */
  #assertAlive(): void {
    if (this.#generation !== this.disk.generation) throw new RotorTreeError('IO', 'the simulated machine crashed', { file: FILE });
  }
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
