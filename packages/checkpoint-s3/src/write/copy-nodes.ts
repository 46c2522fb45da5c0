/**
 * Copying nodes out of a view being checkpointed: whole chunks from the view's own settled chunks
 * where it offers them (core's `ChunkSource`: a snapshot does), else in bulk (`readNodes`), else
 * node by node.
 * @module
 */
import type { ChunkSource, TreeView } from '@rotortree/core';
import { NODE_SIZE } from '@rotortree/core';

export type SourceView = TreeView & Partial<ChunkSource>;

/** Copies nodes `index .. index + count - 1` of `level` into `out` at `outOffset`. */
export function copyNodes(view: SourceView, chunkNodes: number, level: number, index: number, count: number, out: Uint8Array, outOffset: number): void {
  if (typeof view.settledChunkAt === 'function') {
    while (count >= chunkNodes && index % chunkNodes === 0) {
      const chunk = view.settledChunkAt(level, chunkNodes, index / chunkNodes);
      if (chunk === undefined || chunk.length !== chunkNodes * NODE_SIZE) break;
      out.set(chunk, outOffset);
      index += chunkNodes;
      count -= chunkNodes;
      outOffset += chunkNodes * NODE_SIZE;
    }
  }
  if (count === 0) return;
  if (typeof view.readNodes === 'function') {
    view.readNodes(level, index, count, out, outOffset);
    return;
  }
  for (let i = 0; i < count; i++) view.readNode(level, index + i, out, outOffset + i * NODE_SIZE);
}
