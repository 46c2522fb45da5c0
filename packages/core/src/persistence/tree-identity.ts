/**
 * What every stored file of a tree is stamped with, and the one place that compares a stored stamp
 * with the tree being opened.
 *
 * A tree has parameters (n, maxDepth, the hasher's id) and an **identity**: 16 random bytes (as 32
 * lowercase hex digits) created once, when the tree is created, and written into every file a backend
 * writes (a WAL header, a checkpoint manifest, each segment). Two trees with the same parameters
 * therefore never mix: a file copied from another tree is refused (`CORRUPTION`, naming the file)
 * instead of being replayed or served.
 * @module
 */
import { RotorTreeError } from '../errors.js';
import { assertTreeParams } from '../tree/shape.js';

/** The parameters of a tree: a store is never reopened with other values (`CONFIG_MISMATCH`). */
export interface TreeConfig {
  /** Branching factor (2..256). */
  readonly n: number;
  /** Maximum depth (1..64). */
  readonly maxDepth: number;
  /** {@link Hasher.id} of the tree's hasher. */
  readonly hasherId: string;
}

/** A tree's parameters and its identity: what a backend stamps on everything it writes. */
export interface TreeIdentity extends TreeConfig {
  /** The tree's identity: 32 lowercase hex digits (16 random bytes), created once with the tree. */
  readonly treeId: string;
}

/** Bytes of a tree identity in binary formats. */
export const TREE_ID_BYTES = 16;

const TREE_ID = /^[0-9a-f]{32}$/;

/** True when `id` is a well-formed tree identity (32 lowercase hex digits). */
export function isTreeId(id: unknown): id is string {
  return typeof id === 'string' && TREE_ID.test(id);
}

/** Random bytes drawn in bulk (one Web Crypto call per 64 identities: each call costs tens of µs in Node). */
const pool = new Uint8Array(TREE_ID_BYTES * 64);
let poolAt = pool.length;

/** A new random tree identity (Web Crypto: Node 20+ and browsers). */
export function newTreeId(): string {
  if (poolAt === pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const id = treeIdFromBytes(pool, poolAt);
  poolAt += TREE_ID_BYTES;
  return id;
}

/** The 16 bytes of a tree identity, for binary headers. Throws `TypeError` for a malformed id. */
export function treeIdToBytes(id: string): Uint8Array {
  if (!isTreeId(id)) throw new TypeError(`a tree id is 32 lowercase hex digits, got ${String(id)}`);
  const out = new Uint8Array(TREE_ID_BYTES);
  for (let i = 0; i < TREE_ID_BYTES; i++) out[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The tree identity held in `bytes[offset .. offset + 16)`. */
export function treeIdFromBytes(bytes: Uint8Array, offset = 0): string {
  let s = '';
  for (let i = 0; i < TREE_ID_BYTES; i++) {
    const b = bytes[offset + i] ?? 0;
    s += (b < 16 ? '0' : '') + b.toString(16);
  }
  return s;
}

/** Throws `TypeError`/`RangeError` unless `config` holds valid tree parameters. */
export function assertTreeConfig(config: unknown): asserts config is TreeConfig {
  if (config === null || typeof config !== 'object') throw new TypeError('the tree config must be an object { n, maxDepth, hasherId }');
  const { n, maxDepth, hasherId } = config as Partial<TreeConfig>;
  assertTreeParams(n, maxDepth);
  if (typeof hasherId !== 'string' || hasherId.length === 0) throw new TypeError('hasherId must be a non-empty string');
}

/** Throws `TypeError`/`RangeError` unless `tree` holds valid parameters and a well-formed identity. */
export function assertTreeIdentity(tree: unknown): asserts tree is TreeIdentity {
  assertTreeConfig(tree);
  const { treeId } = tree as Partial<TreeIdentity>;
  if (!isTreeId(treeId)) throw new TypeError(`treeId must be 32 lowercase hex digits, got ${String(treeId)}`);
}

/** True when two configs name the same parameters. */
export function sameTreeConfig(a: TreeConfig, b: TreeConfig): boolean {
  return a.n === b.n && a.maxDepth === b.maxDepth && a.hasherId === b.hasherId;
}

/**
 * Compares what `location` holds with the tree being opened: another identity is `CORRUPTION` (the
 * file belongs to another tree), other parameters are `CONFIG_MISMATCH`. `expected.treeId`
 * undefined: only the parameters are compared (the caller learns the identity from this file).
 */
export function checkStoredTree(stored: TreeConfig & { readonly treeId?: string }, expected: TreeConfig & { readonly treeId?: string | undefined }, location: string): void {
  if (expected.treeId !== undefined && stored.treeId !== expected.treeId) {
    throw new RotorTreeError(
      'CORRUPTION',
      `${location} belongs to another tree (id ${String(stored.treeId)}); this tree is ${expected.treeId}`,
      { file: location },
    );
  }
  if (!sameTreeConfig(stored, expected)) {
    throw new RotorTreeError(
      'CONFIG_MISMATCH',
      `${location} was written with n=${stored.n}, maxDepth=${stored.maxDepth}, hasher "${stored.hasherId}"; ` +
        `opened with n=${expected.n}, maxDepth=${expected.maxDepth}, hasher "${expected.hasherId}"`,
      { file: location },
    );
  }
}
