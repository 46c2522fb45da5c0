/**
 * The `rotortree` command line, run as a real child process (`node dist/cli/main.js`): exit codes,
 * `--json` output, errors (missing tree, held lock, damaged WAL and checkpoint, bad input), and
 * round trips (append → prove → verify). `dist` is built by the global setup (test/build-dist.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LeanIMT, generateProof, inclusionProofToJSON, toHex } from '@rotortree/core';
import type { TreeView } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { mmapCheckpointStore } from '@rotortree/checkpoint-mmap';
import { leafHasher, open, readDescriptor } from '../src/index.js';
import { hexLines, leaves } from './support.js';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const main = join(pkg, 'dist/cli/main.js');
const base = mkdtempSync(join(tmpdir(), 'rotortree-cli-'));
let seq = 0;
const fresh = (): string => join(base, `t${seq++}`);

afterAll(() => rmSync(base, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  readonly json: Record<string, unknown>;
}

function cli(args: readonly string[], input?: string | Uint8Array, env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(process.execPath, [main, ...args], { input: input ?? '', timeout: 30_000, env });
  const stdout = r.stdout.toString();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { code: r.status, stdout, stderr: r.stderr.toString(), json };
}

function errorOf(r: Run): { code: string; exitCode: number; message: string; file?: string } {
  return r.json['error'] as { code: string; exitCode: number; message: string; file?: string };
}

/** A tree made through the CLI holding leaves 0..k-1 (appended in batches of `batch`). */
function treeWith(k: number, batch = 10_000, extra: readonly string[] = []): string {
  const dir = fresh();
  const file = join(base, `leaves-${seq}.txt`);
  writeFileSync(file, hexLines(0, k));
  expect(cli(['init', '--dir', dir]).code).toBe(0);
  expect(cli(['append', file, '--dir', dir, '--batch', String(batch), ...extra]).code).toBe(0);
  return dir;
}

function modelRoot(k: number, n = 4): string {
  const t = new LeanIMT({ hasher: blake3({ backend: 'js' }), n, maxDepth: 32 });
  t.insertMany(leaves(0, k));
  return toHex(t.root!);
}

describe('init', () => {
  it('creates a tree, is idempotent, and refuses other parameters with exit 5', () => {
    const dir = fresh();
    const a = cli(['init', '--dir', dir, '--n', '8', '--max-depth', '12', '--json']);
    expect(a.code).toBe(0);
    expect(a.json).toMatchObject({ created: true, n: 8, maxDepth: 12, hasher: 'blake3', size: 0 });
    const b = cli(['init', '--dir', dir, '--json']);
    expect(b.code).toBe(0);
    expect(b.json).toMatchObject({ created: false, n: 8, maxDepth: 12 });
    const c = cli(['init', '--dir', dir, '--n', '4', '--json']);
    expect(c.code).toBe(5);
    expect(errorOf(c).code).toBe('CONFIG_MISMATCH');
    expect(c.stderr).toMatch(/^rotortree: CONFIG_MISMATCH: /);
  });

  it('rejects bad parameters as usage errors (exit 2)', () => {
    expect(cli(['init', '--dir', fresh(), '--n', '1']).code).toBe(2);
    expect(cli(['init', '--dir', fresh(), '--max-depth', 'x']).code).toBe(2);
    expect(cli(['init']).code).toBe(2); // no --dir
  });
});

describe('append, root, prove, verify', () => {
  it('appends hex lines durably; root matches an independent in-memory tree', () => {
    const dir = fresh();
    cli(['init', '--dir', dir]);
    const a = cli(['append', '--dir', dir, '--batch', '7', '--json'], hexLines(0, 100));
    expect(a.code).toBe(0);
    expect(a.json).toMatchObject({ appended: 100, firstIndex: 0, size: 100, durable: true });
    const b = cli(['append', '-', '--dir', dir, '--json'], `0x${hexLines(100, 1).toUpperCase()}\n\n`);
    expect(b.json).toMatchObject({ appended: 1, firstIndex: 100, size: 101 });
    const r = cli(['root', '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ root: modelRoot(101), size: 101, depth: 4 });
    expect(cli(['root', '--dir', dir]).stdout).toBe(`${modelRoot(101)}\n`);
  });

  it('--hash turns each line into BLAKE3(line); --raw takes 32-byte records', () => {
    const dir = fresh();
    cli(['init', '--dir', dir]);
    expect(cli(['append', '--dir', dir, '--hash'], 'hello\r\nworld\n').code).toBe(0);
    expect(cli(['append', '--dir', dir, '--raw'], leaves(0, 3)).code).toBe(0);
    const h = leafHasher();
    const p1 = JSON.parse(cli(['prove', '1', '--dir', dir]).stdout) as { leaf: string; treeSize: number };
    expect(p1.leaf).toBe(toHex(h(new TextEncoder().encode('world'))));
    expect(p1.treeSize).toBe(5);
    const p0 = JSON.parse(cli(['prove', '0', '--dir', dir]).stdout) as { leaf: string };
    expect(p0.leaf).toBe(toHex(h(new TextEncoder().encode('hello'))));
    const p4 = JSON.parse(cli(['prove', '4', '--dir', dir]).stdout) as { leaf: string };
    expect(p4.leaf).toBe(toHex(leaves(2, 1)));
  });

  it('bad input is a usage error with its line number, and appends nothing', () => {
    const dir = treeWith(3);
    const input = `${hexLines(3, 2)}${'zz'.repeat(32)}\n${hexLines(5, 1)}`;
    const r = cli(['append', '--dir', dir, '--json'], input);
    expect(r.code).toBe(2);
    expect(errorOf(r).code).toBe('USAGE');
    expect(errorOf(r).message).toMatch(/line 3\b/);
    expect(r.stderr).toMatch(/^rotortree: USAGE: stdin line 3: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(cli(['append', '--dir', dir], 'abc\n').code).toBe(2);
    expect(cli(['append', '--dir', dir, '--raw'], new Uint8Array(33)).code).toBe(2);
    expect(cli(['append', '--dir', dir, '--raw', '--hash'], 'x').code).toBe(2);
    expect(cli(['append', '--dir', dir], '').code).toBe(2); // no leaves
    expect(cli(['root', '--dir', dir, '--json']).json['size']).toBe(3);
  });

  it('round trip: prove (JSON and binary) then verify against the tree, and against --root/--size/--n', () => {
    const dir = treeWith(300, 64);
    const root = modelRoot(300);
    const proofFile = join(base, 'p42.json');
    const binFile = join(base, 'p42.bin');
    const p = cli(['prove', '42', '--dir', dir]);
    expect(p.code).toBe(0);
    writeFileSync(proofFile, p.stdout);
    expect(JSON.parse(p.stdout)).toMatchObject({ leafIndex: 42, treeSize: 300, root });
    const b = cli(['prove', '42', '--dir', dir, '--binary', '--out', binFile, '--json']);
    expect(b.json).toMatchObject({ leafIndex: 42, format: 'binary' });

    for (const f of [proofFile, binFile]) {
      const v = cli(['verify', f, '--dir', dir, '--json']);
      expect(v.code).toBe(0);
      expect(v.json).toMatchObject({ valid: true, leafIndex: 42, treeSize: 300, root });
    }
    expect(cli(['verify', proofFile, '--root', root, '--size', '300', '--n', '4']).code).toBe(0);
    expect(cli(['verify', '-', '--root', root, '--size', '300', '--n', '4'], readFileSync(binFile)).code).toBe(0);
    expect(cli(['verify', proofFile, '--root', root, '--size', '301', '--n', '4']).code).toBe(1);
    expect(cli(['verify', proofFile, '--root', root, '--size', '300', '--n', '2']).code).toBe(1);
    expect(cli(['verify', proofFile, '--root', root, '--n', '4']).code).toBe(2); // the size must be bound
    expect(cli(['verify', proofFile, '--root', root, '--size', '300']).code).toBe(2); // and n too
    expect(cli(['verify', proofFile, '--dir', dir, '--index', '42']).code).toBe(0);
    expect(cli(['verify', proofFile, '--dir', dir, '--index', '43']).code).toBe(1);

    // The proof of an earlier state still verifies after more appends (through a consistency proof).
    expect(cli(['append', '--dir', dir], hexLines(300, 50)).code).toBe(0);
    const later = cli(['verify', proofFile, '--dir', dir, '--json']);
    expect(later.code).toBe(0);
    expect(later.json).toMatchObject({ valid: true, treeSize: 300, root });
  });

  it('verify of a tampered proof exits 1; a malformed one exits 1 with INVALID_PROOF', () => {
    const dir = treeWith(50);
    const proof = JSON.parse(cli(['prove', '7', '--dir', dir]).stdout) as { leaf: string; levels: { siblings: string[] }[] };
    const flip = (h: string): string => (h[0] === '0' ? '1' : '0') + h.slice(1);
    const tampered = { ...proof, leaf: flip(proof.leaf) };
    const f = join(base, 'tampered.json');
    writeFileSync(f, JSON.stringify(tampered));
    const v = cli(['verify', f, '--dir', dir, '--json']);
    expect(v.code).toBe(1);
    expect(v.json['valid']).toBe(false);
    const sib = structuredClone(proof);
    sib.levels[1]!.siblings[0] = flip(sib.levels[1]!.siblings[0]!);
    writeFileSync(f, JSON.stringify(sib));
    expect(cli(['verify', f, '--dir', dir]).code).toBe(1);
    writeFileSync(f, 'not a proof');
    const m = cli(['verify', f, '--dir', dir, '--json']);
    expect(m.code).toBe(1);
    expect(errorOf(m).code).toBe('INVALID_PROOF');
  });

  it('verify refuses proof input larger than any proof (a file, and stdin) as INVALID_PROOF, and a missing file as a usage error', () => {
    const dir = treeWith(5);
    // A valid proof followed by 3 MiB of spaces (which JSON allows): refused for its size alone.
    const proof = cli(['prove', '2', '--dir', dir]).stdout;
    const padded = `${proof}${' '.repeat(3 * 1024 * 1024)}`;
    const big = join(base, 'big-proof.json');
    writeFileSync(big, proof);
    expect(cli(['verify', big, '--dir', dir]).code).toBe(0);
    writeFileSync(big, padded);
    const fromFile = cli(['verify', big, '--dir', dir, '--json']);
    expect(fromFile.code).toBe(1);
    expect(errorOf(fromFile).code).toBe('INVALID_PROOF');
    const fromStdin = cli(['verify', '-', '--dir', dir, '--json'], padded);
    expect(fromStdin.code).toBe(1);
    expect(errorOf(fromStdin).code).toBe('INVALID_PROOF');
    const missing = cli(['verify', join(base, 'no-such-proof.json'), '--dir', dir, '--json']);
    expect(missing.code).toBe(2);
  });

  it('prove of a leaf past the end is a usage error (INDEX_OUT_OF_RANGE, exit 2)', () => {
    const dir = treeWith(5);
    const r = cli(['prove', '5', '--dir', dir, '--json']);
    expect(r.code).toBe(2);
    expect(errorOf(r).code).toBe('INDEX_OUT_OF_RANGE');
  });
});

describe('info, checkpoint, check, bench', () => {
  it('info reports size, parameters, backend and files', () => {
    const dir = treeWith(2000, 500, ['--no-checkpoint']);
    const r = cli(['info', '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    expect(r.json['lock']).toEqual({ directories: ['.', 'wal', 'checkpoint'], provider: 'fs-ext' }); // fs-ext builds in this workspace
    expect(r.json).toMatchObject({ size: 2000, depth: 6, n: 4, maxDepth: 32, root: modelRoot(2000), seq: 4, checkpointSeq: 0 });
    expect((r.json['hasher'] as { id: string }).id).toBe('blake3');
    const files = (r.json['files'] as { path: string; bytes: number }[]).map((f) => f.path);
    expect(files).toContain(join('wal', 'wal.log'));
    expect(files).toContain('rotortree.json');
    expect(r.json['walBytes']).toBeGreaterThan(2000 * 32);
    expect(cli(['info', '--dir', dir]).stdout).toMatch(/^size\s+2,000 leaves$/m);
  });

  it('checkpoint writes one and truncates the WAL; a second one has nothing to write', () => {
    const dir = treeWith(3000, 1000, ['--no-checkpoint']);
    const a = cli(['checkpoint', '--dir', dir, '--json']);
    expect(a.code).toBe(0);
    expect(a.json).toMatchObject({ size: 3000, seq: 3, checkpointSeq: 3, written: true });
    expect(cli(['checkpoint', '--dir', dir, '--json']).json).toMatchObject({ written: false, checkpointSeq: 3 });
    const info = cli(['info', '--dir', dir, '--json']).json;
    expect(info['walBytes']).toBeLessThan(200); // the header and its mark slot, no record
    expect(info['checkpointBytes']).toBeGreaterThan(3000 * 32);
  });

  it('check passes on a healthy tree, with its checkpoint and WAL delta', () => {
    const dir = treeWith(5000, 1000);
    expect(cli(['append', '--dir', dir, '--no-checkpoint'], hexLines(5000, 10)).code).toBe(0);
    const r = cli(['check', '--dir', dir, '--json', '--samples', '20']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ok: true, size: 5010, root: modelRoot(5010), proofs: { checked: 20, failed: 0 } });
    expect(r.json['checkpoint']).toMatchObject({ size: 5000, mismatches: 0 });
    expect((r.json['wal'] as { records: number }).records).toBe(1);
  });

  it('bench runs and reports its numbers', () => {
    const r = cli(['bench', '--dir', base, '--leaves', '3000', '--batch', '1000', '--singles', '50', '--proofs', '20', '--json']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ leaves: 3000, reopenedSize: 3000 + 50 + 50 });
    expect(r.json['insertManyLeavesPerSec']).toBeGreaterThan(0);
    expect(readdirSync(base).some((f) => f.startsWith('rotortree-bench-'))).toBe(false); // cleaned up
  });

  it('--progress draws bars on stderr even when it is not a terminal; they are off by default', () => {
    const dir = treeWith(1);
    expect(cli(['append', '--dir', dir, '--progress'], hexLines(1, 20)).stderr).toMatch(/append \[#+\] 100%/);
    expect(cli(['append', '--dir', dir], hexLines(21, 20)).stderr).toBe('');
  });
});

describe('errors', () => {
  it('a missing tree is NO_TREE (exit 7), one line, a stack only with --debug', () => {
    const dir = join(base, 'does-not-exist');
    for (const cmd of [['root'], ['info'], ['prove', '0'], ['check'], ['checkpoint'], ['append']]) {
      const r = cli([...cmd, '--dir', dir, '--json']);
      expect(r.code).toBe(7);
      expect(errorOf(r).code).toBe('NO_TREE');
    }
    const plain = cli(['root', '--dir', dir]);
    expect(plain.stderr.trim().split('\n')).toHaveLength(1);
    expect(plain.stderr).toMatch(/^rotortree: NO_TREE: /);
    expect(cli(['root', '--dir', dir, '--debug']).stderr).toMatch(/\n\s+at /);
  });

  it('a full tree is MAX_DEPTH_EXCEEDED (exit 8); the batches before the full one stay appended', () => {
    const dir = fresh();
    expect(cli(['init', '--dir', dir, '--n', '2', '--max-depth', '1']).code).toBe(0); // capacity 2
    const r = cli(['append', '--dir', dir, '--batch', '1', '--json'], hexLines(0, 3));
    expect(r.code).toBe(8);
    expect(errorOf(r).code).toBe('MAX_DEPTH_EXCEEDED');
    expect(errorOf(r)).toMatchObject({ durable: 2, firstIndex: 0 }); // what the tokens confirm
    expect(cli(['root', '--dir', dir, '--json']).json).toEqual({ root: modelRoot(2, 2), size: 2, depth: 1 });
  });

  it('an empty tree has an empty root line; an --out in a missing directory is a usage error naming it (exit 2)', () => {
    const dir = fresh();
    cli(['init', '--dir', dir]);
    expect(cli(['root', '--dir', dir])).toMatchObject({ code: 0, stdout: '\n' });
    expect(cli(['root', '--dir', dir, '--json']).json).toEqual({ root: null, size: 0, depth: 0 });
    cli(['append', '--dir', dir], hexLines(0, 2));
    const out = join(base, 'no-such-dir', 'p.json');
    const r = cli(['prove', '0', '--dir', dir, '--out', out, '--json']);
    expect(r.code).toBe(2);
    expect(errorOf(r)).toMatchObject({ code: 'USAGE', file: out });
  });

  it('usage errors exit 2', () => {
    expect(cli(['frobnicate']).code).toBe(2);
    expect(cli(['root', '--dir', base, '--bogus']).code).toBe(2);
    expect(cli(['prove', '--dir', base]).code).toBe(2); // no index
    expect(cli(['prove', '-1', '--dir', base]).code).toBe(2);
    expect(cli([]).code).toBe(2);
    expect(cli(['--help']).code).toBe(0);
    expect(cli(['verify', '--help']).stdout).toMatch(/--root <hex>/);
  });

  it('a directory held by another process is FILE_LOCKED (exit 3) for a writer, also with every *.lock file under it deleted; readers read beside it', async () => {
    const dir = treeWith(10);
    const script = join(base, 'hold.mjs');
    writeFileSync(
      script,
      `import { open } from ${JSON.stringify(pathToFileURL(join(pkg, 'dist/index.js')).href)};
const tree = await open(process.argv[2]);
console.log('OPEN');
setInterval(() => {}, 1000);
`,
    );
    const holder = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => holder.on('exit', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('OPEN') && resolve());
        holder.on('exit', () => reject(new Error('the holder exited')));
      });
      // A cleanup job deletes lock files under the live writer: the locks are the directories.
      for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) if (entry.endsWith('.lock')) rmSync(join(dir, entry));
      const r = cli(['append', '--dir', dir, '--json'], hexLines(0, 1));
      expect(r.code).toBe(3);
      expect(errorOf(r).code).toBe('FILE_LOCKED');
      for (const cmd of [['root'], ['check'], ['info']]) expect(cli([...cmd, '--dir', dir, '--json']).code, cmd[0]).toBe(0);
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    expect(cli(['root', '--dir', dir]).code).toBe(0); // released when the holder died
  });

  it('with no flock provider (fs-ext not built, no addon), init is UNSUPPORTED (exit 9) and creates nothing', () => {
    const dir = fresh();
    const hideFsExt = join(pkg, '../native/test/fixtures/hide-fs-ext.cjs');
    const env = { ...process.env, ROTORTREE_DISABLE_NATIVE: '1', NODE_OPTIONS: `-r ${hideFsExt}` };
    const r = cli(['init', '--dir', dir, '--json'], '', env);
    expect(r.code).toBe(9);
    expect(errorOf(r).code).toBe('UNSUPPORTED');
    expect(() => readdirSync(dir)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(cli(['init', '--dir', dir]).code).toBe(0); // with the addon, the same command works
  });

  it('a damaged WAL record with good records after it is CORRUPTION (exit 4), for every command and for check', async () => {
    const dir = fresh();
    const tree = await open(dir, { checkpointOnClose: false });
    // One flush per record: a bad record followed by records of a later flush cannot be a torn tail.
    for (let i = 0; i < 4; i++) await tree.insertMany(leaves(i * 10, 10)).token.wait();
    await tree.close();
    const wal = join(dir, 'wal', 'wal.log');
    const bytes = readFileSync(wal);
    const firstPayload = 34 + 'blake3'.length + 16; // file header, record header
    bytes[firstPayload + 5]! ^= 0xff;
    writeFileSync(wal, bytes);
    const r = cli(['root', '--dir', dir, '--json']);
    expect(r.code).toBe(4);
    expect(errorOf(r).code).toBe('CORRUPTION');
    expect(errorOf(r).file).toBe(wal);
    const c = cli(['check', '--dir', dir, '--json']);
    expect(c.code).toBe(4);
    expect(c.json['ok']).toBe(false);
    expect(c.json['issues']).toContainEqual(expect.objectContaining({ code: 'CORRUPTION', file: wal }));
    expect(cli(['check', '--dir', dir]).stdout).toMatch(/^DAMAGED: /m);
  });

  it('a damaged checkpoint segment is CORRUPTION (exit 4) in check, with the file', () => {
    const dir = treeWith(5000, 5000);
    const cpDir = join(dir, 'checkpoint');
    const seg = readdirSync(cpDir).find((f) => f.startsWith('seg-'));
    expect(seg).toBeDefined();
    const path = join(cpDir, seg!);
    const bytes = readFileSync(path);
    bytes[100]! ^= 0x01;
    writeFileSync(path, bytes);
    const c = cli(['check', '--dir', dir, '--json']);
    expect(c.code).toBe(4);
    expect(c.json['issues']).toContainEqual(expect.objectContaining({ code: 'CORRUPTION', file: path }));
  });

  it('check recomputes every level: a stored inner node that does not match its children is reported with level and index', async () => {
    const dir = fresh();
    const tree = await open(dir, { checkpointOnClose: false });
    tree.insertMany(leaves(0, 100));
    await tree.close();
    // A checkpoint whose checksums are right but whose node 3 of level 1 is wrong: only recomputation sees it.
    const model = new LeanIMT({ hasher: blake3(), n: 4, maxDepth: 32 });
    model.insertMany(leaves(0, 100));
    const snap = model.snapshot();
    const bad: TreeView = {
      n: snap.n,
      maxDepth: snap.maxDepth,
      size: snap.size,
      depth: snap.depth,
      get root() {
        return snap.root;
      },
      levelLength: (k) => snap.levelLength(k),
      readNode(k, i, out, off) {
        snap.readNode(k, i, out, off);
        if (k === 1 && i === 3) out[off] = out[off]! ^ 0xff;
      },
      getNode(k, i) {
        const out = new Uint8Array(32);
        this.readNode(k, i, out, 0);
        return out;
      },
    };
    const store = mmapCheckpointStore({ dir: join(dir, 'checkpoint') });
    await store.open({ n: 4, maxDepth: 32, hasherId: 'blake3', treeId: (await readDescriptor(join(dir, 'rotortree.json')))!.treeId });
    await store.write(bad, 1);
    await store.close();
    const c = cli(['check', '--dir', dir, '--json']);
    expect(c.code).toBe(4);
    expect(c.json['issues']).toContainEqual(expect.objectContaining({ code: 'CORRUPTION', level: 1, index: 3 }));
    expect(c.json['checkpoint']).toMatchObject({ mismatches: 1 });
  });

  it('the proof JSON printed by prove is exactly the library encoding', () => {
    const dir = treeWith(20);
    const model = new LeanIMT({ hasher: blake3(), n: 4, maxDepth: 32 });
    model.insertMany(leaves(0, 20));
    expect(JSON.parse(cli(['prove', '13', '--dir', dir]).stdout)).toEqual(inclusionProofToJSON(generateProof(model.snapshot(), 13)));
  });
});
