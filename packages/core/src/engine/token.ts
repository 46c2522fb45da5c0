/**
 * Durability tokens: what an insert returns to tell when it survives a crash.
 * @module
 */
import type { FlushLane } from './flush-lane.js';

/** Tells when one insert (or one batch) is durable. */
export interface DurabilityToken {
  /** The WAL sequence number of the insert's record (one per `insert`/`insertMany` call). */
  readonly seq: number;
  /** True once a completed flush (fdatasync done) covers `seq`; once true, stays true. */
  isDurable(): boolean;
  /**
   * Resolves once a flush covering `seq` has completed (fdatasync done); rejects with `POISONED`
   * if that flush or an earlier one failed. Tokens waiting on the same flush share one promise.
   */
  wait(): Promise<void>;
}

/** What `insert`/`insertMany` return: the new root, and the token of the WAL record. */
export interface InsertResult {
  /**
   * The root after this insert (a copy the caller owns). For a single `insert` it is computed when
   * first read (see `RotorTree.insert`); reading it may then throw what the hasher throws, or
   * `CLOSED` once the tree's mapped checkpoint files are closed.
   */
  readonly root: Uint8Array;
  /** When the insert is durable. */
  readonly token: DurabilityToken;
}

/** A tree that can tell the root it had at an earlier size (see `LeanIMT.rootAt`). */
export interface RootHistory {
  rootAt(size: number): Uint8Array;
}

/**
 * The result of one insert, which is also its token (`result.token === result`): one object per
 * insert, nothing else allocated until someone waits.
 * @internal Built by the engine.
 */
export class InsertReceipt implements InsertResult, DurabilityToken {
  readonly seq: number;
  readonly #lane: FlushLane;
  #root: Uint8Array | undefined;
  /** Where a root not given at construction is computed: the tree, as of `#size` leaves. */
  readonly #tree: RootHistory | undefined;
  readonly #size: number;

  constructor(root: Uint8Array | undefined, seq: number, lane: FlushLane, tree?: RootHistory, size = 0) {
    this.#root = root;
    this.seq = seq;
    this.#lane = lane;
    this.#tree = tree;
    this.#size = size;
  }

  get root(): Uint8Array {
    return (this.#root ??= this.#tree!.rootAt(this.#size));
  }

  /** This object: it is the token. */
  get token(): DurabilityToken {
    return this;
  }

  isDurable(): boolean {
    return this.seq <= this.#lane.durableSeq;
  }

  wait(): Promise<void> {
    return this.#lane.waitFor(this.seq);
  }
}
