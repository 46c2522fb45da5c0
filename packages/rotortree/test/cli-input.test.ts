/**
 * Reading `append`'s input (`readLeaves`): wherever chunk boundaries fall, the leaves are those of
 * an obviously correct whole-text model; a line is bounded by its format and refused as soon as
 * it is too long; batches after the first grow as leaves come.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRotorTreeError, toHex } from '@rotortree/core';
import { leafHasher } from '../src/index.js';
import { CliError } from '../src/cli/exit-codes.js';
import { MAX_HASH_LINE, MAX_HEX_LINE, inputSource, readLeaves } from '../src/cli/input.js';
import type { InputFormat, InputSource } from '../src/cli/input.js';
import { hexLines, leaves } from './support.js';

/** `bytes` cut at `cuts` (positions, any order), as a source. */
function sourceOf(bytes: Uint8Array, cuts: readonly number[] = []): InputSource {
  const at = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let start = 0;
    for (const c of [...at, bytes.length]) {
      if (c > start) yield bytes.subarray(start, c);
      start = Math.max(start, c);
    }
  }
  return { stream: chunks(), bytes: undefined, name: 'test' };
}

async function read(bytes: Uint8Array, format: InputFormat, cuts: readonly number[] = [], batch = 7): Promise<string[]> {
  const { batches, count } = await readLeaves(sourceOf(bytes, cuts), format, batch, format === 'hash' ? leafHasher() : undefined);
  const out: string[] = [];
  for (const b of batches) for (let i = 0; i < b.length; i += 32) out.push(toHex(b.subarray(i, i + 32)));
  expect(out).toHaveLength(count);
  return out;
}

async function usageOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CliError);
  return (err as CliError).code;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The model of hex input: trimmed lines, blanks skipped, an optional 0x. */
function hexModel(text: string): string[] {
  return text
    .replace(/^\ufeff/, '')
    .split('\n')
    .map((l) => l.trim().replace(/^0x/i, '').toLowerCase())
    .filter((l) => l !== '');
}

/** The model of --hash input: BLAKE3 of each line without its \n and one \r before it. */
function hashModel(text: string): string[] {
  const lines = text.replace(/^\ufeff/, '').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const h = leafHasher();
  return lines.map((l) => toHex(h(enc(l.endsWith('\r') ? l.slice(0, -1) : l))));
}

describe('readLeaves', () => {
  it('hex: the leaves of the whole-text model, wherever the chunks are cut', async () => {
    const line = fc.record({
      leaf: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      prefix: fc.constantFrom('', '0x', '0X'),
      upper: fc.boolean(),
      before: fc.constantFrom('', ' ', '\t  '),
      after: fc.constantFrom('', ' ', '\r', ' \t\r'),
      blankAfter: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), fc.boolean(), fc.array(fc.nat(1200), { maxLength: 8 }), async (ls, bom, cuts) => {
        const text =
          (bom ? '\ufeff' : '') +
          ls.map((l) => `${l.before}${l.prefix}${l.upper ? toHex(l.leaf).toUpperCase() : toHex(l.leaf)}${l.after}\n${l.blankAfter ? '  \n' : ''}`).join('');
        expect(await read(enc(text), 'hex', cuts)).toEqual(hexModel(text));
      }),
      { numRuns: 150 },
    );
  });

  it('--hash: BLAKE3 of each line, wherever the chunks are cut', async () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'é', '\n', '\r', '\r\n', ' ', '\u0000'), { maxLength: 60 }).map((cs) => cs.join(''));
    await fc.assert(
      fc.asyncProperty(text, fc.boolean(), fc.array(fc.nat(80), { maxLength: 6 }), async (t, bom, cuts) => {
        const s = (bom ? '\ufeff' : '') + t;
        expect(await read(enc(s), 'hash', cuts)).toEqual(hashModel(s));
      }),
      { numRuns: 200 },
    );
  });

  it('a hex line of the longest length is read; one byte more is USAGE, also when chunks cut it', async () => {
    const leafHex = hexLines(0, 1).trimEnd();
    const longest = `${' '.repeat(MAX_HEX_LINE - 64 - 10)}${leafHex}${' '.repeat(10)}`;
    expect(longest).toHaveLength(MAX_HEX_LINE);
    expect(await read(enc(`${longest}\n`), 'hex', [100, 500])).toEqual([leafHex]);
    for (const cuts of [[], [1], [100, 600, 1000]]) {
      expect(await usageOf(read(enc(`${longest} \n`), 'hex', cuts))).toBe('USAGE');
      expect(await usageOf(read(enc(`${leafHex}\n${longest} `), 'hex', cuts))).toBe('USAGE'); // the last line, no \n
    }
  });

  it('--hash hashes a line of several chunks whole, and refuses a line past MAX_HASH_LINE', async () => {
    const long = new Uint8Array(3 * 1024 * 1024 + 5).fill(0x61);
    const cuts = Array.from({ length: 60 }, (_, i) => (i + 1) * 65536);
    const withEnd = new Uint8Array(long.length + 2);
    withEnd.set(long);
    withEnd.set([13, 10], long.length);
    expect(await read(withEnd, 'hash', cuts)).toEqual([toHex(leafHasher()(long))]);
    const tooLong = new Uint8Array(MAX_HASH_LINE + 1).fill(0x62);
    expect(await usageOf(read(tooLong, 'hash', [1 << 20, 1 << 23]))).toBe('USAGE');
  });

  it('a batch after a full one starts small (a last batch of one leaf does not take a whole batch of memory)', async () => {
    const batch = 1 << 16;
    const { batches } = await readLeaves(sourceOf(leaves(0, batch + 1), [1 << 20]), 'raw', batch, undefined);
    expect(batches.map((b) => b.length / 32)).toEqual([batch, 1]);
    expect(batches[1]!.buffer.byteLength).toBeLessThanOrEqual(1024 * 32);
  });

  it('a failed read of the input is IO', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield enc(hexLines(0, 1));
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    const src = inputSource(undefined, Readable.from(failing()));
    const err = await readLeaves(src, 'hex', 10, undefined).catch((e: unknown) => e);
    expect(isRotorTreeError(err, 'IO')).toBe(true);
  });
});
