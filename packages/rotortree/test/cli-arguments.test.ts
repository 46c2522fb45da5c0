/**
 * The command line against hostile arguments and input, run in this process (`run()`): every path
 * argument that cannot be what the command needs is a usage error naming it (never `INTERNAL`),
 * an empty tree says so, input quoted in an error cannot drive the terminal, and a BOM or CRLF
 * does not make a leaf line wrong.
 */
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '@rotortree/core';
import { run } from '../src/cli/run.js';
import { errorOf, runCli } from './cli-support.js';
import { hexLines, leaf } from './support.js';

const base = mkdtempSync(join(tmpdir(), 'rotortree-cli-args-'));
let seq = 0;
const fresh = (): string => join(base, `t${seq++}`);
/** A tree of 3 leaves, shared by the tests that only read it. */
let tree3: string;
/** A regular file. */
let aFile: string;

beforeAll(async () => {
  tree3 = fresh();
  expect((await runCli(['init', '--dir', tree3])).code).toBe(0);
  expect((await runCli(['append', '--dir', tree3], hexLines(0, 3))).code).toBe(0);
  aFile = join(base, 'a-file');
  writeFileSync(aFile, 'not a directory');
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('path arguments', () => {
  it('an input or output path that cannot be used is USAGE (exit 2) naming it', async () => {
    const missing = join(base, 'missing.txt');
    const outInMissingDir = join(base, 'no-such-dir', 'p.json');
    const outUnderFile = join(aFile, 'p.json');
    const cases: [readonly string[], string][] = [
      [['append', base, '--dir', tree3], base], // a directory
      [['append', missing, '--dir', tree3], missing],
      [['prove', '0', '--dir', tree3, '--out', base], base],
      [['prove', '0', '--dir', tree3, '--out', outInMissingDir], outInMissingDir],
      [['prove', '0', '--dir', tree3, '--out', outUnderFile], outUnderFile],
    ];
    for (const [args, file] of cases) {
      const r = await runCli([...args, '--json']);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(errorOf(r)).toMatchObject({ code: 'USAGE', file });
    }
    for (const proof of [base, missing]) {
      const r = await runCli(['verify', proof, '--dir', tree3, '--json']);
      expect(r.code).toBe(2);
      expect(errorOf(r).code).toBe('USAGE');
    }
    expect((await runCli(['root', '--dir', tree3, '--json'])).json['size']).toBe(3); // nothing appended
  });

  it('a --dir that is a file, or below a file, is USAGE naming it for every command; bench needs an existing --dir', async () => {
    const below = join(aFile, 'tree');
    for (const dir of [aFile, below]) {
      for (const cmd of [['init'], ['root'], ['info'], ['prove', '0'], ['check'], ['checkpoint'], ['append'], ['verify', aFile], ['bench']]) {
        const r = await runCli([...cmd, '--dir', dir, '--json'], hexLines(0, 1));
        expect({ cmd, code: r.code }).toEqual({ cmd, code: 2 });
        expect(errorOf(r)).toMatchObject({ code: 'USAGE', file: dir });
      }
    }
    const missing = join(base, 'no-bench-here');
    const r = await runCli(['bench', '--dir', missing, '--leaves', '10', '--json']);
    expect(r.code).toBe(2);
    expect(errorOf(r)).toMatchObject({ code: 'USAGE', file: missing });
  });

  it('stdin that is a directory is USAGE', async () => {
    const fd = openSync(base, 'r');
    try {
      let stderr = '';
      const stdin = Object.assign(Readable.from([]), { fd });
      const code = await run(['append', '--dir', tree3], { stdout: { write: () => true }, stderr: { write: (c: string) => (stderr += c) !== '' }, stdin });
      expect(code).toBe(2);
      expect(stderr).toMatch(/^rotortree: USAGE: /);
    } finally {
      closeSync(fd);
    }
  });

  it('init makes missing parents, and creates a tree in a directory holding other files (not a tree of its own)', async () => {
    const nested = join(fresh(), 'a', 'b');
    expect((await runCli(['init', '--dir', nested])).code).toBe(0);
    const other = fresh();
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    const r = await runCli(['init', '--dir', other, '--json']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ created: true });
    expect(readFileSync(join(other, 'notes.txt'), 'utf8')).toBe('mine');
  });
});

describe('an empty tree, and leaves past the end', () => {
  it('prove on an empty tree is INDEX_OUT_OF_RANGE (exit 2), and no range "0..-1" is printed', async () => {
    const dir = fresh();
    await runCli(['init', '--dir', dir]);
    const r = await runCli(['prove', '0', '--dir', dir, '--json']);
    expect(r.code).toBe(2);
    expect(errorOf(r).code).toBe('INDEX_OUT_OF_RANGE');
    expect(errorOf(r).message).not.toContain('..-1');
    const past = await runCli(['prove', '3', '--dir', tree3, '--json']);
    expect(past.code).toBe(2);
    expect(errorOf(past).code).toBe('INDEX_OUT_OF_RANGE');
  });
});

describe('hostile input', () => {
  it('input or a path quoted in an error is printable: no escape sequence reaches the terminal', async () => {
    const r = await runCli(['append', '--dir', tree3], '\x1b]0;title\x07\x1b[31mred\u009b2J\u202e\n');
    const p = await runCli(['append', join(base, 'no\x1b[2Jsuch\r'), '--dir', tree3]);
    for (const x of [r, p]) {
      expect(x.code).toBe(2);
      expect(x.stderr).toMatch(/^rotortree: USAGE: /);
      expect(x.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u202e]/);
    }
  });

  it('a UTF-8 BOM before the first line and CRLF line ends are accepted (hex and --hash)', async () => {
    const dir = fresh();
    await runCli(['init', '--dir', dir]);
    const lines = hexLines(0, 2).trimEnd().split('\n');
    expect((await runCli(['append', '--dir', dir], `\ufeff${lines[0]!}\r\n${lines[1]!}\r\n`)).code).toBe(0);
    expect((await runCli(['append', '--dir', dir, '--hash'], '\ufeffhello\r\n')).code).toBe(0);
    const p0 = JSON.parse((await runCli(['prove', '0', '--dir', dir])).stdout) as { leaf: string };
    expect(p0.leaf).toBe(toHex(leaf(0)));
    const p2 = JSON.parse((await runCli(['prove', '2', '--dir', dir])).stdout) as { leaf: string };
    expect(p2.leaf).toBe('ea8f163db38682925e4491c5e58d4bb3506ef8c14eb78a86e908c5624a67200f'); // BLAKE3("hello")
  });

  it('empty input, blank lines only, and binary input in hex mode are USAGE and append nothing', async () => {
    for (const input of ['', '\n\n  \r\n', new Uint8Array([0, 1, 2, 255, 10, 128])]) {
      const r = await runCli(['append', '--dir', tree3, '--json'], input);
      expect(r.code).toBe(2);
      expect(errorOf(r).code).toBe('USAGE');
    }
    expect((await runCli(['root', '--dir', tree3, '--json'])).json['size']).toBe(3);
  });

  it('raw input whose file size is not a multiple of 32 is refused before it is read', async () => {
    const f = join(base, 'raw-33');
    writeFileSync(f, new Uint8Array(33));
    const r = await runCli(['append', f, '--raw', '--dir', tree3, '--json']);
    expect(r.code).toBe(2);
    expect(errorOf(r).code).toBe('USAGE');
  });
});

describe('info', () => {
  it('lists a symbolic link in the tree directory without following it (a loop, or a link to /)', async () => {
    const dir = fresh();
    await runCli(['init', '--dir', dir]);
    symlinkSync(dir, join(dir, 'loop'));
    symlinkSync('/', join(dir, 'root-link'));
    const r = await runCli(['info', '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    const files = (r.json['files'] as { path: string }[]).map((f) => f.path);
    expect(files).toContain('loop');
    expect(files).toContain('root-link');
    expect(files.every((f) => !f.startsWith('loop/') && !f.startsWith('root-link/'))).toBe(true);
  });
});
