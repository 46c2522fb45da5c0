/**
 * `checkTree(dir)`: a consistency check (fsck) of a tree directory.
 *
 * 1. The descriptor: its checksum and values (the tree's identity and parameters come from it).
 * 2. The WAL, opened on its own (this takes its lock, held until step 4 is done): its header
 *    (parameters, identity; a log missing from a created tree is damage).
 * 3. The checkpoint, opened on its own with every chunk's CRC-32C checked; then every level is
 *    recomputed from its leaves and compared node by node with the stored one.
 * 4. The WAL's records after the checkpoint: every record's checksums and sequence numbers, and
 *    that the log continues the checkpoint. Like every open, this cuts a torn tail (reported as
 *    `TORN_TAIL`, not as damage).
 * 5. The tree, opened as usual (checkpoint + WAL replay): sampled inclusion proofs verify against
 *    its root and size, with its hasher and, for BLAKE3, with the independent JS reference backend.
 *
 * A tree a live writer holds (its directory is locked) is checked read-only beside it instead: the
 * checkpoint as in 3, the WAL's durable records through a follower (each checked, and the writer's
 * published roots), sampled proofs of that state (`live: true` in the report).
 *
 * Damage is reported as issues with a code and a location, not thrown; `CONFIG_MISMATCH` and `IO`
 * are thrown.
 * @module
 */
import { randomInt } from 'node:crypto';
import { LeanIMT, NODE_SIZE, RotorTreeError, generateProof, isRotorTreeError, toHex, verifyProof } from '@rotortree/core';
import type { ErrorCode, Hasher, TreeView } from '@rotortree/core';
import { BLAKE3_ID, blake3 } from '@rotortree/hasher-blake3';
import { fsWal } from '@rotortree/wal-fs';
import { mmapCheckpointStore } from '@rotortree/checkpoint-mmap';
import { readDescriptor } from './descriptor.js';
import type { TreeDescriptor } from './descriptor.js';
import { layoutOf } from './layout.js';
import { follow } from './follow.js';
import { hasherFor, open } from './open.js';
import { lockTreeDirectory } from './tree-lock.js';

/** One problem found by {@link checkTree}. */
export interface CheckIssue {
  /** `CORRUPTION` (damage), or `TORN_TAIL` (an incomplete last WAL record was cut off: normal after a crash). */
  readonly code: ErrorCode;
  readonly message: string;
  readonly file?: string;
  readonly offset?: number;
  readonly seq?: number;
  /** Tree level of a node that does not match its children. */
  readonly level?: number;
  /** Index of that node in its level (or of the leaf whose proof failed). */
  readonly index?: number;
}

/** Options of {@link checkTree}. */
export interface CheckOptions {
  /** Inclusion proofs to verify (the first and last leaf among them). Default 64. */
  readonly samples?: number;
  /** Most mismatching nodes listed one by one (all are counted). Default 20. */
  readonly maxListed?: number;
  /** The tree's hasher; default as `open` picks it. */
  readonly hasher?: Hasher;
  /** Called as work advances: `phase` is `wal`, `checkpoint`, `levels` or `proofs`. */
  readonly onProgress?: (phase: string, done: number, total: number) => void;
}

/** What {@link checkTree} found. */
export interface CheckReport {
  /** True when no issue is `CORRUPTION`. */
  readonly ok: boolean;
  /** The descriptor's values (absent when it is damaged: nothing else could then be checked). */
  readonly treeId?: string;
  readonly n?: number;
  readonly maxDepth?: number;
  readonly hasher?: string;
  /** Leaves of the recovered tree (undefined when it could not be opened). */
  readonly size?: number;
  readonly root?: string;
  /** The WAL records after the checkpoint: how many, their leaves, and the last seq. */
  readonly wal: { readonly records: number; readonly leaves: number; readonly lastSeq: number };
  /** True when a live writer held the tree: checked read-only beside it (durable state only, nothing cut). */
  readonly live?: boolean;
  readonly checkpoint?: { readonly seq: number; readonly size: number; readonly nodesCompared: number; readonly mismatches: number };
  readonly proofs: { readonly checked: number; readonly failed: number };
  readonly issues: readonly CheckIssue[];
}

function issueFrom(err: unknown): CheckIssue | undefined {
  if (!isRotorTreeError(err, 'CORRUPTION')) return undefined;
  const issue: CheckIssue = { code: err.code, message: err.message.replace(/^CORRUPTION: /, '') };
  return {
    ...issue,
    ...(err.file === undefined ? {} : { file: err.file }),
    ...(err.offset === undefined ? {} : { offset: err.offset }),
    ...(err.seq === undefined ? {} : { seq: err.seq }),
  };
}

/** Runs `fn`; `CORRUPTION` becomes an issue (returned as `undefined`), anything else is rethrown. */
async function collect<T>(issues: CheckIssue[], fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const issue = issueFrom(err);
    if (issue === undefined) throw err;
    issues.push(issue);
    return undefined;
  }
}

/** The descriptor of `dir`; damage becomes an issue (`undefined`). Throws `IO` (cause `ENOENT`) when `dir` holds no tree. */
async function descriptorOf(dir: string, issues: CheckIssue[]): Promise<TreeDescriptor | undefined> {
  const layout = layoutOf(dir);
  let d: TreeDescriptor | undefined;
  try {
    d = await readDescriptor(layout.descriptor);
  } catch (err) {
    const issue = issueFrom(err);
    if (issue === undefined) throw err;
    issues.push(issue);
    return undefined;
  }
  if (d === undefined) {
    const cause = Object.assign(new Error(`ENOENT: no rotortree in ${dir}`), { code: 'ENOENT' });
    throw new RotorTreeError('IO', `no rotortree in ${dir}`, { file: layout.descriptor, cause });
  }
  return d;
}

/** Leaves copied out of a view per `insertMany` when rebuilding. */
const REBUILD_BATCH = 1 << 16;

/** Recomputes every level of `view` from its leaves and compares; mismatches become issues. */
function compareLevels(
  view: TreeView,
  hasher: Hasher,
  file: string,
  issues: CheckIssue[],
  maxListed: number,
  progress: (phase: string, done: number, total: number) => void,
): { nodesCompared: number; mismatches: number } {
  const tree = new LeanIMT({ hasher, n: view.n, maxDepth: view.maxDepth });
  const size = view.size;
  const batch = new Uint8Array(Math.min(Math.max(size, 1), REBUILD_BATCH) * NODE_SIZE);
  for (let start = 0; start < size; start += REBUILD_BATCH) {
    const count = Math.min(REBUILD_BATCH, size - start);
    for (let i = 0; i < count; i++) view.readNode(0, start + i, batch, i * NODE_SIZE);
    tree.insertMany(batch.subarray(0, count * NODE_SIZE));
    progress('checkpoint', start + count, size);
  }
  let nodesCompared = 0;
  let mismatches = 0;
  const a = new Uint8Array(NODE_SIZE);
  const b = new Uint8Array(NODE_SIZE);
  const depth = tree.depth;
  if (view.depth !== depth) {
    issues.push({ code: 'CORRUPTION', message: `the checkpoint has depth ${view.depth}, its ${size} leaves give ${depth}`, file });
    mismatches++;
  }
  for (let k = 1; k <= depth; k++) {
    const len = tree.levelLength(k);
    if (view.levelLength(k) !== len) {
      issues.push({ code: 'CORRUPTION', message: `checkpoint level ${k} holds ${view.levelLength(k)} nodes, its leaves give ${len}`, file, level: k });
      mismatches++;
      continue;
    }
    for (let i = 0; i < len; i++) {
      tree.readNode(k, i, a, 0);
      view.readNode(k, i, b, 0);
      nodesCompared++;
      if (!sameNode(a, b)) {
        if (mismatches < maxListed) {
          issues.push({ code: 'CORRUPTION', message: `checkpoint node ${i} of level ${k} does not match the hash of its children`, file, level: k, index: i });
        }
        mismatches++;
      }
    }
    progress('levels', k, depth);
  }
  if (mismatches > maxListed) {
    issues.push({ code: 'CORRUPTION', message: `${mismatches - maxListed} more checkpoint nodes do not match (not listed)`, file });
  }
  return { nodesCompared, mismatches };
}

function sameNode(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < NODE_SIZE; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Leaf indexes to prove: the first, the last, and random ones. */
function sampleIndexes(size: number, samples: number): number[] {
  if (size === 0 || samples <= 0) return [];
  if (size <= samples) return Array.from({ length: size }, (_, i) => i);
  const out = new Set<number>([0, size - 1]);
  while (out.size < samples) out.add(randomInt(0, Math.min(size, 2 ** 48 - 1)));
  return [...out].sort((x, y) => x - y);
}

/**
 * Checks the tree directory `dir` (see the module comment for what is checked). Resolves with
 * the report, damage included; rejects with `FILE_LOCKED` (another opener holds `dir`),
 * `CONFIG_MISMATCH`, `IO` (cause `ENOENT` when `dir` holds no tree).
 */
export async function checkTree(dir: string, options: CheckOptions = {}): Promise<CheckReport> {
  const layout = layoutOf(dir);
  const progress = options.onProgress ?? (() => {});
  const maxListed = options.maxListed ?? 20;
  const issues: CheckIssue[] = [];
  const params = await descriptorOf(dir, issues);
  if (params === undefined) return { ok: false, wal: { records: 0, leaves: 0, lastSeq: 0 }, proofs: { checked: 0, failed: 0 }, issues };
  const hasher = hasherFor(params.hasher, options.hasher, layout.descriptor);
  const config = { n: params.n, maxDepth: params.maxDepth, hasherId: params.hasher };

  // 2-4 under the directory's lock, with the WAL held: no writer changes anything meanwhile.
  let records = 0;
  let leaves = 0;
  let lastSeq = 0;
  let checkpoint: CheckReport['checkpoint'];
  let release: (() => void) | undefined;
  try {
    release = lockTreeDirectory(dir);
  } catch (err) {
    if (!isRotorTreeError(err, 'FILE_LOCKED')) throw err;
  }
  if (release === undefined) return checkLive(dir, params, hasher, options, issues);
  try {
    const wal = fsWal({ dir: layout.wal });
    try {
      const opened = await collect(issues, () => wal.open(config));
      const logMissing = opened !== undefined && opened.treeId === undefined;
      if (logMissing && params.state === 'created') {
        issues.push({ code: 'CORRUPTION', message: `${opened.location} is missing: the tree was created, its log must exist`, file: opened.location });
      }
      let cpSeq = 0;
      const store = mmapCheckpointStore({ dir: layout.checkpoint, verify: true });
      try {
        const stored = await collect(issues, () => store.open({ ...config, treeId: params.treeId }));
        if (stored !== undefined) {
          const compared = compareLevels(stored.view, hasher, layout.checkpoint, issues, maxListed, progress);
          checkpoint = { seq: stored.seq, size: stored.view.size, ...compared };
          cpSeq = stored.seq;
        }
      } finally {
        await store.close();
      }
      lastSeq = cpSeq;
      if (logMissing && cpSeq > 0) {
        issues.push({ code: 'CORRUPTION', message: `${opened.location} is missing, but the checkpoint holds the tree up to seq ${cpSeq}`, file: opened.location });
      }
      if (opened !== undefined && !logMissing) {
        const recovered = await collect(issues, () =>
          wal.recover({
            treeId: params.treeId,
            afterSeq: cpSeq,
            visit: (_seq, bytes) => {
              records++;
              leaves += bytes.length / NODE_SIZE;
              if (records % 1024 === 0) progress('wal', records, records);
            },
          }),
        );
        if (recovered !== undefined) {
          lastSeq = recovered.lastSeq;
          const t = recovered.tornTail;
          if (t !== undefined) issues.push({ code: 'TORN_TAIL', message: `an incomplete last record (${t.bytes} bytes) was cut off`, file: t.file, offset: t.offset });
        }
      }
    } finally {
      await wal.close();
    }
  } finally {
    release();
  }

  // 5. The tree as recovery builds it, and sampled proofs of it.
  const sampled = issues.some((i) => i.code === 'CORRUPTION')
    ? undefined
    : await collect(issues, async () => {
        const tree = await open(dir, { hasher, create: false, checkpointOnClose: false, flushPolicy: { kind: 'manual' } });
        try {
          return sampleProofs(tree.snapshot(), hasher, options, issues);
        } finally {
          await tree.close();
        }
      });
  return report(params, issues, { records, leaves, lastSeq }, checkpoint, sampled);
}

/** What the proof sampling found. */
interface Sampled {
  readonly size: number;
  readonly root: string | undefined;
  readonly checked: number;
  readonly failed: number;
}

/** Verifies sampled inclusion proofs of `snap` (with `hasher` and, for BLAKE3, the JS reference); failures become issues. */
function sampleProofs(snap: TreeView, hasher: Hasher, options: CheckOptions, issues: CheckIssue[]): Sampled {
  const progress = options.onProgress ?? (() => {});
  const r = snap.root;
  const reference = hasher.id === BLAKE3_ID && hasher.backend !== 'js' ? blake3({ backend: 'js' }) : undefined;
  const indexes = sampleIndexes(snap.size, options.samples ?? 64);
  let checked = 0;
  let failed = 0;
  for (const index of indexes) {
    const proof = generateProof(snap, index);
    const trusted = { root: r!, size: snap.size, n: snap.n };
    const good = verifyProof(hasher, proof, trusted) && (reference === undefined || verifyProof(reference, proof, trusted));
    checked++;
    if (!good) {
      failed++;
      if (failed <= (options.maxListed ?? 20)) issues.push({ code: 'CORRUPTION', message: `the inclusion proof of leaf ${index} does not verify`, level: 0, index });
    }
    progress('proofs', checked, indexes.length);
  }
  return { size: snap.size, root: r === undefined ? undefined : toHex(r), checked, failed };
}

function report(params: TreeDescriptor, issues: CheckIssue[], wal: CheckReport['wal'], checkpoint: CheckReport['checkpoint'], sampled: Sampled | undefined): CheckReport {
  return {
    ok: !issues.some((i) => i.code === 'CORRUPTION'),
    treeId: params.treeId,
    n: params.n,
    maxDepth: params.maxDepth,
    hasher: params.hasher,
    ...(sampled === undefined ? {} : { size: sampled.size }),
    ...(sampled?.root === undefined ? {} : { root: sampled.root }),
    wal,
    ...(checkpoint === undefined ? {} : { checkpoint }),
    proofs: { checked: sampled?.checked ?? 0, failed: sampled?.failed ?? 0 },
    issues,
  };
}

/**
 * The check of a tree a live writer holds (its directory is locked): read-only, beside the writer.
 * The checkpoint is read with every chunk's checksum checked and every level recomputed; a follower
 * reads the WAL's durable records (each checked) and the writer's published roots; sampled proofs of
 * the follower's state. Nothing is cut or written (a torn tail, if any, is the writer's to cut).
 */
async function checkLive(dir: string, params: TreeDescriptor, hasher: Hasher, options: CheckOptions, issues: CheckIssue[]): Promise<CheckReport> {
  const layout = layoutOf(dir);
  const progress = options.onProgress ?? (() => {});
  let checkpoint: CheckReport['checkpoint'];
  const store = mmapCheckpointStore({ dir: layout.checkpoint, verify: true, readOnly: true });
  try {
    const config = { n: params.n, maxDepth: params.maxDepth, hasherId: params.hasher, treeId: params.treeId };
    const stored = await collect(issues, () => store.open(config));
    if (stored !== undefined) {
      const compared = compareLevels(stored.view, hasher, layout.checkpoint, issues, options.maxListed ?? 20, progress);
      checkpoint = { seq: stored.seq, size: stored.view.size, ...compared };
    }
  } finally {
    await store.close();
  }
  let wal: CheckReport['wal'] = { records: 0, leaves: 0, lastSeq: checkpoint?.seq ?? 0 };
  let sampled: Sampled | undefined;
  if (!issues.some((i) => i.code === 'CORRUPTION')) {
    sampled = await collect(issues, async () => {
      const follower = await follow(dir, { hasher, pollMs: 0 });
      try {
        const snap = follower.snapshot();
        wal = { records: follower.seq - follower.checkpointSeq, leaves: snap.size - (follower.checkpointSeq === checkpoint?.seq ? checkpoint.size : 0), lastSeq: follower.seq };
        return sampleProofs(snap, hasher, options, issues);
      } finally {
        await follower.close();
      }
    });
  }
  return { ...report(params, issues, wal, checkpoint, sampled), live: true };
}
