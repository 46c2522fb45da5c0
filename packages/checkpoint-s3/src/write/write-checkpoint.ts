/**
 * Writing one checkpoint's objects: the newly settled whole chunks of every level as new segment
 * objects, then the manifest; all write-once (put-once.ts), several in flight. Publishing (the
 * pointer) is the caller's next step: until then nothing written here is reachable, and a crash
 * or a failure at any point leaves the published checkpoint as it was.
 * @module
 */
import { NODE_SIZE, levelLengthFor, settledLength } from '@rotortree/core';
import type { TreeIdentity } from '@rotortree/core/backend';
import { crc32c } from '../format/checksum.js';
import type { TreeKeys } from '../format/keys.js';
import { manifestKey, segmentKey } from '../format/keys.js';
import type { LevelEntry, Manifest, SegmentEntry } from '../format/manifest.js';
import { encodeManifest } from '../format/manifest.js';
import type { SegmentId } from '../format/segment.js';
import { encodeTrailer, trailerCrcOf } from '../format/segment.js';
import type { ObjectStore } from '../s3/objects.js';
import type { SourceView } from './copy-nodes.js';
import { copyNodes } from './copy-nodes.js';
import { runLimited } from './limit.js';
import { putOnce } from './put-once.js';

/** What a write needs besides the view. */
export interface WriteContext {
  readonly objects: ObjectStore;
  readonly keys: TreeKeys;
  readonly tree: TreeIdentity;
  /** The writer's epoch: in every key and object it writes. */
  readonly epoch: number;
  readonly chunkNodes: number;
  /** Whole chunks per segment object (>= 1). */
  readonly maxSegmentChunks: number;
  /** Objects written at once. */
  readonly concurrency: number;
}

/** A manifest written (not yet published). */
export interface WrittenManifest {
  readonly manifest: Manifest;
  readonly key: string;
  readonly bytes: Uint8Array;
}

/** Writes the objects of the checkpoint of `view` covering `seq` on top of `base` (the published manifest). */
export async function writeCheckpointObjects(ctx: WriteContext, view: SourceView, seq: number, base: Manifest | undefined): Promise<WrittenManifest> {
  const { n, size, depth } = view;
  const cn = ctx.chunkNodes;
  const fresh: SegmentId[] = [];
  const levels: LevelEntry[] = [];
  for (let k = 0; k <= depth; k++) {
    const oldWhole = base?.levels[k]?.wholeChunks ?? 0;
    const whole = Math.floor(settledLength(size, n, k) / cn);
    for (let first = oldWhole; first < whole; first += ctx.maxSegmentChunks) {
      fresh.push({ level: k, firstChunk: first, chunkCount: Math.min(ctx.maxSegmentChunks, whole - first), epoch: ctx.epoch });
    }
    // The rest of the level (a partial chunk, the unsettled last node) goes into the manifest.
    const from = whole * cn;
    const nodes = new Uint8Array((levelLengthFor(size, n, k) - from) * NODE_SIZE);
    copyNodes(view, cn, k, from, nodes.length / NODE_SIZE, nodes, 0);
    levels.push({ wholeChunks: whole, nodes });
  }
  const written: SegmentEntry[] = [];
  await runLimited(fresh, ctx.concurrency, async (id) => {
    const body = segmentBody(view, cn, id, ctx.tree.treeId);
    await putOnce(ctx.objects, segmentKey(ctx.keys, id.level, id.firstChunk, id.chunkCount, id.epoch), body);
    written.push({ ...id, trailerCrc: trailerCrcOf(body[body.length - 1]!) });
  });
  const segments = [...(base?.segments ?? []), ...written].sort((a, b) => a.level - b.level || a.firstChunk - b.firstChunk);
  const manifest: Manifest = {
    n,
    maxDepth: view.maxDepth,
    hasherId: ctx.tree.hasherId,
    treeId: ctx.tree.treeId,
    chunkNodes: cn,
    size,
    seq,
    epoch: ctx.epoch,
    root: view.root,
    segments,
    levels,
  };
  const key = manifestKey(ctx.keys, seq, ctx.epoch);
  const bytes = encodeManifest(manifest);
  await putOnce(ctx.objects, key, bytes);
  return { manifest, key, bytes };
}

/**
 * The object of segment `id` as a gather list: its chunks (the view's own settled chunks by
 * reference where it offers them: they never change; else copies), then its trailer (a CRC per chunk).
 */
function segmentBody(view: SourceView, cn: number, id: SegmentId, treeId: string): Uint8Array[] {
  const chunkBytes = cn * NODE_SIZE;
  const parts: Uint8Array[] = [];
  const crcs = new Uint32Array(id.chunkCount);
  for (let i = 0; i < id.chunkCount; i++) {
    const c = id.firstChunk + i;
    let chunk = view.settledChunkAt?.(id.level, cn, c);
    if (chunk === undefined || chunk.length !== chunkBytes) {
      chunk = new Uint8Array(chunkBytes);
      copyNodes(view, cn, id.level, c * cn, cn, chunk, 0);
    }
    crcs[i] = crc32c(chunk);
    parts.push(chunk);
  }
  parts.push(encodeTrailer(crcs, id, chunkBytes, treeId));
  return parts;
}
