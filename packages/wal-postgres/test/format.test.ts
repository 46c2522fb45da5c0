// The row format without a server: records appended to the buffer, cut into parts as a flush
// cuts them, and read back by recovery's row reader give back exactly the records after any
// afterSeq (fast-check against the plain list of records); any changed byte of any row is
// CORRUPTION naming that row or a later one of its key; a row missing is CORRUPTION.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRotorTreeError } from '@rotortree/core';
import { partsOf } from '../src/flush-writer.js';
import type { PartRow } from '../src/flush-writer.js';
import { PART_BYTES, RowChecksum } from '../src/format.js';
import { eachRecord, RowReplay } from '../src/replay.js';
import type { StoredRow } from '../src/replay.js';
import { RowBuffer } from '../src/row-buffer.js';

const TREE_ID = '3c'.repeat(16);

/** k leaves from leaf `first`: each starts with its index (fast enough for batches of 2^18). */
function leavesAt(first: number, k: number): Uint8Array {
  const out = new Uint8Array(k * 32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < k; i++) {
    view.setUint32(i * 32, first + i, true);
    out[i * 32 + 31] = 0xa5;
  }
  return out;
}

/** Byte equality without the deep comparison of large arrays. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}
const checksum = new RowChecksum(TREE_ID);
const BIG = PART_BYTES / 32;

/** Record sizes in leaves: mostly small, sometimes larger than a part (cut into parts). */
const recordSizes = fc.array(fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 9 }) }, { weight: 1, arbitrary: fc.integer({ min: BIG - 2, max: 2 * BIG + 3 }) }), {
  minLength: 1,
  maxLength: 40,
});

/** Flushes: where the appended records are taken (a flush after record i when flushAfter[i]). */
function stored(sizes: readonly number[], flushAfter: readonly boolean[]): { rows: StoredRow[]; records: Uint8Array[] } {
  const buffer = new RowBuffer();
  const rows: PartRow[] = [];
  const records: Uint8Array[] = [];
  let leaf = 0;
  sizes.forEach((k, i) => {
    const leaves = leavesAt(leaf, k);
    leaf += k;
    records.push(leaves);
    buffer.append(i + 1, leaves);
    if (flushAfter[i] === true || i === sizes.length - 1) {
      const keys = buffer.take();
      rows.push(...partsOf(keys).map((r) => ({ ...r, bytes: r.bytes.slice() })));
      buffer.recycle(keys);
    }
  });
  return { rows: rows.map((r) => ({ firstSeq: r.firstSeq, part: r.part, lastSeq: r.lastSeq, crc: checksum.of(r.firstSeq, r.lastSeq, r.part, r.bytes), body: r.bytes })), records };
}

/** Reads `rows` (those after afterSeq, as the query does) with runs; the runs handed over. */
function readRuns(rows: readonly StoredRow[], afterSeq: number): { first: number; records: number; leaves: Uint8Array }[] {
  const runs: { first: number; records: number; leaves: Uint8Array }[] = [];
  const reader = new RowReplay(afterSeq, checksum, (f, p) => `row(${f},${p})`, (first, records, leaves) => runs.push({ first, records, leaves: leaves.slice() }));
  for (const row of rows) if (row.lastSeq > afterSeq) reader.row(row);
  reader.finish();
  return runs;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('rows written and read back', () => {
  it('give back exactly the records after afterSeq, in runs with no gap, and one by one through visit', () => {
    fc.assert(
      fc.property(recordSizes, fc.array(fc.boolean(), { maxLength: 40 }), fc.nat(), (sizes, flushAfter, afterPick) => {
        const { rows, records } = stored(sizes, flushAfter);
        for (const row of rows) expect(row.body.length).toBeLessThanOrEqual(PART_BYTES);
        const afterSeq = afterPick % (sizes.length + 1);
        const runs = readRuns(rows, afterSeq);
        let next = afterSeq + 1;
        for (const run of runs) {
          expect(run.first).toBe(next);
          next += run.records;
        }
        expect(next).toBe(sizes.length + 1);
        expect(sameBytes(concat(runs.map((r) => r.leaves)), concat(records.slice(afterSeq)))).toBe(true);

        const visited: Uint8Array[] = [];
        const reader = new RowReplay(afterSeq, checksum, (f, p) => `row(${f},${p})`, eachRecord((seq, leaves) => visited[seq - afterSeq - 1] = leaves.slice()));
        for (const row of rows) if (row.lastSeq > afterSeq) reader.row(row);
        reader.finish();
        expect(visited.length).toBe(sizes.length - afterSeq);
        visited.forEach((leaves, i) => expect(sameBytes(leaves, records[afterSeq + i]!)).toBe(true));
      }),
      { numRuns: 40 },
    );
  });

  it('a changed byte anywhere in any row is CORRUPTION naming a row of its key; a missing row is CORRUPTION', () => {
    fc.assert(
      fc.property(recordSizes, fc.array(fc.boolean(), { maxLength: 40 }), fc.nat(), fc.nat(), fc.boolean(), (sizes, flushAfter, rowPick, bytePick, drop) => {
        const { rows } = stored(sizes, flushAfter);
        const target = rowPick % rows.length;
        const damaged = rows.map((r, i) => {
          if (i !== target || drop) return r;
          const body = r.body.slice();
          body[bytePick % body.length]! ^= 1 << (bytePick % 8);
          return { ...r, body };
        });
        const kept = drop ? damaged.filter((_, i) => i !== target) : damaged;
        let error: unknown;
        try {
          readRuns(kept, 0);
        } catch (err) {
          error = err;
        }
        // Dropping the very last part of the last key may leave a complete-looking log only if
        // that key had one part: then the log simply ends earlier (nothing after it to contradict).
        const dropsWholeLastKey = drop && target === rows.length - 1 && rows[target]!.part === 0;
        if (dropsWholeLastKey) return;
        expect(isRotorTreeError(error, 'CORRUPTION')).toBe(true);
        if (!drop) expect((error as { seq?: number }).seq).toBe(rows[target]!.firstSeq);
      }),
      { numRuns: 40 },
    );
  });
});
