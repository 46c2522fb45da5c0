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

/** What `insert`/`insertMany` return: the new root at once, and the token of the WAL record. */
export interface InsertResult {
  /** The root after this insert (a copy). */
  readonly root: Uint8Array;
  /** When the insert is durable. */
  readonly token: DurabilityToken;
}

/**
 * The result of one insert, which is also its token (`result.token === result`): one object per
 * insert, nothing else allocated until someone waits.
 * @internal Built by the engine.
 */
export class InsertReceipt implements InsertResult, DurabilityToken {
  readonly root: Uint8Array;
  readonly seq: number;
  readonly #lane: FlushLane;

  constructor(root: Uint8Array, seq: number, lane: FlushLane) {
    this.root = root;
    this.seq = seq;
    this.#lane = lane;
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
