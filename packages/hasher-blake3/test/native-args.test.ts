import { describe, expect, it } from 'vitest';
import { loadNativeKernel } from '../src/native/loader.js';

const kernel = loadNativeKernel({ disabled: false });

/** Runs f, returns the error it threw (or fails). */
function thrown(f: () => void): { name: string; code: unknown } {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return { name: (err as Error).constructor.name, code: (err as { code?: unknown }).code };
  }
  throw new Error('expected a throw');
}

const typeError = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
const rangeError = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };

describe.skipIf(kernel === undefined)('native kernel argument checks', () => {
  const k = kernel!;
  const input = new Uint8Array(64 * 4);
  const untouched = () => new Uint8Array(32 * 4).fill(0x77);

  it('hashMany rejects what is not a Uint8Array with a TypeError', () => {
    const out = untouched();
    for (const bad of [new Uint16Array(8), new Int8Array(8), new DataView(new ArrayBuffer(8)), [1, 2], null, undefined, 'x', 3]) {
      expect(thrown(() => k.hashMany(bad as unknown as Uint8Array, 0, 1, 1, out, 0))).toEqual(typeError);
      expect(thrown(() => k.hashMany(input, 0, 1, 1, bad as unknown as Uint8Array, 0))).toEqual(typeError);
    }
    expect(out.every((b) => b === 0x77)).toBe(true);
  });

  it('hashMany rejects non-numbers with a TypeError and bad numbers with a RangeError', () => {
    const out = untouched();
    for (const bad of ['1', 1n, null, undefined, {}]) {
      expect(thrown(() => k.hashMany(input, bad as unknown as number, 64, 1, out, 0))).toEqual(typeError);
      expect(thrown(() => k.hashMany(input, 0, 64, 1, out, bad as unknown as number))).toEqual(typeError);
    }
    for (const bad of [-1, 0.5, NaN, Infinity, -Infinity, 2 ** 53]) {
      expect(thrown(() => k.hashMany(input, bad, 64, 1, out, 0))).toEqual(rangeError);
      expect(thrown(() => k.hashMany(input, 0, bad, 1, out, 0))).toEqual(rangeError);
      expect(thrown(() => k.hashMany(input, 0, 64, bad, out, 0))).toEqual(rangeError);
      expect(thrown(() => k.hashMany(input, 0, 64, 1, out, bad))).toEqual(rangeError);
    }
    expect(out.every((b) => b === 0x77)).toBe(true);
  });

  it('hashMany rejects reads or writes past the ends, one byte over included, without writing', () => {
    const out = untouched();
    expect(thrown(() => k.hashMany(input, 1, 64, 4, out, 0))).toEqual(rangeError);
    expect(thrown(() => k.hashMany(input, 0, 65, 4, out, 0))).toEqual(rangeError);
    expect(thrown(() => k.hashMany(input, 257, 0, 0, out, 0))).toEqual(rangeError);
    expect(thrown(() => k.hashMany(input, 0, 64, 4, out, 1))).toEqual(rangeError);
    expect(thrown(() => k.hashMany(input, 0, 64, 5, out, 0))).toEqual(rangeError);
    expect(thrown(() => k.hashMany(input, 0, 2 ** 40, 2 ** 40, out, 0))).toEqual(rangeError); // product overflows 64 bits
    expect(thrown(() => k.hashMany(input, 0, 0, 2 ** 53 - 1, out, 0))).toEqual(rangeError);
    expect(out.every((b) => b === 0x77)).toBe(true);
    // The exact fit works.
    k.hashMany(input, 0, 64, 4, out, 0);
    k.hashMany(input, 256, 0, 0, out, 128);
  });

  it('hashMany throws on a detached buffer instead of touching freed memory', () => {
    const buf = new Uint8Array(128);
    structuredClone(buf.buffer, { transfer: [buf.buffer] });
    expect(buf.length).toBe(0);
    expect(thrown(() => k.hashMany(buf, 0, 64, 1, untouched(), 0))).toEqual(rangeError);
    expect(thrown(() => k.hashMany(input, 0, 64, 1, buf, 0))).toEqual(rangeError);
  });

  it('hashMany with too few arguments is a TypeError', () => {
    const call = k.hashMany as unknown as (...args: unknown[]) => void;
    expect(thrown(() => call(input, 0, 64, 1, untouched())).name).toBe('TypeError');
    expect(thrown(() => call()).name).toBe('TypeError');
  });

  it('bindPath rejects bad buffers and sizes, and its kernel bad leaves, levels and digits without writing', () => {
    const groups = new Uint8Array(3 * 4 * 32);
    const digits = new Int32Array(3);
    expect(thrown(() => k.bindPath([0] as unknown as Uint8Array, 4, digits, 2))).toEqual(typeError);
    expect(thrown(() => k.bindPath(groups, 4, new Uint32Array(3) as unknown as Int32Array, 2))).toEqual(typeError);
    expect(thrown(() => k.bindPath(groups, 4, digits, '2' as unknown as number))).toEqual(typeError);
    expect(thrown(() => k.bindPath(groups.subarray(1), 4, digits, 2))).toEqual(rangeError);
    expect(thrown(() => k.bindPath(groups, 4, digits.subarray(1), 2))).toEqual(rangeError);
    expect(thrown(() => k.bindPath(groups, 0, digits, 2))).toEqual(rangeError);
    expect(thrown(() => k.bindPath(groups, 257, digits, 0))).toEqual(rangeError);
    expect(thrown(() => k.bindPath(groups, 4, digits, -1))).toEqual(rangeError);
    const run = k.bindPath(groups, 4, digits, 2);
    expect(thrown(() => run('1' as unknown as number))).toEqual(typeError);
    expect(thrown(() => run(3))).toEqual(rangeError);
    expect(thrown(() => run(1.5))).toEqual(rangeError);
    groups.fill(9, 32, 64);
    const before = groups.slice();
    for (const bad of [4, -1]) {
      digits.set([1, bad, 0]);
      expect(thrown(() => run(1))).toEqual(rangeError);
    }
    expect(groups).toEqual(before);
    digits.set([1, 0, 0]);
    run(1); // digit 2 is not read with levels = 1
    expect(groups).not.toEqual(before);
  });

  it('a bound kernel whose buffer was detached throws instead of touching freed memory', () => {
    const groups = new Uint8Array(2 * 2 * 32);
    const digits = new Int32Array(2);
    const run = k.bindPath(groups, 2, digits, 1);
    structuredClone(groups.buffer, { transfer: [groups.buffer] });
    expect(groups.length).toBe(0);
    expect(() => run(1)).toThrow(Error);
  });

  it('hashPath rejects short counts, siblings, node and out without writing', () => {
    const node = new Uint8Array(40);
    const siblings = new Uint8Array(32 * 3);
    const counts = Uint8Array.of(1, 0, 2);
    const out = new Uint8Array(32 * 3).fill(0x77);
    expect(thrown(() => k.hashPath(node, 9, siblings, counts, 3, out))).toEqual(rangeError);
    expect(thrown(() => k.hashPath(node, 0, siblings, counts, 4, out))).toEqual(rangeError);
    expect(thrown(() => k.hashPath(node, 0, siblings.subarray(1), counts, 3, out))).toEqual(rangeError);
    expect(thrown(() => k.hashPath(node, 0, siblings, counts, 3, out.subarray(1)))).toEqual(rangeError);
    expect(thrown(() => k.hashPath(node, 0, siblings, Uint8Array.of(255, 255), 2, new Uint8Array(64)))).toEqual(rangeError);
    expect(thrown(() => k.hashPath(node, -1, siblings, counts, 3, out))).toEqual(rangeError);
    expect(thrown(() => k.hashPath(node, 0, siblings, [1, 0, 2] as unknown as Uint8Array, 3, out))).toEqual(typeError);
    expect(thrown(() => k.hashPath(node, 0, siblings, counts, '3' as unknown as number, out))).toEqual(typeError);
    expect(out.every((b) => b === 0x77)).toBe(true);
    k.hashPath(node, 8, siblings, counts, 3, out);
    k.hashPath(node, 0, new Uint8Array(0), new Uint8Array(0), 0, new Uint8Array(0));
  });
});
