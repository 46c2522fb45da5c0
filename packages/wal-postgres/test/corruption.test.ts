// Damage is reported, never replayed or dropped, what is PostgreSQL's own (a changed byte, another
// tree's rows, another identity, other parameters, a missing log are the conformance suite's
// damagedRecords and networkIdentity groups): a changed checksum, a missing row or part, a row
// moved to another key, a body whose group table lies (with a valid checksum) are CORRUPTION naming
// the row (tree, first_seq, part); a tree row of another identity, a damaged tree row, rows of a
// tree without a log are CORRUPTION; a newer schema is CONFIG_MISMATCH. On the shared pair.
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { newTreeId } from '@rotortree/core/backend';
import { PART_BYTES, RowChecksum } from '../src/format.js';
import { errorOf, leafAt, leavesAt, openTree, outcome, sharedPair, sqlClient, treeName, walOn } from './support.js';

let sql: pg.Client | undefined;
afterEach(async () => {
  await sql?.end();
  sql = undefined;
});

/** A tree of keys: 1..3 (a run of singles), 4 (a batch of 5), 5..6 (singles); the SQL client. */
async function damagedLater(primary: string, name: string): Promise<pg.Client> {
  const tree = await openTree(walOn(primary, name));
  for (let i = 0; i < 3; i++) tree.insert(leafAt(i));
  await tree.flush();
  tree.insertMany(leavesAt(3, 5));
  await tree.flush();
  tree.insert(leafAt(8));
  tree.insert(leafAt(9));
  await tree.close();
  sql = await sqlClient(primary);
  return sql;
}

/** Reopens and expects CORRUPTION naming the row `first_seq`/`part`. */
async function expectCorruptRow(primary: string, name: string, firstSeq: number, part = 0): Promise<void> {
  const err = await errorOf(openTree(walOn(primary, name)));
  expect(err.code).toBe('CORRUPTION');
  expect(err.file).toContain(`tree=${name}, first_seq=${firstSeq}, part=${part}`);
  expect(err.seq).toBe(firstSeq);
}

describe('damaged rows are CORRUPTION naming the row', () => {
  it('a changed checksum', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('crc');
    const db = await damagedLater(primary, name);
    await db.query('UPDATE rotortree.records SET crc = crc # 1 WHERE tree = $1 AND first_seq = 1', [name]);
    await expectCorruptRow(primary, name, 1);
  });

  it('a missing row in the middle: named by the row after the gap', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('gap');
    const db = await damagedLater(primary, name);
    await db.query('DELETE FROM rotortree.records WHERE tree = $1 AND first_seq = 4', [name]);
    await expectCorruptRow(primary, name, 5);
  });

  it('a missing first row', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('head');
    const db = await damagedLater(primary, name);
    await db.query('DELETE FROM rotortree.records WHERE tree = $1 AND first_seq = 1', [name]);
    await expectCorruptRow(primary, name, 4);
  });

  it('a row moved to another key (the checksum covers the key)', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('moved');
    const db = await damagedLater(primary, name);
    // Key 5..6 becomes key 4..5 after key 4 is deleted: in sequence, but its bytes belong elsewhere.
    await db.query('DELETE FROM rotortree.records WHERE tree = $1 AND first_seq = 4', [name]);
    await db.query('UPDATE rotortree.records SET first_seq = 4, last_seq = 5 WHERE tree = $1 AND first_seq = 5', [name]);
    await expectCorruptRow(primary, name, 4);
  });

  it('a missing part, and a part cut short, of a batch larger than a row', async (ctx) => {
    const { primary } = sharedPair(ctx);
    for (const damage of ['DELETE FROM rotortree.records WHERE tree = $1 AND first_seq = 2 AND part = 1', 'DELETE FROM rotortree.records WHERE tree = $1 AND first_seq = 2 AND part = 2']) {
      const name = treeName('parts');
      const tree = await openTree(walOn(primary, name));
      tree.insert(leafAt(0));
      tree.insertMany(leavesAt(1, (2 * PART_BYTES) / 32 + 10));
      tree.insert(leafAt(0));
      await tree.close();
      const db = await sqlClient(primary);
      await db.query(damage, [name]);
      await db.end();
      const err = await errorOf(openTree(walOn(primary, name)));
      expect(err.code).toBe('CORRUPTION');
      expect(err.file).toContain(`tree=${name}, first_seq=`);
    }
  });

  it('a group table that lies, under a valid checksum', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('groups');
    const db = await damagedLater(primary, name);
    const { rows } = await db.query('SELECT tree_id FROM rotortree.trees WHERE name = $1', [name]);
    // Key 4 (5 leaves): say 1 record of 4 leaves instead.
    const body = new Uint8Array(5 * 32 + 12);
    body.set(leavesAt(3, 5));
    const view = new DataView(body.buffer);
    view.setUint32(160, 1, true);
    view.setUint32(164, 4, true);
    view.setUint32(168, 1, true);
    const crc = new RowChecksum(rows[0].tree_id).of(4, 4, 0, body);
    await db.query('UPDATE rotortree.records SET body = $2, crc = $3 WHERE tree = $1 AND first_seq = 4', [name, Buffer.from(body), crc]);
    await expectCorruptRow(primary, name, 4);
  });
});

describe('the tree row: identity and parameters', () => {
  it('a tree row holding another identity: its records fail their checksums (they carry the identity)', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('identity');
    const db = await damagedLater(primary, name);
    await db.query('UPDATE rotortree.trees SET tree_id = $2 WHERE name = $1', [name, newTreeId()]);
    await expectCorruptRow(primary, name, 1);
  });

  it('a damaged tree row is CORRUPTION; rows of a tree whose row has no log are CORRUPTION', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const name = treeName('row');
    const db = await damagedLater(primary, name);
    await db.query("UPDATE rotortree.trees SET tree_id = 'not an id' WHERE name = $1", [name]);
    expect(await outcome(openTree(walOn(primary, name)))).toBe('CORRUPTION');
    await db.query('UPDATE rotortree.trees SET tree_id = NULL, n = NULL WHERE name = $1', [name]);
    expect(await outcome(openTree(walOn(primary, name)))).toBe('CORRUPTION');
  });

  it('tables of a newer schema version are CONFIG_MISMATCH', async (ctx) => {
    const { primary } = sharedPair(ctx);
    const schema = `rt_version_${process.pid}_${Date.now()}`;
    const name = treeName('version');
    const tree = await openTree(walOn(primary, name, { schema }));
    await tree.close();
    sql = await sqlClient(primary);
    try {
      await sql.query(`UPDATE ${schema}.meta SET value = '2' WHERE key = 'schema_version'`);
      expect(await outcome(openTree(walOn(primary, name, { schema })))).toBe('CONFIG_MISMATCH');
    } finally {
      await sql.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });
});
