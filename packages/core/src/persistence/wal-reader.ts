/**
 * Reading a tree's write-ahead log without writing it: what a follower (`RotorTree.follow`) tails
 * while a writer, maybe on another machine, holds the log. Backends: `fsWalReader()`
 * (`@rotortree/wal-fs`: the same directory, read-only), or one over a replica of a server's log.
 *
 * A reader never takes the writer's lock and never changes anything. It hands over only records the
 * writer made durable (up to the writer's last {@link WalMark}, or what its engine knows is durable),
 * so a follower never shows a state a crash of the writer could take back.
 * @module
 */
import type { WalConfig, WalMark, WalOpened, WalRecordVisitor, WalRunVisitor } from './wal.js';

/** What one {@link WalReader.read} found. */
export interface WalReadResult {
  /** The last record handed over (`afterSeq` when none was). */
  readonly lastSeq: number;
  /** The highest seq the writer has made durable, as far as the reader can tell (>= `lastSeq`). */
  readonly durableSeq: number;
  /**
   * True when the log no longer holds `afterSeq + 1` (a checkpoint covered it and the log was
   * truncated): nothing was handed over, and the reader's caller must reload a checkpoint first.
   */
  readonly gone: boolean;
  /** Marks the writer published for seqs handed over now or before (the follower checks its roots there). */
  readonly marks: readonly WalMark[];
}

/** Reads a tree's log while its writer goes on. */
export interface WalReader {
  /** Where the log lives (a path, a server and key): errors about it name it. */
  readonly location: string;

  /**
   * Reads the log's header without any lock: its parameters (`CONFIG_MISMATCH`) and identity.
   * `treeId` undefined: there is no log (yet).
   */
  open(config: WalConfig): Promise<WalOpened>;

  /**
   * Hands over, in order, every durable record with `seq > afterSeq` (`visit`, or runs to
   * `visitRun`): a record is handed over whole or not at all, and never past the durable seq.
   * Damage that is not the writer's tail in progress is `CORRUPTION`; a log of another tree too.
   */
  read(options: { readonly treeId: string; readonly afterSeq: number; readonly visit: WalRecordVisitor; readonly visitRun?: WalRunVisitor }): Promise<WalReadResult>;

  /**
   * Optional: calls `onChange` soon after the log may have changed (a flush, a truncation), so that
   * a follower reads it then rather than at its next poll. Returns the function that stops watching,
   * or `undefined` when this reader cannot watch (the follower then only polls). A missed call costs
   * at most a poll's delay, a spurious one a read that finds nothing new.
   */
  watch?(onChange: () => void): (() => void) | undefined;
  /** Releases what it holds. Idempotent. */
  close(): Promise<void>;
}
