/**
 * Little-endian field writing and bounds-checked reading for the manifest and the pointer. A read
 * past the end (or into the final CRC) is `CORRUPTION` naming the key and the offset.
 * @module
 */
import { corruption } from '../errors.js';

export class FieldWriter {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  at = 0;

  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.#view = new DataView(this.bytes.buffer);
  }

  u32(v: number): void {
    this.#view.setUint32(this.at, v, true);
    this.at += 4;
  }

  f64(v: number): void {
    this.#view.setFloat64(this.at, v, true);
    this.at += 8;
  }

  raw(b: Uint8Array): void {
    this.bytes.set(b, this.at);
    this.at += b.length;
  }
}

export class FieldReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #key: string;
  /** Bytes at the end that are not fields (the CRC). */
  readonly #reserved: number;
  at = 0;

  constructor(bytes: Uint8Array, key: string, reserved = 4) {
    this.#bytes = bytes;
    this.#key = key;
    this.#reserved = reserved;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #need(len: number): number {
    const at = this.at;
    if (at + len > this.#bytes.length - this.#reserved) throw corruption(this.#key, 'the object ends inside a field', at);
    this.at = at + len;
    return at;
  }

  u32(): number {
    return this.#view.getUint32(this.#need(4), true);
  }

  /** A safe integer >= `min` stored as f64. */
  int(min: number): number {
    const at = this.#need(8);
    const v = this.#view.getFloat64(at, true);
    if (!Number.isSafeInteger(v) || v < min) throw corruption(this.#key, `bad integer field ${v}`, at);
    return v;
  }

  raw(len: number): Uint8Array {
    const at = this.#need(len);
    return this.#bytes.subarray(at, at + len);
  }
}

/** `len` rounded up to a multiple of 4. */
export function pad4(len: number): number {
  return (len + 3) & ~3;
}
