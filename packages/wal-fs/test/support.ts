/** Helpers shared by the wal-fs tests. */
import { isRotorTreeError } from '@rotortree/core';
import { openWal } from '@rotortree/core/backend';
import type { ErrorCode, Wal, WalConfig, WalRecovery } from '@rotortree/core';
import type { TreeIdentity } from '@rotortree/core/backend';

/** The tree of the tests: its parameters and a fixed identity (every log the tests write belongs to it). */
export const CONFIG: TreeIdentity = { n: 4, maxDepth: 16, hasherId: 'blake3', treeId: '5a'.repeat(16) };

/** Leaf i of a test: 32 bytes that depend on i (never all zero). */
export function leaf(i: number): Uint8Array {
  const out = new Uint8Array(32);
  for (let j = 0; j < 32; j++) out[j] = ((i * 131 + j * 7 + 1) ^ (i >>> 8)) & 0xff || 1;
  return out;
}

/** k leaves starting at leaf `first`, flat. */
export function leaves(first: number, k: number): Uint8Array {
  const out = new Uint8Array(k * 32);
  for (let i = 0; i < k; i++) out.set(leaf(first + i), i * 32);
  return out;
}

export interface Opened {
  readonly result: WalRecovery;
  /** Visited records: seq and a copy of the leaves. */
  readonly records: { seq: number; leaves: Uint8Array }[];
}

/** Opens `wal`, collecting every visited record. */
export async function openCollect(wal: Wal, afterSeq = 0, config: WalConfig & { treeId?: string } = CONFIG): Promise<Opened> {
  const records: { seq: number; leaves: Uint8Array }[] = [];
  const result = await openWal(wal, config, afterSeq, (seq, l) => records.push({ seq, leaves: l.slice() }));
  return { result, records };
}

/** The code of the RotorTreeError `p` rejects with (fails the test on anything else). */
export async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<ErrorCode | 'resolved'> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'resolved';
  } catch (err) {
    if (isRotorTreeError(err)) return err.code;
    throw err;
  }
}

/** The RotorTreeError `p` rejects with. */
export async function errorOf(p: Promise<unknown>): Promise<{ code: string; file?: string; offset?: number }> {
  try {
    await p;
  } catch (err) {
    if (isRotorTreeError(err)) return { code: err.code, file: err.file, offset: err.offset };
    throw err;
  }
  throw new Error('expected a rejection');
}
