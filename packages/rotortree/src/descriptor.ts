/**
 * The tree descriptor `rotortree.json`: the parameters a directory was created with, so that
 * `open(dir)` needs no options to reopen it. The backends' headers (WAL header, checkpoint
 * manifest) stay the authority: they refuse another n, maxDepth or hasher with `CONFIG_MISMATCH`.
 *
 * ```json
 * { "format": "rotortree", "version": 1, "n": 4, "maxDepth": 32, "hasher": "blake3" }
 * ```
 *
 * Written with write-temp, fsync, rename, fsync-directory, so a crash leaves it whole or absent.
 * A directory whose descriptor is absent but whose WAL exists (a crash between creating the WAL and
 * writing the descriptor) is described from the WAL header instead (see {@link readWalHeader}).
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RotorTreeError } from '@rotortree/core';
import { crc32c, nodeFileSystem, writeFileAtomic } from '@rotortree/core/fs';

/** The parameters of a tree directory. */
export interface TreeDescriptor {
  /** Branching factor. */
  readonly n: number;
  /** Maximum depth. */
  readonly maxDepth: number;
  /** The hasher's id (e.g. `"blake3"`). */
  readonly hasher: string;
}

const FORMAT = 'rotortree';
const VERSION = 1;

function isMissing(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENOENT';
}

function corrupt(file: string, what: string): never {
  throw new RotorTreeError('CORRUPTION', `${file}: ${what}`, { file, offset: 0 });
}

/**
 * Reads the descriptor at `path`; `undefined` when the file does not exist. Throws `CORRUPTION`
 * (with the file) when it does not parse or holds impossible values, `IO` when it cannot be read.
 */
export function readDescriptor(path: string): TreeDescriptor | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw new RotorTreeError('IO', `cannot read ${path}`, { file: path, cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    corrupt(path, 'not valid JSON');
  }
  const obj = json as Record<string, unknown> | null;
  if (obj === null || typeof obj !== 'object' || obj['format'] !== FORMAT) corrupt(path, 'not a rotortree descriptor');
  if (obj['version'] !== VERSION) {
    throw new RotorTreeError('CONFIG_MISMATCH', `${path} has descriptor version ${String(obj['version'])}, this version reads ${VERSION}`, { file: path });
  }
  const { n, maxDepth, hasher } = obj;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 2 || n > 256) corrupt(path, 'n is not an integer in 2..256');
  if (typeof maxDepth !== 'number' || !Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > 64) corrupt(path, 'maxDepth is not an integer in 1..64');
  if (typeof hasher !== 'string' || hasher.length === 0) corrupt(path, 'hasher is not a non-empty string');
  return { n, maxDepth, hasher };
}

/** Writes the descriptor to `path` durably and atomically. Throws `IO`. */
export async function writeDescriptor(path: string, d: TreeDescriptor): Promise<void> {
  const body = { format: FORMAT, version: VERSION, n: d.n, maxDepth: d.maxDepth, hasher: d.hasher };
  const bytes = new TextEncoder().encode(`${JSON.stringify(body, null, 2)}\n`);
  try {
    await writeFileAtomic(nodeFileSystem(), path, bytes);
  } catch (err) {
    throw new RotorTreeError('IO', `cannot write ${path}`, { file: path, cause: err });
  }
}

/** "RTREEWAL": the magic of `@rotortree/wal-fs` logs. */
const WAL_MAGIC = 'RTREEWAL';

/** The fields of a WAL header. */
export interface WalHeader extends TreeDescriptor {
  /** The log holds the records after this sequence number (a checkpoint covers the ones up to it). */
  readonly baseSeq: number;
}

/**
 * The header of the WAL in `walDir` (format: `@rotortree/wal-fs` format.ts, version 1), or
 * `undefined` when there is no log. Throws `CORRUPTION` for a header that is not a valid
 * version-1 header.
 */
export function readWalHeader(walDir: string): WalHeader | undefined {
  const path = join(walDir, 'wal.log');
  let b: Uint8Array;
  try {
    b = readFileSync(path);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw new RotorTreeError('IO', `cannot read ${path}`, { file: path, cause: err });
  }
  if (b.length < 34 || new TextDecoder().decode(b.subarray(0, 8)) !== WAL_MAGIC) corrupt(path, 'no WAL header');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = view.getUint32(8, true);
  if (version !== 1) {
    throw new RotorTreeError('CONFIG_MISMATCH', `${path} has WAL format version ${version}`, { file: path });
  }
  const idLength = view.getUint16(28, true);
  if (b.length < 34 + idLength || view.getUint32(30 + idLength, true) !== crc32c(b, 0, 30 + idLength)) {
    corrupt(path, 'bad WAL header checksum');
  }
  return {
    n: view.getUint32(12, true),
    maxDepth: view.getUint32(16, true),
    hasher: new TextDecoder().decode(b.subarray(30, 30 + idLength)),
    baseSeq: view.getUint32(20, true) + view.getUint32(24, true) * 2 ** 32,
  };
}
