/**
 * A simulated machine's storage for the in-memory backends (`memoryWal`, `memoryCheckpointStore`):
 * it outlives the backend instances, so a test can "crash" the machine and reopen a new engine on
 * what survived.
 * @module
 */
import type { StoredLog } from '../kit/wal-base.js';
import type { WalMark } from '../wal.js';
import type { TreeIdentity } from '../tree-identity.js';

/** One WAL record as the memory WAL keeps it. */
export interface MemoryWalRecord {
  readonly seq: number;
  /** k*32 bytes, owned by the disk. */
  readonly leaves: Uint8Array;
}

/** The published state of the memory checkpoint store (its "manifest"). */
export interface MemoryCheckpointManifest {
  /** The tree it belongs to. */
  readonly tree: TreeIdentity;
  readonly seq: number;
  readonly size: number;
  /** Segments referenced per level (a segment holds settled nodes, written once). */
  readonly segmentCounts: readonly number[];
  /** The last node of each level 0..depth, used only where that node is unsettled. */
  readonly tail: Uint8Array;
}

/** Options of {@link MemoryDisk.crash}. */
export interface CrashOptions {
  /**
   * How many WAL records written by an in-flight flush but not yet synced survive (a prefix, like a
   * page cache that wrote part of the data before the power went). Default 0.
   */
  readonly keepUnsyncedRecords?: number;
}

/**
 * The storage the memory backends share across instances. Fields are for the backends and for
 * test inspection; tests should only call {@link MemoryDisk.crash} and read.
 */
export class MemoryDisk {
  /** Bumped by every crash: backend instances opened before it are dead. */
  generation = 0;

  /** WAL header (written when the log is created; `baseSeq` moves with truncation). */
  walHeader: StoredLog | undefined;
  /** WAL records made durable by a completed flush, in sequence order. */
  walDurable: MemoryWalRecord[] = [];
  /** WAL records written by a flush whose sync has not completed (lost at a crash unless kept). */
  walWritten: MemoryWalRecord[] = [];
  /** The instance holding the WAL lock. */
  walHolder: object | null = null;
  /** The writer's last mark (for followers; lost at a crash, as it is never synced). */
  walMark: WalMark | undefined;

  /** The published checkpoint. */
  checkpointManifest: MemoryCheckpointManifest | undefined;
  /** Write-once segments of settled nodes per level; those past the manifest's counts are leftovers. */
  checkpointSegments: Uint8Array[][] = [];
  /** The instance holding the checkpoint store lock. */
  checkpointHolder: object | null = null;

  /**
   * Simulates a power loss: every backend instance open on this disk dies (its later operations
   * fail with `IO`), locks are released, unsynced WAL data is dropped (or a prefix kept), and only
   * the published checkpoint remains.
   */
  crash(options: CrashOptions = {}): void {
    this.generation++;
    const keep = Math.max(0, Math.min(options.keepUnsyncedRecords ?? 0, this.walWritten.length));
    for (let i = 0; i < keep; i++) this.walDurable.push(this.walWritten[i]!);
    this.walWritten = [];
    this.walHolder = null;
    this.walMark = undefined;
    this.checkpointHolder = null;
  }

  /** Sequence numbers of the durable WAL records (for tests). */
  durableWalSeqs(): number[] {
    return this.walDurable.map((r) => r.seq);
  }
}

/** A new, empty simulated disk. */
export function memoryDisk(): MemoryDisk {
  return new MemoryDisk();
}

/** Default pause of the memory backends between the steps of an I/O (a microtask turn). */
export function microtaskPause(): Promise<void> {
  return Promise.resolve();
}
