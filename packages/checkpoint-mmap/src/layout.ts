/**
 * Names and geometry of the files in a checkpoint directory:
 *
 * - `MANIFEST`: the one commit point (see manifest.ts). Replaced only by renaming `MANIFEST.tmp`.
 * - `seg-<id>.dat`: a write-once segment, a run of whole chunks (of one or several levels) that
 *   were all settled when written. `<id>` is unique per write attempt and never reused, so a
 *   published (possibly mapped) segment is never opened for writing again.
 * The exclusive lock is an flock on the directory itself (lock.ts); a `checkpoint.lock` file left by
 * an earlier version is not ours to remove and is ignored.
 * @module
 */
import { NODE_SIZE, chunkNodesFor } from '@rotortree/core';

/** The published manifest. */
export const MANIFEST_NAME = 'MANIFEST';
/** Where the next manifest is written before its rename. */
export const MANIFEST_TMP_NAME = 'MANIFEST.tmp';
/** Bytes per chunk of core's `Level` (`chunkNodesFor(n)` nodes of 32 bytes). */
export function chunkBytesFor(n: number): number {
  return chunkNodesFor(n) * NODE_SIZE;
}

/** Largest segment: one mmap window (1 GiB), so a segment always maps as one buffer. */
export const MAX_SEGMENT_BYTES = 2 ** 30;

/** The file name of segment `id`. */
export function segmentName(id: number): string {
  return `seg-${id}.dat`;
}

const SEGMENT_RE = /^seg-(\d{1,16})\.dat$/;

/** The id of a segment file name, or `undefined` for any other name. */
export function parseSegmentName(name: string): number | undefined {
  const m = SEGMENT_RE.exec(name);
  if (m === null) return undefined;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) ? id : undefined;
}

/** True for names this store writes and may remove when nothing references them. */
export function isOwnedLeftover(name: string): boolean {
  return name === MANIFEST_TMP_NAME || parseSegmentName(name) !== undefined;
}
