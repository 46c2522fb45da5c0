/**
 * Writing one checkpoint: the newly settled whole chunks of every level into new write-once
 * segments, then the manifest, published by one rename.
 *
 * Durability order (each step only after the one before it is durable):
 * 1. each new segment: created with `wx+` (never an existing name), its chunks and its trailer
 *    (a CRC per chunk, the tree id: see segment-format.ts) written, fdatasync'ed, closed;
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
import { joinPath, pwriteAll } from '@rotortree/core/fs';
import type { Crc32c } from './checksum.js';
import { ioError } from './errors.js';
import { MANIFEST_NAME, MANIFEST_TMP_NAME, segmentName } from './layout.js';
import type { Extent, LevelEntry, Manifest, SegmentEntry } from './manifest.js';
import { encodeManifest } from './manifest.js';
import { encodeTrailer, trailerCrcOf } from './segment-format.js';

/**
 * Copies nodes `index .. index + count - 1` of `level` from `view` into `out`: from the view's
 * settled chunks when it offers them (core's {@link ChunkSource}), else in bulk when it can, else
 * one `readNode` per node (~100 ns each: the slow path for a view without either).
 */
export function copyNodes(view: TreeView & Partial<ChunkSource>, chunkNodes: number, level: number, index: number, count: number, out: Uint8Array, outOffset: number): void {
  if (typeof view.settledChunks === 'function' || typeof view.settledChunkAt === 'function') {
    const chunkAt = settledChunkReader(view, level, chunkNodes);
    while (count > 0) {
      const c = Math.floor(index / chunkNodes);
      const chunk = chunkAt(c);
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
  if (typeof view.readNodes === 'function') {
    view.readNodes(level, index, count, out, outOffset);
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
  /** The tree's identity, stamped in the manifest and in every segment. */
  readonly treeId: string;
  readonly chunkNodes: number;
  /** Whole chunks per segment file (>= 1). */
  readonly maxSegmentChunks: number;
  /** A fresh, never used segment id. */
  nextSegmentId(): number;
}

/** Bytes per gather write: chunks are handed to the kernel by reference, this many at a time. */
const GATHER_BYTES = 8 * 1024 * 1024;
/** Bytes copied per buffer for a view without chunks of its own. */
const PIECE_BYTES = 4 * 1024 * 1024;

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
    treeId: ctx.treeId,
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

/** Chunk `c` of `level` as the view holds it, or `undefined`: one at a time where the view can (a lazily opened level makes no view per chunk). */
function settledChunkReader(view: TreeView & Partial<ChunkSource>, level: number, cn: number): (c: number) => Uint8Array | undefined {
  if (typeof view.settledChunkAt === 'function') return (c) => view.settledChunkAt!(level, cn, c);
  const chunks = typeof view.settledChunks === 'function' ? view.settledChunks(level, cn) : [];
  return (c) => chunks[c];
}

/**
 * The bytes of `extents` in order, as buffers of at most ~`GATHER_BYTES` per yielded batch: the
 * view's own settled chunks by reference (they never change: no copy, no fresh memory to fault in),
 * else copies of up to `PIECE_BYTES`.
 */
function* segmentBatches(view: TreeView & Partial<ChunkSource>, cn: number, extents: readonly Extent[]): Generator<Uint8Array[]> {
  const chunkBytes = cn * NODE_SIZE;
  let batch: Uint8Array[] = [];
  let bytes = 0;
  for (const e of extents) {
    const chunkAt = settledChunkReader(view, e.level, cn);
    const end = e.firstChunk + e.chunkCount;
    for (let c = e.firstChunk; c < end; ) {
      const chunk = chunkAt(c);
      let buf: Uint8Array;
      if (chunk !== undefined && chunk.length === chunkBytes) {
        buf = chunk;
        c++;
      } else {
        const take = Math.min(end - c, Math.max(1, Math.floor(PIECE_BYTES / chunkBytes)));
        buf = new Uint8Array(take * chunkBytes);
        copyNodes(view, cn, e.level, c * cn, take * cn, buf, 0);
        c += take;
      }
      batch.push(buf);
      bytes += buf.length;
      if (bytes >= GATHER_BYTES) {
        yield batch;
        batch = [];
        bytes = 0;
      }
    }
  }
  if (batch.length > 0) yield batch;
}

async function writeSegment(ctx: WriteContext, view: TreeView & Partial<ChunkSource>, extents: readonly Extent[]): Promise<SegmentEntry> {
  const id = ctx.nextSegmentId();
  const path = joinPath(ctx.dir, segmentName(id));
  const chunkBytes = ctx.chunkNodes * NODE_SIZE;
  let chunks = 0;
  for (const e of extents) chunks += e.chunkCount;
  const crcs = new Uint32Array(chunks);
  let done = 0;
  let pos = 0;
  let trailer: Uint8Array;
  try {
    const fh = await ctx.fs.open(path, 'wx+');
    let inFlight: Promise<void> = Promise.resolve();
    try {
      // The next batch is checksummed (a CRC per chunk) while the last one is being written.
      for (const batch of segmentBatches(view, ctx.chunkNodes, extents)) {
        let bytes = 0;
        for (const buf of batch) {
          for (let off = 0; off < buf.length; off += chunkBytes) crcs[done++] = ctx.crc32c(buf, off, off + chunkBytes);
          bytes += buf.length;
        }
        await inFlight;
        inFlight = pwriteAll(fh, batch, pos);
        pos += bytes;
      }
      trailer = encodeTrailer(crcs, id, chunkBytes, ctx.treeId, ctx.crc32c);
      await inFlight;
      inFlight = pwriteAll(fh, [trailer], pos);
      await inFlight;
      pos += trailer.length;
      await fh.datasync();
    } finally {
      // A write still running must finish before the handle is closed.
      await inFlight.catch(() => undefined);
      await fh.close();
    }
  } catch (err) {
    throw ioError(err, path, 'writing segment');
  }
  return { id, byteLength: pos, trailerCrc: trailerCrcOf(trailer), extents };
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
