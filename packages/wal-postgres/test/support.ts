/**
 * Helpers of the wal-postgres tests: the PostgreSQL pair (the shared one `scripts/test.sh` starts,
 * or a private one for tests that kill or stop servers), tree names of their own, the engine over
 * the WAL, and a plain `pg` client for looking at (and damaging) the tables.
 */
import pg from 'pg';
import { isRotorTreeError, RotorTree } from '@rotortree/core';
import type { CheckpointStore, ErrorCode, Wal } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { lookupService } from '@rotortree/conformance/network';
import type { PostgresService, SkipContext } from '@rotortree/conformance/network';
import { useService } from '@rotortree/conformance/network';
import { postgresWal } from '../src/index.js';
import type { PostgresWalOptions } from '../src/index.js';

export { leafAt, leavesAt } from '@rotortree/conformance';

/** The shared pair, looked up once per file. */
export const shared = await lookupService('postgres');

/** The shared pair's info, or skips the test (fails under CI). */
export function sharedPair(ctx: SkipContext): PostgresService {
  return useService(shared, ctx);
}

let counter = 0;
/** A tree name no other test (or run) uses. */
export function treeName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

export const HASHER = blake3();

/** A WAL on `connection` with short timeouts (tests must not hang). */
export function walOn(connection: string, tree: string, options: Partial<PostgresWalOptions> = {}): Wal {
  return postgresWal({ connection, tree, timeoutMs: 5_000, lockTimeoutMs: 1_000, ...options });
}

/** The engine (n = 4, manual flushes) over `wal`. */
export function openTree(wal: Wal, options: { checkpoints?: CheckpointStore; treeId?: string; create?: boolean; n?: number } = {}): Promise<RotorTree> {
  return RotorTree.open({
    hasher: HASHER,
    n: options.n ?? 4,
    maxDepth: 24,
    wal,
    flushPolicy: { kind: 'manual' },
    ...(options.checkpoints === undefined ? {} : { checkpoints: options.checkpoints }),
    ...(options.treeId === undefined ? {} : { treeId: options.treeId }),
    ...(options.create === undefined ? {} : { create: options.create }),
  });
}

/** The code of the RotorTreeError `p` rejects with, `resolved`, or the error's name. */
export async function outcome(p: Promise<unknown> | (() => unknown)): Promise<ErrorCode | string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'resolved';
  } catch (err) {
    if (isRotorTreeError(err)) return err.code;
    return err instanceof Error ? err.name : String(err);
  }
}

/**
 * Like {@link outcome}, but through the engine's poisoning: the engine rejects a failed flush with
 * `POISONED` whose `cause` is the WAL's error; this gives the deepest code in the cause chain.
 */
export async function rootCause(p: Promise<unknown> | (() => unknown)): Promise<ErrorCode | string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'resolved';
  } catch (err) {
    let code: string = err instanceof Error ? err.name : String(err);
    for (let e: unknown = err; e instanceof Error; e = e.cause) if (isRotorTreeError(e)) code = e.code;
    return code;
  }
}

/** The error `p` rejects with (fails when it resolves). */
export async function errorOf(p: Promise<unknown>): Promise<Error & { code?: string; file?: string; seq?: number }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** A plain client for looking at the tables; end it after the test. */
export async function sqlClient(connection: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: connection, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** The leaves of a tree of `size` leaves, flat, read from a snapshot. */
export function leavesOf(tree: RotorTree): Uint8Array {
  const snap = tree.snapshot();
  const out = new Uint8Array(snap.size * 32);
  for (let i = 0; i < snap.size; i++) snap.readNode(0, i, out, i * 32);
  return out;
}
