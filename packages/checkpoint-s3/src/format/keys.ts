/**
 * The object keys of one tree under the store's prefix (`<p>` = `<prefix>/<treeId>`):
 *
 * | key | what | written |
 * | --- | --- | --- |
 * | `<p>/seg/<level>/<first>-<count>.e<epoch>` | a segment: `count` whole settled chunks of `level` from chunk `first` (segment.ts) | once, `If-None-Match: *` |
 * | `<p>/manifest/<seq>.e<epoch>` | a manifest: the checkpoint covering WAL records up to `seq` (manifest.ts) | once, `If-None-Match: *` |
 * | `<p>/pointer` | the standalone pointer: which manifest is published (pointer-format.ts) | replaced only by `If-Match` on the version its writer last wrote |
 * | `<p>/epoch/<epoch>` | the standalone pointer's epoch claims: one per writer that opened | once, `If-None-Match: *` |
 *
 * Numbers are zero-padded decimal (level 2 digits, chunk 12, seq and epoch 16) so that listings
 * sort. Every key a writer writes carries its epoch, so two writers (a live one and a stale one)
 * never write the same key: a stale writer leaves garbage, never overwrites. The tree id in the
 * path keeps two trees under one prefix apart (and one tree's garbage collection away from the other's).
 * @module
 */

/** Where one tree's objects live. */
export interface TreeKeys {
  /** `<prefix>/<treeId>/` (or `<treeId>/` without a prefix). */
  readonly root: string;
}

/** The keys of tree `treeId` under `prefix` (trailing slashes ignored; empty: the bucket's top). */
export function treeKeys(prefix: string, treeId: string): TreeKeys {
  const p = prefix.replace(/\/+$/, '');
  return { root: p === '' ? `${treeId}/` : `${p}/${treeId}/` };
}

const pad = (v: number, width: number): string => String(v).padStart(width, '0');

/** The key of segment `first`..`first+count-1` of `level`, written by `epoch`. */
export function segmentKey(keys: TreeKeys, level: number, first: number, count: number, epoch: number): string {
  return `${keys.root}seg/${pad(level, 2)}/${pad(first, 12)}-${count}.e${epoch}`;
}

/** The key of the manifest of `seq` written by `epoch`. */
export function manifestKey(keys: TreeKeys, seq: number, epoch: number): string {
  return `${keys.root}manifest/${pad(seq, 16)}.e${epoch}`;
}

/** The standalone pointer's key. */
export function pointerKey(keys: TreeKeys): string {
  return `${keys.root}pointer`;
}

/** The key of the claim of `epoch`. */
export function epochKey(keys: TreeKeys, epoch: number): string {
  return `${keys.root}epoch/${pad(epoch, 16)}`;
}

/** The folders listed by garbage collection and by the claim of an epoch. */
export const SEGMENTS_DIR = 'seg/';
export const MANIFESTS_DIR = 'manifest/';
export const EPOCHS_DIR = 'epoch/';

const SEGMENT_RE = /^seg\/(\d{2})\/(\d{12})-(\d{1,12})\.e(\d{1,16})$/;
const MANIFEST_RE = /^manifest\/(\d{16})\.e(\d{1,16})$/;
const EPOCH_RE = /^epoch\/(\d{16})$/;

/** The epoch a key of this tree was written by, or `undefined` for a key this store does not write (or the pointer). */
export function epochOfKey(keys: TreeKeys, key: string): number | undefined {
  if (!key.startsWith(keys.root)) return undefined;
  const rest = key.slice(keys.root.length);
  const m = SEGMENT_RE.exec(rest) ?? MANIFEST_RE.exec(rest);
  if (m !== null) return safe(m[m.length - 1]!);
  const e = EPOCH_RE.exec(rest);
  return e === null ? undefined : safe(e[1]!);
}

/** True for a segment or manifest key this store writes; false for the pointer, epoch claims and foreign keys. */
export function isDataKey(keys: TreeKeys, key: string): boolean {
  const rest = key.startsWith(keys.root) ? key.slice(keys.root.length) : '';
  return SEGMENT_RE.test(rest) || MANIFEST_RE.test(rest);
}

/** True for an epoch claim key of this tree. */
export function isEpochKey(keys: TreeKeys, key: string): boolean {
  return key.startsWith(keys.root) && EPOCH_RE.test(key.slice(keys.root.length));
}

function safe(digits: string): number | undefined {
  const v = Number(digits);
  return Number.isSafeInteger(v) ? v : undefined;
}
