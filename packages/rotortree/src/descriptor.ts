/**
 * The tree descriptor `rotortree.json`: the directory's own record of the tree it holds — its
 * identity and parameters, so that `open(dir)` needs no options to reopen it, and so that a file
 * the tree must have (its WAL) is known to be missing, not absent.
 *
 * ```json
 * { "format": "rotortree", "version": 2, "treeId": "<32 hex>", "n": 4, "maxDepth": 32,
 *   "hasher": "blake3", "state": "created", "checksum": "<crc32c hex>" }
 * ```
 *
 * Creation is two steps, each written with write-temp, fsync, rename, fsync-directory (a crash
 * leaves the old or the new descriptor, whole): first `state: "creating"` (before any backend file
 * exists), then, once the backends hold the tree, `state: "created"`. A `creating` descriptor lets
 * the next open create what is missing; a `created` one makes a missing WAL `CORRUPTION`. The
 * `checksum` is the CRC-32C of the JSON of every other field in this order: a damaged value that
 * still parses is `CORRUPTION`, not another tree. The backends stamp the same `treeId` into every
 * file they write and refuse a file of another tree.
 * @module
 */
import { RotorTreeError, isTreeId } from '@rotortree/core';
import { crc32c, nodeFileSystem, readWholeFile, writeFileAtomic } from '@rotortree/core/fs';

/** The parameters of a tree directory. */
export interface TreeDescriptor {
  /** The tree's identity (32 hex digits), stamped on every file of the tree. */
  readonly treeId: string;
  /** Branching factor. */
  readonly n: number;
  /** Maximum depth. */
  readonly maxDepth: number;
  /** The hasher's id (e.g. `"blake3"`). */
  readonly hasher: string;
  /** `creating` until the backends hold the tree, then `created`. */
  readonly state: 'creating' | 'created';
}

const FORMAT = 'rotortree';
const VERSION = 2;

function corrupt(file: string, what: string): never {
  throw new RotorTreeError('CORRUPTION', `${file}: ${what}`, { file, offset: 0 });
}

/** The fields in their fixed order: what the checksum covers. */
function body(d: TreeDescriptor): Record<string, unknown> {
  return { format: FORMAT, version: VERSION, treeId: d.treeId, n: d.n, maxDepth: d.maxDepth, hasher: d.hasher, state: d.state };
}

function checksumOf(d: TreeDescriptor): string {
  return crc32c(new TextEncoder().encode(JSON.stringify(body(d)))).toString(16).padStart(8, '0');
}

/**
 * Reads the descriptor at `path`; `undefined` when the file does not exist. Throws `CORRUPTION`
 * (with the file) when it does not parse, fails its checksum or holds impossible values,
 * `CONFIG_MISMATCH` for another format version, `IO` when it cannot be read.
 */
export async function readDescriptor(path: string): Promise<TreeDescriptor | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readWholeFile(nodeFileSystem(), path);
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code === 'ENOENT') return undefined;
    throw new RotorTreeError('IO', `cannot read ${path}`, { file: path, cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    corrupt(path, 'not valid JSON');
  }
  const obj = json as Record<string, unknown> | null;
  if (obj === null || typeof obj !== 'object' || obj['format'] !== FORMAT) corrupt(path, 'not a rotortree descriptor');
  if (obj['version'] !== VERSION) {
    throw new RotorTreeError('CONFIG_MISMATCH', `${path} has descriptor version ${String(obj['version'])}, this version reads ${VERSION}`, { file: path });
  }
  const { treeId, n, maxDepth, hasher, state, checksum } = obj;
  if (!isTreeId(treeId)) corrupt(path, 'treeId is not 32 lowercase hex digits');
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 2 || n > 256) corrupt(path, 'n is not an integer in 2..256');
  if (typeof maxDepth !== 'number' || !Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > 64) corrupt(path, 'maxDepth is not an integer in 1..64');
  if (typeof hasher !== 'string' || hasher.length === 0) corrupt(path, 'hasher is not a non-empty string');
  if (state !== 'creating' && state !== 'created') corrupt(path, 'state is neither "creating" nor "created"');
  const d: TreeDescriptor = { treeId, n, maxDepth, hasher, state };
  if (checksum !== checksumOf(d)) corrupt(path, 'checksum mismatch');
  return d;
}

/** Writes the descriptor to `path` durably and atomically. Throws `IO`. */
export async function writeDescriptor(path: string, d: TreeDescriptor): Promise<void> {
  const text = `${JSON.stringify({ ...body(d), checksum: checksumOf(d) }, null, 2)}\n`;
  try {
    await writeFileAtomic(nodeFileSystem(), path, new TextEncoder().encode(text));
  } catch (err) {
    throw new RotorTreeError('IO', `cannot write ${path}`, { file: path, cause: err });
  }
}
