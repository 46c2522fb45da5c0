/**
 * The rules `WalBase` keeps for every backend: lifecycle, identity and parameters, sequence and
 * payload checks, recovery order, flush serialisation and poisoning. A scripted backend (its hooks
 * record what they are asked and fail on demand) shows that the hooks only ever see checked calls.
 */
import { describe, expect, it } from 'vitest';
import { RotorTreeError } from '../src/errors.js';
import { WalBase } from '../src/persistence/kit/wal-base.js';
import type { LogReplay, StoredLog } from '../src/persistence/kit/wal-base.js';
import { openWal } from '../src/persistence/kit/open-wal.js';
import type { TreeIdentity } from '../src/persistence/tree-identity.js';
import type { WalCapabilities, WalRecovery } from '../src/persistence/wal.js';
import { codeOf, rejectionCode } from './support/outcomes.js';

const TREE: TreeIdentity = { n: 4, maxDepth: 16, hasherId: 'test', treeId: '11'.repeat(16) };
const OTHER_ID = '22'.repeat(16);
const leaf = (i: number): Uint8Array => new Uint8Array(32).fill(i + 1);

/** A WAL whose "disk" is an array, whose recovery replays `script` as given, and whose flush can be held or failed. */
class ScriptedWal extends WalBase {
  readonly supports: WalCapabilities = { durable: false };
  readonly location = 'scripted';
  stored: StoredLog | undefined;
  /** Records recovery hands over (seq, leaf count), in this order, whatever they are. */
  script: { seq: number; leaves: number }[] = [];
  reportLast: number | undefined;
  appended: number[] = [];
  flushes = 0;
  truncations: number[] = [];
  closes = 0;
  failFlush: unknown;
  hold: Promise<void> | undefined;

  protected async _open(): Promise<StoredLog | undefined> {
    return this.stored;
  }

  protected async _create(tree: TreeIdentity): Promise<void> {
    this.stored = { ...tree, baseSeq: 0 };
  }

  protected async _recover(replay: LogReplay): Promise<WalRecovery> {
    let last = this.stored!.baseSeq;
    for (const r of this.script) {
      if (r.seq > replay.afterSeq) replay.visit(r.seq, new Uint8Array(32 * r.leaves));
      last = r.seq;
    }
    return { lastSeq: this.reportLast ?? last };
  }

  protected _append(seq: number): void {
    this.appended.push(seq);
  }

  protected async _flush(): Promise<void> {
    this.flushes++;
    if (this.hold !== undefined) await this.hold;
    if (this.failFlush !== undefined) throw this.failFlush;
  }

  protected async _truncate(upToSeq: number): Promise<void> {
    this.truncations.push(upToSeq);
  }

  protected async _close(): Promise<void> {
    this.closes++;
  }
}

async function opened(wal = new ScriptedWal()): Promise<ScriptedWal> {
  await openWal(wal, TREE);
  return wal;
}

describe('WalBase: lifecycle', () => {
  it('open, recover, use, close; misuse is TypeError, use after close CLOSED', async () => {
    const wal = new ScriptedWal();
    expect(() => wal.append(1, leaf(0))).toThrow(TypeError);
    await expect(wal.recover({ treeId: TREE.treeId, afterSeq: 0, visit: () => {} })).rejects.toThrow(TypeError);
    const found = await wal.open(TREE);
    expect(found).toEqual({ treeId: undefined, location: 'scripted', baseSeq: 0 });
    await expect(wal.open(TREE)).rejects.toThrow(TypeError);
    expect(() => wal.append(1, leaf(0))).toThrow(TypeError); // recover first
    expect(await wal.recover({ treeId: TREE.treeId, afterSeq: 0, visit: () => {} })).toEqual({ lastSeq: 0 });
    expect(wal.stored?.treeId).toBe(TREE.treeId); // a new log is stamped with the tree
    wal.append(1, leaf(0));
    expect(await wal.flush()).toBe(1);
    await wal.close();
    await wal.close();
    expect(wal.closes).toBe(1);
    expect(codeOf(() => wal.append(2, leaf(1)))).toBe('CLOSED');
    expect(await rejectionCode(wal.flush())).toBe('CLOSED');
    expect(await rejectionCode(wal.open(TREE))).toBe('CLOSED');
  });

  it('rejects bad arguments before any hook runs', async () => {
    const wal = new ScriptedWal();
    await expect(wal.open({ n: 1, maxDepth: 4, hasherId: 'x' })).rejects.toThrow(RangeError);
    await expect(wal.open({ n: 4, maxDepth: 4, hasherId: '' })).rejects.toThrow(TypeError);
    await wal.open(TREE);
    await expect(wal.recover({ treeId: 'not-an-id', afterSeq: 0, visit: () => {} })).rejects.toThrow(TypeError);
    await expect(wal.recover({ treeId: TREE.treeId, afterSeq: -1, visit: () => {} })).rejects.toThrow(RangeError);
  });
});

describe('WalBase: the tree a log belongs to', () => {
  it('other parameters are CONFIG_MISMATCH at open; another identity CORRUPTION at recover, naming the log', async () => {
    for (const other of [{ n: 2 }, { maxDepth: 15 }, { hasherId: 'other' }]) {
      const wal = new ScriptedWal();
      wal.stored = { ...TREE, ...other, baseSeq: 0 };
      const err = await wal.open(TREE).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CONFIG_MISMATCH', file: 'scripted' });
      expect(wal.closes).toBe(1); // the lock is released
    }
    const wal = new ScriptedWal();
    wal.stored = { ...TREE, treeId: OTHER_ID, baseSeq: 0 };
    expect((await wal.open(TREE)).treeId).toBe(OTHER_ID);
    const err = await wal.recover({ treeId: TREE.treeId, afterSeq: 0, visit: () => {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPTION', file: 'scripted' });
  });

  it('a missing log behind a checkpoint, and a log that starts after it, are CORRUPTION', async () => {
    const missing = new ScriptedWal();
    await missing.open(TREE);
    expect(await rejectionCode(missing.recover({ treeId: TREE.treeId, afterSeq: 3, visit: () => {} }))).toBe('CORRUPTION');
    const late = new ScriptedWal();
    late.stored = { ...TREE, baseSeq: 5 };
    await late.open(TREE);
    expect(await rejectionCode(late.recover({ treeId: TREE.treeId, afterSeq: 4, visit: () => {} }))).toBe('CORRUPTION');
  });
});

describe('WalBase: recovery order', () => {
  it('hands over records after afterSeq in order, and continues a log that ends before it', async () => {
    const wal = new ScriptedWal();
    wal.stored = { ...TREE, baseSeq: 0 };
    wal.script = [1, 2, 3].map((seq) => ({ seq, leaves: 1 }));
    const seen: number[] = [];
    expect(await openWal(wal, TREE, 1, (seq) => seen.push(seq))).toEqual({ lastSeq: 3 });
    expect(seen).toEqual([2, 3]);
    const ahead = new ScriptedWal();
    ahead.stored = { ...TREE, baseSeq: 0 };
    ahead.script = [{ seq: 1, leaves: 1 }];
    expect(await openWal(ahead, TREE, 7)).toEqual({ lastSeq: 7 });
    expect(ahead.truncations).toEqual([7]);
    ahead.append(8, leaf(8));
    expect(() => ahead.append(10, leaf(9))).toThrow(RangeError);
  });

  it('a gap, a repeat, an empty record or a wrong last seq from the backend is CORRUPTION', async () => {
    const cases: { script: { seq: number; leaves: number }[]; reportLast?: number }[] = [
      { script: [{ seq: 1, leaves: 1 }, { seq: 3, leaves: 1 }] },
      { script: [{ seq: 1, leaves: 1 }, { seq: 1, leaves: 1 }] },
      { script: [{ seq: 1, leaves: 0 }] },
      { script: [{ seq: 1, leaves: 1 }], reportLast: 2 },
    ];
    for (const c of cases) {
      const wal = new ScriptedWal();
      wal.stored = { ...TREE, baseSeq: 0 };
      wal.script = c.script;
      if (c.reportLast !== undefined) wal.reportLast = c.reportLast;
      const err = await openWal(wal, TREE).catch((e: unknown) => e);
      expect(err, JSON.stringify(c)).toMatchObject({ code: 'CORRUPTION', file: 'scripted' });
    }
  });
});

describe('WalBase: appends', () => {
  it('checks seq (RangeError) and payload (INVALID_NODE) before the backend sees them', async () => {
    const wal = await opened();
    expect(() => wal.append(2, leaf(0))).toThrow(RangeError);
    expect(codeOf(() => wal.append(1, new Uint8Array(0)))).toBe('INVALID_NODE');
    expect(codeOf(() => wal.append(1, new Uint8Array(33)))).toBe('INVALID_NODE');
    wal.append(1, leaf(0));
    expect(wal.appended).toEqual([1]);
    expect(() => wal.appendImmutable(2, 32)).toThrow(TypeError); // this backend has no _openRecord
  });
});

describe('WalBase: flushes', () => {
  it('run one at a time; calls during one coalesce into one more; the durable seq covers what each took', async () => {
    const wal = await opened();
    let release!: () => void;
    wal.hold = new Promise((r) => (release = r));
    wal.append(1, leaf(0));
    const first = wal.flush();
    const again = wal.flush(); // nothing appended since: served by the same flush
    wal.append(2, leaf(1));
    const second = wal.flush();
    wal.append(3, leaf(2));
    expect(wal.flush()).toBe(second); // queued: coalesced
    expect(wal.flushes).toBe(1);
    wal.hold = undefined;
    release();
    expect(await first).toBe(1);
    expect(await again).toBe(1);
    expect(await second).toBe(3);
    expect(wal.flushes).toBe(2);
  });

  it('a failed flush poisons for good (IO, or the backend code as it is); truncate flushes first', async () => {
    const wal = await opened();
    wal.append(1, leaf(0));
    wal.failFlush = new Error('EIO');
    expect(await rejectionCode(wal.flush())).toBe('IO');
    wal.failFlush = undefined;
    expect(codeOf(() => wal.append(2, leaf(1)))).toBe('POISONED');
    expect(await rejectionCode(wal.flush())).toBe('POISONED');
    expect(await rejectionCode(wal.truncate(0))).toBe('POISONED');

    const fenced = await opened();
    fenced.append(1, leaf(0));
    fenced.failFlush = new RotorTreeError('CLOSED', 'a backend-specific code passes as it is');
    expect(await rejectionCode(fenced.flush())).toBe('CLOSED');
    expect(codeOf(() => fenced.append(2, leaf(1)))).toBe('POISONED');

    const ordered = await opened();
    ordered.append(1, leaf(0));
    ordered.append(2, leaf(1));
    await ordered.truncate(1);
    expect([ordered.flushes, ordered.truncations]).toEqual([1, [1]]);
    await expect(ordered.truncate(5)).rejects.toThrow(RangeError);
  });
});
