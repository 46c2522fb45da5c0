/**
 * Reading leaves for `append`: hex lines, raw 32-byte records, or lines hashed with BLAKE3.
 * The whole input is parsed before anything is inserted, so bad input changes nothing; leaves
 * come out as flat buffers of at most `batch` leaves each. Besides the leaves (32 bytes each),
 * reading holds at most one line: a line longer than its format allows is refused as soon as
 * that many bytes of it are in, whatever the size of the rest.
 * @module
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { RotorTreeError } from '@rotortree/core';
import type { LeafHasher } from '../leaf-hash.js';
import { bytesText, usage } from './command.js';
import { printable } from './printable.js';
import { assertNotDirectoryFd, openInputFile } from './paths.js';

/** How input bytes become leaves. */
export type InputFormat = 'hex' | 'raw' | 'hash';

/** Longest hex line, in bytes: 64 hex digits, an optional `0x`, and whitespace around them. */
export const MAX_HEX_LINE = 1024;

/**
 * Longest line `--hash` takes (16 MiB): a line is held whole, to be hashed in one call on the
 * fastest BLAKE3 backend. A larger record can be hashed by the caller and appended as hex.
 */
export const MAX_HASH_LINE = 16 * 1024 * 1024;

/** A source of input bytes and its size when known (a file). */
export interface InputSource {
  readonly stream: AsyncIterable<Uint8Array>;
  readonly bytes: number | undefined;
  readonly name: string;
}

/**
 * The file at `path`, or stdin for `-` / no path. A file that cannot be read (missing, no
 * permission, a directory) is a usage error naming it; a read that fails later is `IO`.
 */
export function inputSource(path: string | undefined, stdin: Readable): InputSource {
  if (path === undefined || path === '-') {
    const fd = (stdin as { fd?: unknown }).fd;
    if (typeof fd === 'number') assertNotDirectoryFd(fd, 'stdin');
    return { stream: readFailuresAsIo(stdin, 'stdin'), bytes: undefined, name: 'stdin' };
  }
  const { fd, bytes } = openInputFile(path);
  return { stream: readFailuresAsIo(createReadStream(path, { fd, highWaterMark: 1 << 20 }), path, path), bytes, name: path };
}

/** The chunks of `stream`, a failed read as `IO` naming the input. */
async function* readFailuresAsIo(stream: AsyncIterable<unknown>, name: string, file?: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (err) {
    throw new RotorTreeError('IO', `cannot read ${name}`, { ...(file === undefined ? {} : { file }), cause: err });
  }
}

/** Collects leaves into flat batches of `batch` leaves. */
class LeafBatches {
  readonly batches: Uint8Array[] = [];
  count = 0;
  readonly #batch: number;
  #cur: Uint8Array;
  #used = 0;

  constructor(batch: number) {
    this.#batch = batch;
    this.#cur = new Uint8Array(Math.min(batch, 1024) * 32);
  }

  /** Room for one leaf: returns the buffer and offset to write 32 bytes at. */
  slot(): [Uint8Array, number] {
    if (this.#used === this.#batch) this.#seal();
    if (this.#used * 32 === this.#cur.length) {
      const next = new Uint8Array(Math.min(this.#batch, this.#used * 2) * 32);
      next.set(this.#cur);
      this.#cur = next;
    }
    const off = this.#used * 32;
    this.#used++;
    this.count++;
    return [this.#cur, off];
  }

  #seal(): void {
    this.batches.push(this.#cur.subarray(0, this.#used * 32));
    // Grown as leaves come (as the first one): the next batch may hold a single leaf.
    this.#cur = new Uint8Array(Math.min(this.#batch, 1024) * 32);
    this.#used = 0;
  }

  done(): Uint8Array[] {
    if (this.#used > 0) this.#seal();
    return this.batches;
  }
}

/** Nibble values of ASCII hex digits; 255 elsewhere. */
const NIBBLE = new Uint8Array(256).fill(255);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[65 + i] = 10 + i;
  NIBBLE[97 + i] = 10 + i;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/** Where the first line begins: after a UTF-8 byte order mark, if the input starts with one. */
function bomLength(buf: Uint8Array, start: number, end: number): number {
  return end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf ? 3 : 0;
}

/** The bytes of a line a chunk boundary cut, kept until the line ends (grown by doubling). */
class LineCarry {
  bytes = new Uint8Array(256);
  length = 0;

  push(src: Uint8Array, start: number, end: number): void {
    const need = this.length + end - start;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(src.subarray(start, end), this.length);
    this.length = need;
  }
}

/** Receives one line: `buf[start..end)`, without its `\n` (and without a BOM on line 1). */
type OnLine = (buf: Uint8Array, start: number, end: number, lineNo: number) => void;

/**
 * Splits a byte stream into lines (without `\n`); the last line is given even without one. A line
 * of more than `maxLine` bytes throws `tooLong(lineNo)` once that many bytes of it were read.
 */
async function forEachLine(source: InputSource, maxLine: number, tooLong: (lineNo: number) => Error, onLine: OnLine, onBytes: (n: number) => void): Promise<void> {
  const carry = new LineCarry();
  let lineNo = 0;
  let first = true;
  const emit = (buf: Uint8Array, start: number, end: number): void => {
    const s = first ? start + bomLength(buf, start, end) : start;
    first = false;
    onLine(buf, s, end, ++lineNo);
  };
  for await (const chunk of source.stream) {
    let start = 0;
    let nl = chunk.indexOf(10);
    if (carry.length > 0) {
      const end = nl === -1 ? chunk.length : nl;
      if (carry.length + end > maxLine) throw tooLong(lineNo + 1);
      carry.push(chunk, 0, end);
      if (nl === -1) {
        onBytes(chunk.length);
        continue;
      }
      emit(carry.bytes, 0, carry.length);
      carry.length = 0;
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    for (; nl !== -1; nl = chunk.indexOf(10, start)) {
      if (nl - start > maxLine) throw tooLong(lineNo + 1);
      emit(chunk, start, nl);
      start = nl + 1;
    }
    if (chunk.length - start > maxLine) throw tooLong(lineNo + 1);
    carry.push(chunk, start, chunk.length);
    onBytes(chunk.length);
  }
  const bomOnly = first && bomLength(carry.bytes, 0, carry.length) === carry.length;
  if (carry.length > 0 && !bomOnly) emit(carry.bytes, 0, carry.length);
}

/** At most 40 bytes of a line as printable text, for error messages. */
function lineText(buf: Uint8Array, start: number, end: number): string {
  return printable(new TextDecoder().decode(buf.subarray(start, Math.min(end, start + 40))));
}

/** The usage error of raw input of `total` bytes, not a multiple of 32. */
function partialRecord(name: string, total: number): Error {
  return usage(`${name}: ${total} bytes is not a multiple of 32 (a partial record of ${total % 32} bytes at offset ${total - (total % 32)})`);
}

/**
 * Reads every leaf of `source` in `format` into batches of `batch` leaves. Throws `USAGE` with
 * the line number (hex) or byte offset (raw) of the first bad input; `onBytes` reports progress.
 */
export async function readLeaves(
  source: InputSource,
  format: InputFormat,
  batch: number,
  hashLine: LeafHasher | undefined,
  onBytes: (n: number) => void = () => {},
): Promise<{ batches: Uint8Array[]; count: number }> {
  const out = new LeafBatches(batch);
  if (format === 'raw') {
    if (source.bytes !== undefined && source.bytes % 32 !== 0) throw partialRecord(source.name, source.bytes); // before reading it all
    let total = 0;
    let partial = new Uint8Array(32);
    let partialLen = 0;
    for await (const chunk of source.stream) {
      for (let i = 0; i < chunk.length; ) {
        const take = Math.min(32 - partialLen, chunk.length - i);
        partial.set(chunk.subarray(i, i + take), partialLen);
        partialLen += take;
        i += take;
        if (partialLen === 32) {
          const [buf, off] = out.slot();
          buf.set(partial, off);
          partialLen = 0;
        }
      }
      total += chunk.length;
      onBytes(chunk.length);
    }
    if (partialLen !== 0) throw partialRecord(source.name, total);
    partial = new Uint8Array(0);
  } else if (format === 'hash') {
    const hash = hashLine!;
    await forEachLine(
      source,
      MAX_HASH_LINE,
      (lineNo) => usage(`${source.name} line ${lineNo}: longer than ${bytesText(MAX_HASH_LINE)}, the longest line --hash takes (hash larger records yourself and append their hex)`),
      (buf, start, end) => {
        const e = end > start && buf[end - 1] === 13 ? end - 1 : end; // a CRLF line ends before \r
        const [leafBuf, off] = out.slot();
        hash(buf.subarray(start, e), leafBuf, off);
      },
      onBytes,
    );
  } else {
    await forEachLine(
      source,
      MAX_HEX_LINE,
      (lineNo) => usage(`${source.name} line ${lineNo}: longer than ${MAX_HEX_LINE} bytes, so not a leaf (64 hex digits)`),
      (buf, start, end, lineNo) => {
        let s = start;
        let e = end;
        while (s < e && isSpace(buf[s]!)) s++;
        while (e > s && isSpace(buf[e - 1]!)) e--;
        if (s === e) return; // blank line
        if (e - s === 66 && buf[s] === 48 && (buf[s + 1] === 120 || buf[s + 1] === 88)) s += 2;
        if (e - s !== 64) throw usage(`${source.name} line ${lineNo}: expected 64 hex digits, got "${lineText(buf, s, e)}" (${e - s} character${e - s === 1 ? '' : 's'})`);
        const [leafBuf, off] = out.slot();
        for (let i = 0; i < 32; i++) {
          const hi = NIBBLE[buf[s + 2 * i]!]!;
          const lo = NIBBLE[buf[s + 2 * i + 1]!]!;
          if ((hi | lo) === 255) throw usage(`${source.name} line ${lineNo}: not a hex digit at column ${s - start + 2 * i + (hi === 255 ? 1 : 2)}`);
          leafBuf[off + i] = (hi << 4) | lo;
        }
      },
      onBytes,
    );
  }
  const count = out.count;
  return { batches: out.done(), count };
}
