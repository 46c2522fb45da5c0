/**
 * `openWal`: both steps of opening a WAL in one call, for tools and tests that drive a WAL without
 * the engine (the engine loads a checkpoint between the two steps).
 * @module
 */
import { newTreeId } from '../tree-identity.js';
import type { TreeConfig } from '../tree-identity.js';
import type { Wal, WalRecordVisitor, WalRecovery, WalRunVisitor } from '../wal.js';

const IGNORE: WalRecordVisitor = () => undefined;

/**
 * Opens `wal` (lock, header) and recovers it with `afterSeq` (records after it go to `visit`, or to
 * `visitRun` in runs). The tree identity is `config.treeId` when given, else the log's own, else a
 * new one (a new log). Resolves with what recovery found; on a failure the WAL is closed.
 */
export async function openWal(
  wal: Wal,
  config: TreeConfig & { readonly treeId?: string },
  afterSeq = 0,
  visit: WalRecordVisitor = IGNORE,
  visitRun?: WalRunVisitor,
): Promise<WalRecovery> {
  const opened = await wal.open({ n: config.n, maxDepth: config.maxDepth, hasherId: config.hasherId });
  const treeId = config.treeId ?? opened.treeId ?? newTreeId();
  try {
    return await wal.recover(visitRun === undefined ? { treeId, afterSeq, visit } : { treeId, afterSeq, visit, visitRun });
  } catch (err) {
    await wal.close().catch(() => undefined);
    throw err;
  }
}
