/**
 * `CheckpointStoreBase`: the rules every {@link CheckpointStore} keeps, written once. A backend
 * extends it and writes only its I/O in a few protected hooks.
 *
 * What the base keeps: the lifecycle (`CLOSED` after close; misuse is `TypeError`), the tree's
 * parameters and identity (`CONFIG_MISMATCH`; `CORRUPTION` for a checkpoint of another tree), one write at a time, the shape of what is written
 * (the view's n and maxDepth) and that checkpoints only grow (seq and size never decrease, also
 * after a failed write whose outcome is unknown).
 * @module
 */
import { RotorTreeError } from '../../errors.js';
import type { TreeView } from '../../tree/view.js';
import type { CheckpointConfig, CheckpointStore, CheckpointStoreCapabilities, StoredCheckpoint } from '../checkpoint-store.js';
import { assertTreeIdentity, checkStoredTree } from '../tree-identity.js';
import type { TreeIdentity } from '../tree-identity.js';

/** What a published checkpoint says about itself (read by {@link CheckpointStoreBase._open}). */
export interface PublishedCheckpoint {
  /** The tree it belongs to, as stamped in it. */
  readonly tree: TreeIdentity;
  /** The last WAL sequence number it covers. */
  readonly seq: number;
  /** Leaves it holds. */
  readonly size: number;
  /** Where it was read from (a manifest path, an object key): errors about it name it. */
  readonly location: string;
}

type State = 'new' | 'open' | 'closed';

const NOOP = (): void => undefined;

/**
 * The base of a {@link CheckpointStore}: extend it and implement `_open`, `_load`, `_write`,
 * `_published`, `_close` (and `_latest` for tiering). `M` is the backend's own description of a
 * published checkpoint (its manifest). A system error thrown by a hook is wrapped as `IO`.
 */
export abstract class CheckpointStoreBase<M extends PublishedCheckpoint = PublishedCheckpoint> implements CheckpointStore {
  abstract readonly supports: CheckpointStoreCapabilities;

  /** Where the store lives (a directory, a bucket and prefix), for errors. */
  abstract readonly location: string;

  #state: State = 'new';
  #tree: TreeIdentity | undefined;
  /** The last published seq and size; `null`: unknown (a write failed after it may have published). */
  #last: { readonly seq: number; readonly size: number } | undefined | null;
  #writing = false;

  // --- hooks: I/O only --------------------------------------------------------------------

  /**
   * Takes the store's one-writer lock (`FILE_LOCKED` when held) and reads the published checkpoint's
   * description, or `undefined` when none was ever published. Damage is `CORRUPTION` with the place.
   * On a throw the base calls `_close`.
   */
  protected abstract _open(tree: TreeIdentity): Promise<M | undefined>;

  /**
   * The tree state of `published` (which the base has checked belongs to this tree), valid until the
   * store is closed or written again. Every byte a view returns must pass its checksum, at load or
   * when first read (a damaged read throws `CORRUPTION`).
   */
  protected abstract _load(published: M): Promise<TreeView>;

  /**
   * Makes `view` durable as the checkpoint covering WAL records up to `seq`, stamped with the tree's
   * parameters and identity, and publishes it in one atomic step (see the contract). Arguments are
   * checked (shape, growth); one write at a time.
   */
  protected abstract _write(view: TreeView, seq: number, tree: TreeIdentity): Promise<void>;

  /** The published checkpoint's seq and size as stored now (re-read after a failed write), or `undefined`. */
  protected abstract _published(): Promise<{ readonly seq: number; readonly size: number } | undefined>;

  /** Optional, for tiering: the last published checkpoint as a view (see {@link CheckpointStore.latest}). */
  protected _latest?(): Promise<StoredCheckpoint | undefined>;

  /** Releases the lock and files. May be called after a failed `_open`, and again at close: idempotent. */
  protected abstract _close(): Promise<void>;

  // --- the contract ------------------------------------------------------------------------

  async open(config: CheckpointConfig): Promise<StoredCheckpoint | undefined> {
    if (this.#state === 'closed') throw new RotorTreeError('CLOSED', 'the checkpoint store is closed', { file: this.location });
    if (this.#state !== 'new') throw new TypeError('open() was called already');
    assertTreeIdentity(config);
    const tree: TreeIdentity = { n: config.n, maxDepth: config.maxDepth, hasherId: config.hasherId, treeId: config.treeId };
    let stored: StoredCheckpoint | undefined;
    try {
      const published = await this.#io('open', () => this._open(tree));
      if (published !== undefined) {
        checkStoredTree(published.tree, tree, published.location);
        const view = await this.#io('load', () => this._load(published));
        if (view.n !== tree.n || view.maxDepth !== tree.maxDepth || view.size !== published.size) {
          throw new RotorTreeError('CORRUPTION', `${published.location} does not describe the tree it holds`, { file: published.location });
        }
        stored = { seq: published.seq, view, location: published.location };
      }
      this.#last = published === undefined ? undefined : { seq: published.seq, size: published.size };
    } catch (err) {
      await this._close().catch(NOOP);
      throw err;
    }
    this.#tree = tree;
    this.#state = 'open';
    return stored;
  }

  async write(view: TreeView, seq: number): Promise<void> {
    this.#assertOpen();
    if (this.#writing) throw new TypeError('a checkpoint write is already running: the engine never runs two at once');
    const tree = this.#tree!;
    if (view === null || typeof view !== 'object' || typeof view.readNode !== 'function') throw new TypeError('write needs a TreeView');
    if (view.n !== tree.n || view.maxDepth !== tree.maxDepth) {
      throw new RangeError(`the view has n=${view.n} maxDepth=${view.maxDepth}, the store n=${tree.n} maxDepth=${tree.maxDepth}`);
    }
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`seq must be an integer >= 0, got ${String(seq)}`);
    this.#writing = true;
    try {
      const last = this.#last === null ? await this.#io('read', () => this._published()) : this.#last;
      this.#last = last;
      if (last !== undefined && (seq < last.seq || view.size < last.size)) {
        throw new RangeError(`checkpoints only grow: have seq ${last.seq} size ${last.size}, got seq ${seq} size ${view.size}`);
      }
      try {
        await this.#io('write', () => this._write(view, seq, tree));
      } catch (err) {
        this.#last = null; // it may or may not have published
        throw err;
      }
      this.#last = { seq, size: view.size };
    } finally {
      this.#writing = false;
    }
  }

  async latest(): Promise<StoredCheckpoint | undefined> {
    this.#assertOpen();
    return this._latest === undefined ? undefined : this._latest();
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    await this._close();
  }

  /** The tree this store was opened for (after `open`). */
  protected get tree(): TreeIdentity {
    const tree = this.#tree;
    if (tree === undefined) throw new TypeError('the store is not open');
    return tree;
  }

  #assertOpen(): void {
    if (this.#state === 'closed') throw new RotorTreeError('CLOSED', 'the checkpoint store is closed', { file: this.location });
    if (this.#state !== 'open') throw new TypeError('the checkpoint store is not open: call open() first');
  }

  /** Runs a hook, turning system errors into `IO` (RotorTreeErrors and argument errors pass through). */
  async #io<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RotorTreeError || err instanceof TypeError || err instanceof RangeError) throw err;
      throw new RotorTreeError('IO', `cannot ${what} the checkpoint in ${this.location}`, { cause: err, file: this.location });
    }
  }
}
