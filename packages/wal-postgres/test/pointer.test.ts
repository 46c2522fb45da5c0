// The checkpoint pointer in PostgreSQL (pointer.ts): claimed under the WAL's epoch, published only
// while that epoch is the tree's (a stale writer's publish is FENCED and changes nothing), idempotent
// on retry, read by readers on the standby. Runs on the shared pair.
import { describe, expect, it } from 'vitest';
import type { RotorTree } from '@rotortree/core';
import type { TreeIdentity } from '@rotortree/core/backend';
import type { CheckpointPointer, PointerTarget } from '@rotortree/checkpoint-s3';
import { postgresCheckpointPointer } from '../src/index.js';
import { HASHER, leafAt, openTree, outcome, sharedPair, sqlClient, treeName, walOn } from './support.js';

const target = (seq: number): PointerTarget => ({ manifestKey: `p/manifest/${seq}`, seq, size: seq * 2, manifestBytes: 100 + seq, manifestCrc: 0xffff_fff0 + (seq % 16) });

function identity(tree: RotorTree): TreeIdentity {
  return { n: tree.n, maxDepth: tree.maxDepth, hasherId: HASHER.id, treeId: tree.treeId };
}

/** Reads on the standby until it shows what `expected` says (a commit waits for the standby's flush, not its replay). */
async function eventually(read: () => Promise<unknown>, expected: unknown): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const got = await read();
    if (JSON.stringify(got) === JSON.stringify(expected) || Date.now() > deadline) {
      expect(got).toEqual(expected);
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('postgresCheckpointPointer', () => {
  it("claims the WAL's epoch; publish is idempotent; after a takeover the stale writer's publish is FENCED and changes nothing", async (ctx) => {
    const { primary, standby } = sharedPair(ctx);
    const name = treeName('pointer');
    const walA = walOn(primary, name);
    const pointerA: CheckpointPointer = postgresCheckpointPointer({ wal: walA });
    expect(await outcome(pointerA.claim({ n: 4, maxDepth: 24, hasherId: HASHER.id, treeId: '00000000000000000000000000000000' }))).toBe('TypeError');
    const a = await openTree(walA);
    a.insert(leafAt(0));
    await a.flush();
    const tree = identity(a);

    const claimA = await pointerA.claim(tree);
    expect(claimA.current).toBeUndefined();
    expect(claimA.epoch).toBeGreaterThan(0);
    await pointerA.publish(target(1), undefined);
    await pointerA.publish(target(1), undefined); // a retry after a lost reply: it landed already
    expect(await pointerA.read(tree)).toEqual(target(1));
    await pointerA.publish(target(2), target(1));
    expect(await outcome(pointerA.publish(target(3), target(1)))).toBe('FENCED'); // not what is published

    const walB = walOn(primary, name, { takeover: true });
    const b = await openTree(walB);
    const pointerB = postgresCheckpointPointer({ wal: walB });
    const claimB = await pointerB.claim(tree);
    expect(claimB.epoch).toBeGreaterThan(claimA.epoch);
    expect(claimB.current).toEqual(target(2));

    expect(await outcome(pointerA.publish(target(4), target(2)))).toBe('FENCED');
    expect(await pointerB.read(tree)).toEqual(target(2));
    await pointerB.publish(target(5), target(2));

    const reader = postgresCheckpointPointer({ connection: standby, tree: name, timeoutMs: 5_000 });
    await eventually(() => reader.read(tree), target(5));
    expect(await outcome(reader.claim(tree))).toBe('TypeError');
    expect(await outcome(reader.publish(target(6), target(5)))).toBe('TypeError');
    expect(await outcome(reader.read({ ...tree, treeId: 'ffffffffffffffffffffffffffffffff' }))).toBe('CORRUPTION');

    // Only epoch B's rows: the row says who published.
    const sql = await sqlClient(primary);
    try {
      const { rows } = await sql.query('SELECT epoch, manifest_key FROM rotortree.checkpoint_pointers WHERE tree = $1', [name]);
      expect(rows).toEqual([{ epoch: String(claimB.epoch), manifest_key: target(5).manifestKey }]);
    } finally {
      await sql.end();
    }
    await Promise.allSettled([a.close(), b.close(), pointerA.close(), pointerB.close(), reader.close()]);
    expect(await outcome(pointerB.read(tree))).toBe('CLOSED');
  });

  it('a reader before any checkpoint (or any tree) reads nothing', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const reader = postgresCheckpointPointer({ connection: primary, tree: treeName('none'), schema: `none_${process.pid}` });
    expect(await reader.read({ n: 4, maxDepth: 24, hasherId: HASHER.id, treeId: '00000000000000000000000000000000' })).toBeUndefined();
    await reader.close();
  });

  it('refuses a WAL of another kind', () => {
    expect(() => postgresCheckpointPointer({ wal: {} as never })).toThrow(TypeError);
  });
});
