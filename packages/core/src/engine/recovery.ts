/**
 * Recovery at open: load the checkpoint (if any) into the tree, then replay the WAL records after it,
 * merging consecutive records into few `insertMany` calls (a run of single inserts costs one batch).
 * @module
 */
import { NODE_SIZE } from '../bytes.js';
import { RotorTreeError, isRotorTreeError } from '../errors.js';
import type { CheckpointStore, StoredCheckpoint } from '../persistence/checkpoint-store.js';
import { newTreeId } from '../persistence/tree-identity.js';
import type { TreeConfig } from '../persistence/tree-identity.js';
import type { Wal } from '../persistence/wal.js';
import type { LeanIMT } from '../tree/lean-imt.js';
import { chunkNodesFor } from '../tree/level.js';
import type { ChunkSource, TreeView } from '../tree/view.js';

/** What recovery found. */
export interface RecoveryReport {
  /** The tree's identity (created with the tree, stamped on every file of it). */
  readonly treeId: string;
  /** True when this open created the tree (its WAL held no log). */
  readonly created: boolean;
  /** Last WAL sequence number held by the loaded checkpoint (0 without one). */
  readonly checkpointSeq: number;
  /** Leaves loaded from the checkpoint. */
  readonly checkpointLeaves: number;
  /** WAL records replayed after the checkpoint. */
  readonly replayedRecords: number;
  /** Leaves those records held. */
  readonly replayedLeaves: number;
  /** The last sequence number recovered: the next insert gets `lastSeq + 1`. */
  readonly lastSeq: number;
  /** A torn WAL tail that recovery cut off, if any (reported, not thrown). */
  readonly tornTail?: { readonly file: string; readonly offset: number; readonly bytes: number };
}

/** Leaves gathered before one `insertMany` during replay (32 MiB). */
const REPLAY_BATCH_LEAVES = 1 << 20;

/** Who the tree is, as far as the caller knows (see `RotorTreeOptions.treeId` and `create`). */
export interface IdentityRequest {
  readonly treeId: string | undefined;
  readonly create: boolean;
}

/**
 * Opens the WAL (lock, identity), loads the checkpoint and replays the WAL into `tree` (which must be
 * empty). The WAL is the tree's anchor: its log says who the tree is (unless the caller says it), so
 * a checkpoint of another tree, or any checkpoint beside a missing log, is `CORRUPTION`.
 */
export async function recover(
  tree: LeanIMT,
  wal: Wal,
  store: CheckpointStore | undefined,
  config: TreeConfig,
  identity: IdentityRequest,
  verifyCheckpoint: boolean,
  pinAboveLevel: number,
): Promise<RecoveryReport> {
  const opened = await wal.open(config);
  const created = opened.treeId === undefined;
  if (created && !identity.create) {
    throw new RotorTreeError('CORRUPTION', `${opened.location} is missing, but the tree exists (create: false)`, { file: opened.location });
  }
  const treeId = identity.treeId ?? opened.treeId ?? newTreeId();
  let checkpointSeq = 0;
  if (store !== undefined) {
    const stored = await store.open({ ...config, treeId }).catch((err: unknown) => {
      // A new identity meets an old checkpoint when the log was lost: name what is missing.
      if (created && isRotorTreeError(err, 'CORRUPTION')) {
        throw new RotorTreeError('CORRUPTION', `${opened.location} is missing, but the checkpoint store holds a tree (${err.message})`, { file: opened.location, cause: err });
      }
      throw err;
    });
    if (stored !== undefined) {
      restoreCheckpoint(tree, stored, verifyCheckpoint, pinAboveLevel);
      checkpointSeq = stored.seq;
    }
  }
  if (opened.baseSeq > checkpointSeq) {
    // The log was truncated after a checkpoint that is gone: name where it should be.
    const where = store?.location ?? opened.location;
    throw new RotorTreeError(
      'CORRUPTION',
      `${opened.location} starts after seq ${opened.baseSeq}, but ${store === undefined ? 'no checkpoint store was given' : `${where} holds a checkpoint only up to seq ${checkpointSeq}`}: the checkpoint that covered the records before is missing`,
      { file: where, seq: checkpointSeq + 1 },
    );
  }
  const checkpointLeaves = tree.size;
  const replay = new ReplayBatcher(tree, checkpointSeq);
  const recovered = await wal.recover({
    treeId,
    afterSeq: checkpointSeq,
    visit: (seq, leaves) => replay.add(seq, leaves),
    visitRun: (firstSeq, records, leaves) => replay.addRun(firstSeq, records, leaves),
  });
  replay.drain();
  const lastSeq = Math.max(recovered.lastSeq, replay.lastSeq);
  if (lastSeq !== replay.lastSeq) {
    throw new RotorTreeError('CORRUPTION', `the WAL reports seq ${recovered.lastSeq} but recovery reached ${replay.lastSeq}`, { file: opened.location, seq: lastSeq });
  }
  const report: RecoveryReport = {
    treeId,
    created,
    checkpointSeq,
    checkpointLeaves,
    replayedRecords: replay.records,
    replayedLeaves: tree.size - checkpointLeaves,
    lastSeq,
  };
  return recovered.tornTail === undefined ? report : { ...report, tornTail: recovered.tornTail };
}

/**
 * Loads the checkpoint into the tree. Without `verify`: adopts the stored levels as they are (no
 * rehashing; settled chunks below `pinAboveLevel` stay in the store's files, e.g. mmap'd), trusting
 * the store's own checks. With `verify`: rebuilds every level from the stored leaves and compares
 * node by node with what the store holds (`CORRUPTION` on any difference).
 */
export function restoreCheckpoint(tree: LeanIMT, stored: StoredCheckpoint, verify: boolean, pinAboveLevel: number): void {
  const view = stored.view;
  if (!verify) {
    try {
      tree.restore(view, pinAboveLevel);
    } catch (err) {
      if (isRotorTreeError(err) && err.code !== 'CORRUPTION') {
        throw new RotorTreeError('CORRUPTION', `the checkpoint does not fit this tree: ${err.message}`, { file: stored.location, seq: stored.seq, cause: err });
      }
      throw err;
    }
    checkSpine(tree, stored);
    return;
  }
  const size = view.size;
  if (size > 0) {
    const batch = new Uint8Array(Math.min(size, REPLAY_BATCH_LEAVES) * NODE_SIZE);
    for (let start = 0; start < size; start += REPLAY_BATCH_LEAVES) {
      const count = Math.min(REPLAY_BATCH_LEAVES, size - start);
      readNodes(view, 0, start, count, batch);
      insertOrCorrupt(tree, batch.subarray(0, count * NODE_SIZE), stored.seq);
    }
  }
  verifyLevels(tree, stored);
}

/** The view's settled chunks of `level` (none if it offers no chunk access). */
function chunksOf(view: TreeView & Partial<ChunkSource>, level: number, chunkNodes: number): readonly Uint8Array[] {
  return view.settledChunks === undefined ? [] : view.settledChunks(level, chunkNodes);
}

/** Copies nodes [start, start + count) of `level` into `out`: whole chunks where the view offers them. */
function readNodes(view: TreeView & Partial<ChunkSource>, level: number, start: number, count: number, out: Uint8Array): void {
  const cn = chunkNodesFor(view.n);
  const chunks = chunksOf(view, level, cn);
  for (let i = 0; i < count; ) {
    const index = start + i;
    const chunk = chunks[index / cn];
    if (chunk !== undefined && index % cn === 0 && count - i >= cn) {
      out.set(chunk, i * NODE_SIZE);
      i += cn;
    } else {
      view.readNode(level, index, out, i * NODE_SIZE);
      i++;
    }
  }
}

/**
 * A cheap check of a restored tree (O(depth * n) hashes): the last node of every level above the
 * leaves, the root included, is the hash of its children. Catches damage to the root and to the
 * unsettled tail a store keeps apart, without reading the whole tree.
 */
function checkSpine(tree: LeanIMT, stored: StoredCheckpoint): void {
  const n = tree.n;
  const group = new Uint8Array(n * NODE_SIZE);
  const want = new Uint8Array(NODE_SIZE);
  const got = new Uint8Array(NODE_SIZE);
  for (let k = 0; k < tree.depth; k++) {
    const parent = tree.levelLength(k + 1) - 1;
    const start = parent * n;
    const count = Math.min(n, tree.levelLength(k) - start);
    for (let i = 0; i < count; i++) tree.readNode(k, start + i, group, i * NODE_SIZE);
    if (count === 1) want.set(group.subarray(0, NODE_SIZE));
    else tree.hasher.hashGroup(group, 0, count, want, 0);
    tree.readNode(k + 1, parent, got, 0);
    if (!sameNode(want, 0, got, 0)) {
      throw new RotorTreeError('CORRUPTION', `checkpoint node ${parent} of level ${k + 1} is not the hash of its children`, { file: stored.location, seq: stored.seq });
    }
  }
}

/** Every level of the stored checkpoint equals the one recomputed from its leaves. */
function verifyLevels(tree: LeanIMT, stored: StoredCheckpoint): void {
  const view = stored.view;
  if (view.depth !== tree.depth) {
    throw new RotorTreeError('CORRUPTION', `checkpoint depth ${view.depth}, its leaves give ${tree.depth}`, { file: stored.location, seq: stored.seq });
  }
  const a = new Uint8Array(NODE_SIZE);
  const b = new Uint8Array(NODE_SIZE);
  const ours = tree.snapshot();
  const cn = chunkNodesFor(tree.n);
  for (let k = 0; k <= tree.depth; k++) {
    const len = tree.levelLength(k);
    if (view.levelLength(k) !== len) {
      throw new RotorTreeError('CORRUPTION', `checkpoint level ${k} holds ${view.levelLength(k)} nodes, expected ${len}`, { file: stored.location, seq: stored.seq });
    }
    // Whole chunks where both sides offer them, then node by node.
    const mine = ours.settledChunks(k, cn);
    const theirs = chunksOf(view, k, cn);
    const whole = Math.min(mine.length, theirs.length);
    for (let c = 0; c < whole; c++) {
      const at = firstDifference(mine[c]!, theirs[c]!);
      if (at >= 0) {
        throw new RotorTreeError('CORRUPTION', `checkpoint node ${c * cn + Math.floor(at / NODE_SIZE)} of level ${k} does not match its leaves`, { file: stored.location, seq: stored.seq });
      }
    }
    for (let i = whole * cn; i < len; i++) {
      tree.readNode(k, i, a, 0);
      view.readNode(k, i, b, 0);
      if (!sameNode(a, 0, b, 0)) {
        throw new RotorTreeError('CORRUPTION', `checkpoint node ${i} of level ${k} does not match its leaves`, { file: stored.location, seq: stored.seq });
      }
    }
  }
}

/** Index of the first byte where two equal-length buffers differ, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 0;
  const aligned = a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.length % 4 === 0;
  if (aligned) {
    const wa = new Int32Array(a.buffer, a.byteOffset, a.length / 4);
    const wb = new Int32Array(b.buffer, b.byteOffset, b.length / 4);
    for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return i * 4;
    return -1;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function sameNode(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  for (let i = 0; i < NODE_SIZE; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

function insertOrCorrupt(tree: LeanIMT, flat: Uint8Array, seq: number): void {
  try {
    tree.insertMany(flat);
  } catch (err) {
    if (isRotorTreeError(err, 'MAX_DEPTH_EXCEEDED')) {
      throw new RotorTreeError('CORRUPTION', 'stored leaves exceed the tree capacity', { seq, cause: err });
    }
    throw err;
  }
}

/** Leaves gathered from small replayed records before one `insertMany` (1 MiB at most). */
const GATHER_LEAVES = 1 << 15;
/** The gather buffer starts at this many bytes and doubles as needed: most replays are short. */
const FIRST_GATHER_BYTES = 4096;

const EMPTY = new Uint8Array(0);
const GATHER_BYTES = GATHER_LEAVES * NODE_SIZE;

/** Gathers replayed records into one flat buffer and inserts them in large batches. */
export class ReplayBatcher {
  records = 0;
  lastSeq: number;
  readonly #tree: LeanIMT;
  /** Grown on use (up to GATHER_BYTES): a replay of large runs never needs it, a short one needs little. */
  #buf = EMPTY;
  #len = 0;

  constructor(tree: LeanIMT, afterSeq: number) {
    this.#tree = tree;
    this.lastSeq = afterSeq;
  }

  add(seq: number, leaves: Uint8Array): void {
    if (seq !== this.lastSeq + 1) {
      throw new RotorTreeError('CORRUPTION', `WAL record ${seq} follows ${this.lastSeq}`, { seq });
    }
    if (leaves.length === 0 || leaves.length % NODE_SIZE !== 0) {
      throw new RotorTreeError('CORRUPTION', `WAL record ${seq} holds ${leaves.length} bytes`, { seq });
    }
    this.lastSeq = seq;
    this.records++;
    if (this.#len + leaves.length > GATHER_BYTES) this.drain();
    if (leaves.length >= GATHER_BYTES) {
      insertOrCorrupt(this.#tree, leaves, seq); // a big record goes in as it is
      return;
    }
    this.#gather(leaves);
  }

  /** A run of `records` consecutive records from `firstSeq` whose leaves are `leaves` (see `WalRunVisitor`). */
  addRun(firstSeq: number, records: number, leaves: Uint8Array): void {
    if (firstSeq !== this.lastSeq + 1) {
      throw new RotorTreeError('CORRUPTION', `WAL record ${firstSeq} follows ${this.lastSeq}`, { seq: firstSeq });
    }
    if (!Number.isSafeInteger(records) || records < 1 || leaves.length < records * NODE_SIZE || leaves.length % NODE_SIZE !== 0) {
      throw new RotorTreeError('CORRUPTION', `WAL records ${firstSeq}+${records} hold ${leaves.length} bytes`, { seq: firstSeq });
    }
    this.lastSeq = firstSeq + records - 1;
    this.records += records;
    // A run at least half the gather buffer goes in as it is (after what is gathered): copying it would only cost.
    if (leaves.length * 2 >= GATHER_BYTES) {
      this.drain();
      insertOrCorrupt(this.#tree, leaves, this.lastSeq);
      return;
    }
    if (this.#len + leaves.length > GATHER_BYTES) this.drain();
    this.#gather(leaves);
  }

  #gather(leaves: Uint8Array): void {
    const need = this.#len + leaves.length;
    if (need > this.#buf.length) {
      let size = Math.max(FIRST_GATHER_BYTES, this.#buf.length);
      while (size < need) size *= 2;
      const grown = new Uint8Array(Math.min(size, GATHER_BYTES));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(leaves, this.#len);
    this.#len += leaves.length;
  }

  /** Inserts what is gathered. */
  drain(): void {
    if (this.#len === 0) return;
    insertOrCorrupt(this.#tree, this.#buf.subarray(0, this.#len), this.lastSeq);
    this.#len = 0;
  }
}
