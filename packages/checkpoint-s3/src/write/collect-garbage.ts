/**
 * Garbage collection by the live writer, after it published: removes this tree's segment and
 * manifest objects that the published manifest does not name (leftovers of failed writes, of stale
 * writers, replaced manifests) and epoch claims below its own, keeping:
 * - every segment the published manifest names (a later manifest names a superset of an earlier
 *   one's segments, so the previous manifest's segments are kept too);
 * - the manifests in `keep` (the published one and the one it replaced, which a follower may be
 *   opening right now);
 * - everything of a higher epoch than the collector's (a newer writer's, that this one, stale
 *   without knowing yet, must never touch).
 * @module
 */
import type { TreeKeys } from '../format/keys.js';
import { EPOCHS_DIR, MANIFESTS_DIR, SEGMENTS_DIR, epochOfKey, isDataKey, isEpochKey, segmentKey } from '../format/keys.js';
import type { Manifest } from '../format/manifest.js';
import type { ObjectStore } from '../s3/objects.js';
import { runLimited } from './limit.js';

export interface GarbageScope {
  readonly objects: ObjectStore;
  readonly keys: TreeKeys;
  /** The collector's epoch. */
  readonly epoch: number;
  readonly concurrency: number;
}

/** Lists and removes the garbage (see the module comment); returns the keys removed. */
export async function collectGarbage(scope: GarbageScope, published: Manifest, keep: ReadonlySet<string>): Promise<string[]> {
  const { objects, keys, epoch } = scope;
  const named = new Set(published.segments.map((s) => segmentKey(keys, s.level, s.firstChunk, s.chunkCount, s.epoch)));
  const doomed: string[] = [];
  for (const dir of [SEGMENTS_DIR, MANIFESTS_DIR]) {
    for (const o of await objects.list(`${keys.root}${dir}`)) {
      const e = epochOfKey(keys, o.key);
      if (e === undefined || e > epoch || !isDataKey(keys, o.key) || named.has(o.key) || keep.has(o.key)) continue;
      doomed.push(o.key);
    }
  }
  for (const o of await objects.list(`${keys.root}${EPOCHS_DIR}`)) {
    const e = epochOfKey(keys, o.key);
    if (isEpochKey(keys, o.key) && e !== undefined && e < epoch) doomed.push(o.key);
  }
  await runLimited(doomed, scope.concurrency, (key) => objects.delete(key));
  return doomed;
}
