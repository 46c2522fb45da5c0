/**
 * Writing one checkpoint: the newly settled whole chunks of every level into new write-once
 * segments, then the manifest, published by one rename.
 *
 * Durability order (each step only after the one before it is durable):
 * 1. each new segment: created with `wx+` (never an existing name), written, fdatasync'ed, closed;
 * 2. `MANIFEST.tmp`: written, fdatasync'ed, closed;
 * 3. fsync of the directory: the segments' and the temp file's names are durable;
 * 4. rename `MANIFEST.tmp` -> `MANIFEST`: the commit point;
 * 5. fsync of the directory: the new checkpoint is durable; only now may the WAL be truncated.
 * A crash before 4 leaves the old manifest (the new files are unreferenced leftovers); after 4
 * the new manifest names only files made durable in 1-3.
 * @module
 */
import type { ChunkSource, TreeView } from '@rotortree/core';
import { NODE_SIZE, levelLengthFor, settledLength } from '@rotortree/core';
import type { FileSystem } from '@rotortree/core/fs';
import { joinPath } from '@rotortree/core/fs';
import type { Crc32c } from './checksum.js';
import { ioError } from './errors.js';
import { MANIFEST_NAME, MANIFEST_TMP_NAME, segmentName } from './layout.js';
import type { Extent, LevelEntry, Manifest, SegmentEntry } from './manifest.js';
import { encodeManifest } from './manifest.js';

/** A view that can copy a run of nodes at once (this package's views can). */
interface BulkReadableView extends TreeView {
  readNodes(level: number, index: number, count: number, out: Uint8Array, outOffset: number): void;
}

/**
 * Copies nodes `index .. index + count - 1` of `level` from `view` into `out`: from the view's
 * settled chunks when it offers them (core's {@link ChunkSource}), else in bulk when it can, else
 * one `readNode` per node (~100 ns each: the slow path for a view without either).
 */
export function copyNodes(view: TreeView & Partial<ChunkSource>, chunkNodes: number, level: number, index: number, count: number, out: Uint8Array, outOffset: number): void {
  if (typeof view.settledChunks === 'function') {
    const chunks = view.settledChunks(level, chunkNodes);
    while (count > 0) {
      const c = Math.floor(index / chunkNodes);
      const chunk = chunks[c];
      if (chunk === undefined || chunk.length !== chunkNodes * NODE_SIZE) break;
      const within = index - c * chunkNodes;
      const take = Math.min(count, chunkNodes - within);
      out.set(chunk.subarray(within * NODE_SIZE, (within + take) * NODE_SIZE), outOffset);
      index += take;
      count -= take;
      outOffset += take * NODE_SIZE;
    }
    if (count === 0) return;
  }
  const bulk = (view as Partial<BulkReadableView>).readNodes;
  if (typeof bulk === 'function') {
    bulk.call(view, level, index, count, out, outOffset);
    return;
  }
  for (let i = 0; i < count; i++) view.readNode(level, index + i, out, outOffset + i * NODE_SIZE);
}

/** What a write needs besides the view. */
export interface WriteContext {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly crc32c: Crc32c;
  readonly hasherId: string;
  readonly chunkNodes: number;
  /** Whole chunks per segment file (>= 1). */
  readonly maxSegmentChunks: number;
  /** A fresh, never used segment id. */
  nextSegmentId(): number;
}

/** Bytes copied from the view and written per pwrite. */
const PIECE_BYTES = 16 * 1024 * 1024;

/**
 * Writes the checkpoint of `view` covering `seq` on top of the published `base`, and returns the
 * manifest it published. Throws `IO` (wrapping the system error) on any failure; the caller must
 * then treat which manifest is published as unknown (the rename may have happened).
 */
export async function writeCheckpoint(ctx: WriteContext, view: TreeView & Partial<ChunkSource>, seq: number, base: Manifest | undefined): Promise<Manifest> {
  const { n, size, depth } = view;
  const cn = ctx.chunkNodes;
  // 1. Which whole chunks became settled since the base: [oldWhole, newWhole) per level.
  const runs: Extent[] = [];
  const wholes: number[] = [];
  for (let k = 0; k <= depth; k++) {
    const oldWhole = base?.levels[k]?.wholeChunks ?? 0;
    const newWhole = Math.floor(settledLength(size, n, k) / cn);
    wholes.push(newWhole);
    if (newWhole > oldWhole) runs.push({ level: k, firstChunk: oldWhole, chunkCount: newWhole - oldWhole });
  }
  const segments: SegmentEntry[] = [...(base?.segments ?? [])];
  for (const extents of packRuns(runs, ctx.maxSegmentChunks)) {
    segments.push(await writeSegment(ctx, view, extents));
  }
  // 2. The rest of every level (partial chunk + unsettled last node) goes into the manifest.
  const levels: LevelEntry[] = [];
  for (let k = 0; k <= depth; k++) {
    const from = wholes[k]! * cn;
    const len = levelLengthFor(size, n, k);
    const nodes = new Uint8Array((len - from) * NODE_SIZE);
    copyNodes(view, cn, k, from, len - from, nodes, 0);
    levels.push({ wholeChunks: wholes[k]!, nodes });
  }
  const manifest: Manifest = {
    n,
    maxDepth: view.maxDepth,
    hasherId: ctx.hasherId,
    chunkNodes: cn,
    size,
    seq,
    generation: (base?.generation ?? 0) + 1,
    root: view.root,
    segments,
    levels,
  };
  await publishManifest(ctx, encodeManifest(manifest, ctx.crc32c));
  return manifest;
}

/** Splits level runs into segments of at most `maxChunks` chunks each (a run may span segments). */
function packRuns(runs: readonly Extent[], maxChunks: number): Extent[][] {
  const out: Extent[][] = [];
  let current: Extent[] = [];
  let room = maxChunks;
  for (const run of runs) {
    let first = run.firstChunk;
    let left = run.chunkCount;
    while (left > 0) {
      const take = Math.min(left, room);
      current.push({ level: run.level, firstChunk: first, chunkCount: take });
      first += take;
      left -= take;
      room -= take;
      if (room === 0) {
        out.push(current);
        current = [];
        room = maxChunks;
      }
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

async function writeSegment(ctx: WriteContext, view: TreeView & Partial<ChunkSource>, extents: readonly Extent[]): Promise<SegmentEntry> {
  const cn = ctx.chunkNodes;
  const chunkBytes = cn * NODE_SIZE;
  const id = ctx.nextSegmentId();
  const path = joinPath(ctx.dir, segmentName(id));
  let byteLength = 0;
  for (const e of extents) byteLength += e.chunkCount * chunkBytes;
  const pieceChunks = Math.max(1, Math.floor(PIECE_BYTES / chunkBytes));
  const pieceBytes = Math.min(byteLength, pieceChunks * chunkBytes);
  // Two buffers: the next piece is copied and checksummed while the last one is being written.
  const buffers: Uint8Array[] = [];
  let crc = 0;
  let pos = 0;
  let turn = 0;
  try {
    const fh = await ctx.fs.open(path, 'wx+');
    let inFlight: Promise<void> = Promise.resolve();
    try {
      for (const e of extents) {
        for (let c = 0; c < e.chunkCount; c += pieceChunks) {
          const chunks = Math.min(pieceChunks, e.chunkCount - c);
          const bytes = chunks * chunkBytes;
          const piece = (buffers[turn] ??= new Uint8Array(pieceBytes));
          turn ^= 1;
          copyNodes(view, cn, e.level, (e.firstChunk + c) * cn, chunks * cn, piece, 0);
          crc = ctx.crc32c(piece, 0, bytes, crc);
          await inFlight;
          inFlight = fh.pwrite(piece, 0, bytes, pos);
          pos += bytes;
        }
      }
      await inFlight;
      await fh.datasync();
    } finally {
      // A pwrite still running must finish before its buffer is dropped and the handle closed.
      await inFlight.catch(() => undefined);
      await fh.close();
    }
  } catch (err) {
    throw ioError(err, path, 'writing segment');
  }
  return { id, byteLength, crc, extents };
}

async function publishManifest(ctx: WriteContext, bytes: Uint8Array): Promise<void> {
  const tmp = joinPath(ctx.dir, MANIFEST_TMP_NAME);
  const target = joinPath(ctx.dir, MANIFEST_NAME);
  let step = `writing ${tmp}`;
  try {
    const fh = await ctx.fs.open(tmp, 'w+');
    try {
      await fh.pwrite(bytes, 0, bytes.length, 0);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    step = 'syncing the directory before publishing';
    await ctx.fs.fsyncDir(ctx.dir);
    step = 'publishing (rename)';
    await ctx.fs.rename(tmp, target);
    step = 'syncing the directory after publishing';
    await ctx.fs.fsyncDir(ctx.dir);
  } catch (err) {
    throw ioError(err, target, step);
  }
}
