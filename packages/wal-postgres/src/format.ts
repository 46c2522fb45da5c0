/**
 * What a row of the records table holds, and its checksum. All integers little-endian.
 *
 * A **row key** `(tree, first_seq)` holds the records `first_seq .. last_seq` of one flush (a flush
 * writes one or more row keys, all in one transaction). Its **body** is cut into **parts** of at
 * most {@link PART_BYTES} bytes, one table row each (`part` = 0, 1, ...), so that a batch of up to
 * 1 GiB never makes a row larger than that; a body that fits is one row (part 0). The body,
 * parts concatenated:
 * ```
 *  off          size   field
 *    0          32*L   leaves of the records, back to back (L leaves in all)
 *   32*L        8*G    G groups, each: records r (u32, >= 1), leaves per record c (u32, >= 1);
 *                      the records first_seq .. last_seq, in order, are r_1 records of c_1
 *                      leaves, then r_2 records of c_2 leaves, ...: sum(r) = last_seq -
 *                      first_seq + 1, sum(r*c) = L
 *   32*L + 8*G  4      G (>= 1)
 * ```
 * A run of single inserts is one group, and its leaves are contiguous: recovery hands the whole run
 * over at once. The group table is at the end so that a writer appends leaves and closes the body
 * with its table, without copying the leaves.
 *
 * Each row's `crc` (a bigint column, 0 .. 2^32-1) is the CRC-32C of its key and its bytes:
 * ```
 *  tree id (16 bytes) | first_seq (u64) | last_seq (u64) | part (u32) | the part's bytes
 * ```
 * so a damaged row, or a row copied from another tree or moved to another key, fails its check
 * (`CORRUPTION` naming the row).
 * @module
 */
import { treeIdToBytes } from '@rotortree/core/backend';
import { crc32c } from '@rotortree/core/fs';

/**
 * Largest part (one table row's body): 1 MiB. A body larger than this is cut into several rows,
 * every one but the last exactly this long. (Rows of 1, 2 and 4 MiB wrote 32 MiB in about the
 * same time here, 1 MiB slightly ahead; 8 MiB was slower.)
 */
export const PART_BYTES = 1 << 20;
/** Bytes of one group in the table. */
export const GROUP_BYTES = 8;
/** Bytes of the group count that ends a body. */
export const COUNT_BYTES = 4;
/** Bytes of the key prefix of a row's checksum. */
const KEY_BYTES = 16 + 8 + 8 + 4;
const TWO_32 = 0x1_0000_0000;

/** Computes row checksums for one tree: the tree id's bytes are kept, the key prefix is reused. */
export class RowChecksum {
  readonly #key = new Uint8Array(KEY_BYTES);
  readonly #view = new DataView(this.#key.buffer);

  constructor(treeId: string) {
    this.#key.set(treeIdToBytes(treeId), 0);
  }

  /** The `crc` of the row `(first_seq, part)` of the row key `first_seq .. last_seq` holding `bytes`. */
  of(firstSeq: number, lastSeq: number, part: number, bytes: Uint8Array): number {
    const view = this.#view;
    view.setUint32(16, firstSeq >>> 0, true);
    view.setUint32(20, Math.floor(firstSeq / TWO_32), true);
    view.setUint32(24, lastSeq >>> 0, true);
    view.setUint32(28, Math.floor(lastSeq / TWO_32), true);
    view.setUint32(32, part, true);
    return crc32c(bytes, 0, bytes.length, crc32c(this.#key));
  }
}

/** A little-endian view of `bytes`. */
export function littleEndian(bytes: Uint8Array): { u32(at: number): number; setU32(at: number, value: number): void } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    u32: (at) => view.getUint32(at, true),
    setU32: (at, value) => view.setUint32(at, value, true),
  };
}

/** One group of a body: `records` records of `leaves` leaves each. */
export interface Group {
  readonly records: number;
  readonly leaves: number;
}

/** A body's group table, read and checked. */
export interface BodyLayout {
  readonly groups: readonly Group[];
  /** Bytes of leaves at the start of the body. */
  readonly leafBytes: number;
}

/**
 * Reads and checks the group table at the end of `body` for the records `firstSeq .. lastSeq`.
 * Returns why it is not a valid body (a short text), or the layout.
 */
export function readBodyLayout(body: Uint8Array, firstSeq: number, lastSeq: number): BodyLayout | string {
  if (body.length < COUNT_BYTES + GROUP_BYTES) return `a body of ${body.length} bytes has no group table`;
  const le = littleEndian(body);
  const count = le.u32(body.length - COUNT_BYTES);
  const tableBytes = count * GROUP_BYTES + COUNT_BYTES;
  if (count === 0 || tableBytes > body.length) return `a group count of ${count} does not fit a body of ${body.length} bytes`;
  const leafBytes = body.length - tableBytes;
  const groups: Group[] = [];
  let records = 0;
  let leaves = 0;
  for (let at = leafBytes; at < body.length - COUNT_BYTES; at += GROUP_BYTES) {
    const r = le.u32(at);
    const c = le.u32(at + 4);
    if (r === 0 || c === 0) return `group ${groups.length} holds ${r} records of ${c} leaves`;
    groups.push({ records: r, leaves: c });
    records += r;
    leaves += r * c;
  }
  if (records !== lastSeq - firstSeq + 1) return `the groups hold ${records} records, the key says ${firstSeq}..${lastSeq}`;
  if (leaves * 32 !== leafBytes) return `the groups hold ${leaves} leaves, the body ${leafBytes / 32}`;
  return { groups, leafBytes };
}

/** Byte offset, in the leaves of a body with `groups`, of the `skip`-th record (0-based). */
export function leafOffsetOf(groups: readonly Group[], skip: number): number {
  let offset = 0;
  let left = skip;
  for (const g of groups) {
    if (left < g.records) return offset + left * g.leaves * 32;
    offset += g.records * g.leaves * 32;
    left -= g.records;
  }
  return offset;
}
