/**
 * Recovery's reading of the log: the rows after the checkpoint, in key order, each checked (its
 * checksum, its place in the sequence, its group table) before any of its records is handed over.
 * PostgreSQL commits a flush whole, so there is no torn tail: every defect is `CORRUPTION` naming
 * the row `(tree, first_seq, part)`.
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import { PART_BYTES, leafOffsetOf, readBodyLayout } from './format.js';
import type { BodyLayout, Group, RowChecksum } from './format.js';

/** One row as read. `body` may be a view valid only during the call. */
export interface StoredRow {
  readonly firstSeq: number;
  readonly part: number;
  readonly lastSeq: number;
  readonly crc: number;
  readonly body: Uint8Array;
}

/**
 * Receives the records after `afterSeq`, a key at a time: `records` consecutive records from
 * `firstSeq`, whose leaves are `leaves` (contiguous, valid only during the call), laid out by `groups`
 * after skipping the first `skip` records of the key.
 */
export type KeyHandler = (firstSeq: number, records: number, leaves: Uint8Array, groups: readonly Group[], skip: number) => void;

/** A row key whose parts are still coming (copied: the rows' bytes are views). */
interface PendingKey {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly parts: Uint8Array[];
}

/** Checks rows as they come and hands over their records (see the module comment). */
export class RowReplay {
  /** The last seq handed over (`afterSeq` before any). */
  lastSeq: number;
  readonly #afterSeq: number;
  readonly #checksum: RowChecksum;
  readonly #rowName: (firstSeq: number, part: number) => string;
  readonly #hand: KeyHandler;
  /** The first seq the next key must start at (unknown before the first key). */
  #expected: number | undefined;
  #pending: PendingKey | undefined;

  constructor(afterSeq: number, checksum: RowChecksum, rowName: (firstSeq: number, part: number) => string, hand: KeyHandler) {
    this.lastSeq = afterSeq;
    this.#afterSeq = afterSeq;
    this.#checksum = checksum;
    this.#rowName = rowName;
    this.#hand = hand;
  }

  /** Takes the next row in `(first_seq, part)` order (rows whose `last_seq > afterSeq` only). */
  row(row: StoredRow): void {
    const { firstSeq, part, lastSeq, body } = row;
    if (this.#checksum.of(firstSeq, lastSeq, part, body) !== row.crc) this.#damaged(firstSeq, part, 'its checksum does not match its bytes');
    const pending = this.#pending;
    if (pending !== undefined && firstSeq === pending.firstSeq) {
      if (part !== pending.parts.length || lastSeq !== pending.lastSeq) this.#damaged(firstSeq, part, `it follows part ${pending.parts.length - 1} of ${pending.firstSeq}..${pending.lastSeq}`);
      const previous = pending.parts[pending.parts.length - 1]!.length;
      if (previous !== PART_BYTES) this.#damaged(firstSeq, part - 1, `a part that is not the last holds ${previous} bytes, not ${PART_BYTES}`);
      pending.parts.push(copyOf(body));
      return;
    }
    if (pending !== undefined) this.#complete(pending);
    this.#pending = undefined;
    if (part !== 0) this.#damaged(firstSeq, part, 'the parts before it are missing');
    if (lastSeq < firstSeq || lastSeq <= this.#afterSeq) this.#damaged(firstSeq, part, `it says it holds records ${firstSeq}..${lastSeq}`);
    const expected = this.#expected ?? Math.min(firstSeq, this.#afterSeq + 1);
    if (firstSeq !== expected) {
      this.#damaged(firstSeq, part, firstSeq > expected ? `records ${expected}..${firstSeq - 1} are missing before it` : `it overlaps records up to ${expected - 1}`);
    }
    this.#expected = lastSeq + 1;
    // Only the last part of a key is shorter than a part: a short first part is the whole key.
    if (body.length < PART_BYTES) this.#handOver(firstSeq, lastSeq, 0, body);
    else this.#pending = { firstSeq, lastSeq, parts: [copyOf(body)] };
  }

  /** After the last row: completes the last key. */
  finish(): void {
    if (this.#pending !== undefined) this.#complete(this.#pending);
    this.#pending = undefined;
  }

  #complete(key: PendingKey): void {
    const { parts } = key;
    let body = parts[0]!;
    if (parts.length > 1) {
      let total = 0;
      for (const p of parts) total += p.length;
      body = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        body.set(p, at);
        at += p.length;
      }
    }
    this.#handOver(key.firstSeq, key.lastSeq, parts.length - 1, body);
  }

  #handOver(firstSeq: number, lastSeq: number, lastPart: number, body: Uint8Array): void {
    const layout: BodyLayout | string = readBodyLayout(body, firstSeq, lastSeq);
    if (typeof layout === 'string') this.#damaged(firstSeq, lastPart, layout);
    const skip = Math.max(0, this.#afterSeq + 1 - firstSeq);
    const leaves = body.subarray(leafOffsetOf(layout.groups, skip), layout.leafBytes);
    this.#hand(firstSeq + skip, lastSeq - firstSeq + 1 - skip, leaves, layout.groups, skip);
    this.lastSeq = lastSeq;
  }

  #damaged(firstSeq: number, part: number, why: string): never {
    const name = this.#rowName(firstSeq, part);
    throw new RotorTreeError('CORRUPTION', `${name}: ${why}`, { file: name, seq: firstSeq });
  }
}

/** A copy of `bytes` (a Node Buffer's `slice` would be a view). */
function copyOf(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

/** Calls `visit` for each record of a key handed over (see {@link KeyHandler}). */
export function eachRecord(visit: (seq: number, leaves: Uint8Array) => void): KeyHandler {
  return (firstSeq, _records, leaves, groups, skip) => {
    let seq = firstSeq;
    let at = 0;
    let toSkip = skip;
    for (const g of groups) {
      if (toSkip >= g.records) {
        toSkip -= g.records;
        continue;
      }
      const bytes = g.leaves * 32;
      for (let i = toSkip; i < g.records; i++) {
        visit(seq++, leaves.subarray(at, at + bytes));
        at += bytes;
      }
      toSkip = 0;
    }
  };
}
