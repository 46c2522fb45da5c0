/**
 * Who may write a tree: the writer whose epoch the tree row holds. Every write checks it in the
 * same statement (see flush-writer.ts), so a writer that lost the writership can never land a row.
 *
 * Taking the writership (the WAL's open) is one statement on the tree row, in its own commit:
 * 1. lock the row (creating it, epoch 1, if the name is new);
 * 2. unless taking over: is the current writer alive? A writer holds, for as long as its session
 *    lives, a session advisory lock keyed by the tree and its epoch; if it is held, `FILE_LOCKED`
 *    (after waiting a little for a writer killed a moment ago, whose session the server ends once
 *    it notices);
 * 3. raise the epoch, record who holds it, and take the advisory lock of the new epoch.
 * The advisory lock is keyed by the epoch too, so a takeover needs nothing from the old writer's
 * session: its lock names an epoch that is no longer the tree's, and its next write is refused.
 *
 * A writer in the middle of a flush holds the row (its write locks it `FOR SHARE` until its
 * commit), so the row lock waits at most `lock_timeout`. If the old writer is stuck there (cut off
 * mid-transaction), a takeover ends its session (`pg_terminate_backend`, by the pid and start time
 * the row records; else the server's `idle_in_transaction_session_timeout` ends it) and tries
 * again until its time is up.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RotorTreeError } from '@rotortree/core';
import type { StoredLog } from '@rotortree/core/backend';
import { isTreeId } from '@rotortree/core/backend';
import type { Tables } from './schema.js';
import type { BackendIdentity } from './server-check.js';
import type { Session } from './session.js';

/** What taking the writership found. */
export interface Claim {
  /** The epoch this writer holds: every write checks it. */
  readonly epoch: number;
  /** What the tree row says about the log, or `undefined` when the tree has no log yet. */
  readonly stored: StoredLog | undefined;
  /** The `last_seq` of the log's last row, or `undefined` without rows. */
  readonly tail: number | undefined;
}

export interface ClaimRequest {
  readonly tree: string;
  /** The advisory lock's key text (the epoch is its seed). */
  readonly lockKey: string;
  readonly takeover: boolean;
  /** How long a takeover keeps trying to get the row. */
  readonly timeoutMs: number;
  /**
   * How long an open without takeover waits for a writer's session that holds the tree to end
   * (a writer killed a moment ago leaves a session the server ends once it notices).
   */
  readonly liveWaitMs: number;
  /** A description of this writer (host, process). */
  readonly holder: string;
  readonly me: BackendIdentity;
  readonly location: string;
}

const LOCK_NOT_AVAILABLE = '55P03';

/** The current writer's session is alive (thrown by an attempt without takeover). */
class HolderAlive extends Error {}

/** Takes the writership of `request.tree` (see the module comment). */
export async function claimTree(session: Session, tables: Tables, request: ClaimRequest): Promise<Claim> {
  const started = Date.now();
  const deadline = started + request.timeoutMs;
  for (;;) {
    try {
      return await attempt(session, tables, request);
    } catch (err) {
      if (err instanceof HolderAlive) {
        if (Date.now() - started >= request.liveWaitMs) {
          throw new RotorTreeError('FILE_LOCKED', `${request.location}: another writer holds the tree (its session is alive)`, { file: request.location });
        }
        await sleep(50);
        continue;
      }
      if ((err as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw err;
      if (!request.takeover) {
        throw new RotorTreeError('FILE_LOCKED', `${request.location}: a writer is writing the tree (its row stayed locked)`, { file: request.location, cause: err });
      }
      if (Date.now() > deadline) {
        throw new RotorTreeError('FILE_LOCKED', `${request.location}: could not take the tree over within ${request.timeoutMs} ms`, { file: request.location, cause: err });
      }
      await endHolder(session, tables, request);
    }
  }
}

async function attempt(session: Session, tables: Tables, request: ClaimRequest): Promise<Claim> {
  const { tree, lockKey, location } = request;
  // One statement: ON CONFLICT DO UPDATE locks the row before it evaluates its WHERE, so the
  // liveness check and the raise of the epoch happen under the row lock, and commit together.
  const { rows } = await session.query(
    `INSERT INTO ${tables.trees} AS tr (name, epoch, holder, holder_pid, holder_since) VALUES ($1, 1, $3, $4, $5::timestamptz)
     ON CONFLICT (name) DO UPDATE SET epoch = tr.epoch + 1, holder = $3, holder_pid = $4, holder_since = $5::timestamptz
       WHERE $6::boolean OR CASE WHEN pg_try_advisory_lock(hashtextextended($2, tr.epoch))
                                 THEN pg_advisory_unlock(hashtextextended($2, tr.epoch)) ELSE false END
     RETURNING epoch, n, max_depth, hasher_id, tree_id, base_seq,
       pg_try_advisory_lock(hashtextextended($2, epoch)),
       tree_id IS NULL AND EXISTS (SELECT 1 FROM ${tables.records} WHERE tree = $1),
       (SELECT last_seq FROM ${tables.records} WHERE tree = $1 ORDER BY first_seq DESC, part DESC LIMIT 1)`,
    [tree, lockKey, request.holder, request.me.pid, request.me.since, request.takeover],
  );
  if (rows.length === 0) throw new HolderAlive();
  const [epoch, n, maxDepth, hasherId, treeId, baseSeq, locked, orphans, tail] = rows[0] as (string | null)[];
  if (locked !== 't') throw new RotorTreeError('FILE_LOCKED', `${location}: the lock of epoch ${String(epoch)} is held by another session`, { file: location });
  if (orphans === 't') {
    throw new RotorTreeError('CORRUPTION', `${location}: the tree row has no log, but ${tables.records} holds rows of the tree`, { file: location });
  }
  return {
    epoch: Number(epoch),
    stored: treeId === null ? undefined : storedLog(location, { n, maxDepth, hasherId, treeId, baseSeq }),
    tail: tail === null || tail === undefined ? undefined : Number(tail),
  };
}

/** The tree row's description of the log; a malformed one is `CORRUPTION`. */
function storedLog(location: string, row: Record<'n' | 'maxDepth' | 'hasherId' | 'treeId' | 'baseSeq', string | null | undefined>): StoredLog {
  const n = Number(row.n);
  const maxDepth = Number(row.maxDepth);
  const baseSeq = Number(row.baseSeq);
  if (!isTreeId(row.treeId) || !Number.isSafeInteger(n) || !Number.isSafeInteger(maxDepth) || !Number.isSafeInteger(baseSeq) || baseSeq < 0 || !row.hasherId) {
    throw new RotorTreeError('CORRUPTION', `${location}: the tree row is damaged (${JSON.stringify(row)})`, { file: location });
  }
  return { n, maxDepth, hasherId: row.hasherId, treeId: row.treeId, baseSeq };
}

/** Ends the session that the row says holds the tree (if it is still that session). */
async function endHolder(session: Session, tables: Tables, request: ClaimRequest): Promise<void> {
  try {
    await session.query(
      `SELECT pg_terminate_backend(a.pid) FROM ${tables.trees} t JOIN pg_stat_activity a
         ON a.pid = t.holder_pid AND a.backend_start = t.holder_since
       WHERE t.name = $1 AND a.pid <> pg_backend_pid()`,
      [request.tree],
    );
  } catch {
    // Not allowed (another role without pg_signal_backend): outwait it instead.
  }
  await sleep(50);
}

/** The tree's epoch now (read on a session of its own), or `undefined` when it cannot be read. */
export async function currentEpoch(session: Session, tables: Tables, tree: string): Promise<number | undefined> {
  const { rows } = await session.query(`SELECT epoch FROM ${tables.trees} WHERE name = $1`, [tree]);
  const epoch = rows[0]?.[0];
  return epoch === undefined || epoch === null ? undefined : Number(epoch);
}
