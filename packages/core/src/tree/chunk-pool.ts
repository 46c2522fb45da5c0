/**
 * Reuse of the chunk memory of trees that are gone. A fresh chunk's pages are faulted in on first
 * write (about 1.5 µs per 4 KiB page on the bench machine: ~12 µs per 32 KiB chunk, ~16 ms for the
 * 43 MB of a 2^20-leaf tree at n=4), and the allocator often gives a collected tree's memory back to
 * the OS, so the next tree faults it in again. Here a level's chunks come back to a free list when
 * the level is collected (its tree and every snapshot of it gone): a FinalizationRegistry, so after
 * the collector ran and the event loop turned; then the next full chunk of any tree (same size) is
 * taken from the list instead of fresh memory.
 *
 * Only memory that never left the tree is reused: a level whose chunks were handed out (settled chunks
 * read by a checkpoint store, slices given to a WAL) or that adopted memory from elsewhere (a store's
 * mappings) is never pooled, and a chunk is taken only when it is a whole ArrayBuffer of its own.
 * @module
 */

/** Most bytes kept on the free list (beyond it, released chunks go back to the allocator). */
const MAX_FREE_BYTES = 64 * 1024 * 1024;

/** What a watched level shares with the pool: its chunk array and whether it may come back. */
export interface PooledChunks {
  /** The level's own chunk array (the same array object: chunks added later come back too). */
  readonly chunks: readonly (Uint8Array | undefined)[];
  /** Bytes of a full chunk. */
  readonly bytes: number;
  /** False once a chunk left the tree or foreign memory came in: nothing of the level is reused. */
  poolable: boolean;
}

const free = new Map<number, Uint8Array[]>();
let freeBytes = 0;

function release(record: PooledChunks): void {
  if (!record.poolable) return;
  const list = free.get(record.bytes) ?? [];
  free.set(record.bytes, list);
  for (const chunk of record.chunks) {
    if (freeBytes + record.bytes > MAX_FREE_BYTES) break;
    // Only a chunk that is a whole ArrayBuffer the tree allocated (not a slice of a batch it kept).
    if (chunk === undefined || chunk.length !== record.bytes || chunk.byteOffset !== 0 || chunk.buffer.byteLength !== record.bytes) continue;
    list.push(chunk);
    freeBytes += record.bytes;
  }
}

const registry = new FinalizationRegistry<PooledChunks>(release);

/** Returns `record`'s chunks to the pool once `level` is collected. */
export function watchLevel(level: object, record: PooledChunks): void {
  registry.register(level, record);
}

/** A released chunk of `bytes` bytes, its content unspecified, or `undefined` when there is none. */
export function takeChunk(bytes: number): Uint8Array | undefined {
  const chunk = free.get(bytes)?.pop();
  if (chunk !== undefined) freeBytes -= bytes;
  return chunk;
}

/** Bytes on the free list (for tests and diagnostics). */
export function pooledBytes(): number {
  return freeBytes;
}
