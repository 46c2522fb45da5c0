/**
 * The mark writer on its own (no server): a stream of flushes gets at most one mark write per
 * interval, so a flush seldom waits for one; the newest mark is the one written, and the last one is
 * written at close.
 */
import { describe, expect, it } from 'vitest';
import type { WalMark } from '@rotortree/core';
import { MARK_INTERVAL_MS, MarkWriter } from '../src/marks.js';
import type { Session } from '../src/session.js';

/** A session that records the mark statements (each answered after `ms`). */
function recordingSession(ms = 1) {
  const scripts: string[] = [];
  const session = {
    lost: undefined,
    script: async (sql: string) => {
      scripts.push(sql);
      await new Promise((r) => setTimeout(r, ms));
      return [];
    },
    query: async () => ({ rows: [] }),
  } as unknown as Session;
  return { session, scripts };
}

const tables = { trees: 't.trees', records: 't.records', marks: 't.marks', pointers: 't.pointers' };
const mark = (seq: number): WalMark => ({ seq, size: seq, root: new Uint8Array(32).fill(seq & 255) });

describe('MarkWriter', () => {
  it('writes at most one mark per interval while flushes stream, the newest, and the last one at close', async () => {
    const { session, scripts } = recordingSession();
    const writer = new MarkWriter(session, tables, 'tree', 1);
    const t0 = performance.now();
    let seq = 0;
    // 60 flushes of ~1 ms each (a flush pauses the writer, as the WAL does around its writes).
    for (let i = 0; i < 60; i++) {
      await writer.pause();
      await new Promise((r) => setTimeout(r, 1));
      writer.resume();
      writer.note(mark(++seq));
    }
    const elapsed = performance.now() - t0;
    expect(scripts.length).toBeLessThanOrEqual(Math.ceil(elapsed / MARK_INTERVAL_MS) + 1);
    expect(scripts.length).toBeLessThan(30); // one per flush before
    await writer.finish();
    expect(scripts.at(-1)).toContain(`, ${seq}, ${seq}, decode(`);
  });

  it('writes a mark at once after a quiet interval', async () => {
    const { session, scripts } = recordingSession();
    const writer = new MarkWriter(session, tables, 'tree', 1);
    writer.note(mark(1));
    expect(scripts.length).toBe(1);
    await new Promise((r) => setTimeout(r, MARK_INTERVAL_MS + 10));
    writer.note(mark(2));
    expect(scripts.length).toBe(2);
    await writer.finish();
  });
});
