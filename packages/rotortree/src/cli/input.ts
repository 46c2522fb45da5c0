/**
 * Reading leaves for `append`: hex lines, raw 32-byte records, or lines hashed with BLAKE3.
 * The whole input is parsed before anything is inserted, so bad input changes nothing; leaves
 * come out as flat buffers of at most `batch` leaves each.
 * @module
 */
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { LeafHasher } from '../leaf-hash.js';
import { usage } from './command.js';

/** How input bytes become leaves. */
export type InputFormat = 'hex' | 'raw' | 'hash';

/** A source of input bytes and its size when known (a file). */
export interface InputSource {
  readonly stream: AsyncIterable<Uint8Array>;
  readonly bytes: number | undefined;
  readonly name: string;
}

/** The file at `path`, or stdin for `-` / no path. */
export function inputSource(path: string | undefined, stdin: Readable): InputSource {
  if (path === undefined || path === '-') return { stream: stdin, bytes: undefined, name: 'stdin' };
  let bytes: number;
  try {
    bytes = statSync(path).size;
  } catch (err) {
    throw usage(`cannot read ${path}: ${(err as { code?: string }).code ?? String(err)}`);
  }
  return { stream: createReadStream(path, { highWaterMark: 1 << 20 }), bytes, name: path };
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
    this.#cur = new Uint8Array(this.#batch * 32);
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

/** Splits a byte stream into lines (without `\n`); the last line is given even without one. */
async function forEachLine(source: InputSource, onLine: (buf: Uint8Array, start: number, end: number, lineNo: number) => void, onBytes: (n: number) => void): Promise<void> {
  let carry: Uint8Array = new Uint8Array(0);
  let lineNo = 0;
  for await (const chunk of source.stream) {
    const data: Uint8Array = carry.length === 0 ? chunk : concat(carry, chunk);
    let start = 0;
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      onLine(data, start, nl, ++lineNo);
      start = nl + 1;
    }
    carry = data.slice(start);
    onBytes(chunk.length);
  }
  if (carry.length > 0) onLine(carry, 0, carry.length, ++lineNo);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function lineText(buf: Uint8Array, start: number, end: number): string {
  return new TextDecoder().decode(buf.subarray(start, Math.min(end, start + 40)));
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
    if (partialLen !== 0) {
      throw usage(`${source.name}: ${total} bytes is not a multiple of 32 (a partial record of ${partialLen} bytes at offset ${total - partialLen})`);
    }
    partial = new Uint8Array(0);
  } else if (format === 'hash') {
    const hash = hashLine!;
    await forEachLine(
      source,
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
      (buf, start, end, lineNo) => {
        let s = start;
        let e = end;
        while (s < e && isSpace(buf[s]!)) s++;
        while (e > s && isSpace(buf[e - 1]!)) e--;
        if (s === e) return; // blank line
        if (e - s === 66 && buf[s] === 48 && (buf[s + 1] === 120 || buf[s + 1] === 88)) s += 2;
        if (e - s !== 64) throw usage(`${source.name} line ${lineNo}: expected 64 hex digits, got "${lineText(buf, s, e)}" (${e - s} characters)`);
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
