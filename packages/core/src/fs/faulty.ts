/**
 * An in-memory {@link FileSystem} that models what survives a power loss, for crash tests.
 * Modelled on LevelDB's FaultInjectionTestEnv, RocksDB's FaultInjectionTestFS and SQLite's
 * crash VFS. No Node-only imports.
 *
 * Model:
 * - Each file (inode) has its current bytes and its durable bytes. A write or truncate is
 *   "unsynced" until `sync`/`datasync` of that file; then it is durable.
 * - Creating, renaming and unlinking a file name are unsynced until `fsyncDir` of its
 *   directory. Directories themselves are durable once created (a simplification).
 * - All unsynced operations sit in one global list, in issue order. {@link FaultyFileSystem.crash}
 *   builds the post-power-loss image from the durable state plus the unsynced operations the
 *   {@link CrashMode} keeps, then "reboots": open handles die, injected faults are cleared.
 * - A failed `datasync`/`sync` (injected) drops that file's unsynced writes for good, as Linux
 *   does ("fsyncgate"): a retried sync succeeds without making them durable.
 * - Every call counts as one operation (its index is {@link FaultyFileSystem.opCount} after it
 *   started), so `(seed, crashAfterOp, mode)` replays exactly.
 * @module
 */
import { FileSystemError } from './errors.js';
import { baseName, dirName, normalizePath } from './path.js';
import { createPrng } from './prng.js';
import type { Prng } from './prng.js';
import type { FileHandle, FileStat, FileSystem, OpenFlags } from './types.js';

/** Operation kinds, as counted and as named in {@link FaultRule}. */
export type FsOp =
  | 'open'
  | 'read'
  | 'write'
  | 'size'
  | 'datasync'
  | 'sync'
  | 'truncate'
  | 'close'
  | 'rename'
  | 'unlink'
  | 'readdir'
  | 'mkdir'
  | 'stat'
  | 'fsyncDir';

/**
 * What a power loss keeps of the unsynced operations:
 * - `dropAll`: none (LevelDB).
 * - `prefix`: a random prefix, in issue order (RocksDB).
 * - `torn`: everything before a randomly chosen unsynced write, and that write cut at a random
 *   512- or 4096-byte boundary; if it grew the file, the grown part past the cut is zeros or
 *   garbage (the size reached the disk, the data did not: SQLite's assumption).
 * - `reorder`: a random subset, each operation kept or dropped independently (ALICE).
 */
export type CrashMode = 'dropAll' | 'prefix' | 'torn' | 'reorder';

/** All crash modes, for test loops. */
export const CRASH_MODES: readonly CrashMode[] = ['dropAll', 'prefix', 'torn', 'reorder'];

/** An injected failure: the `nth` call (1 = the next one) of `op`, optionally only on `path`, throws `code`. */
export interface FaultRule {
  readonly op: FsOp;
  readonly nth: number;
  readonly code: 'EIO' | 'ENOSPC';
  readonly path?: string;
}

/** What {@link FaultyFileSystem.crash} did. */
export interface CrashReport {
  readonly mode: CrashMode;
  /** Unsynced operations at the crash. */
  readonly unsynced: number;
  /** How many of them the image kept (a torn write counts as kept). */
  readonly kept: number;
}

/** Options of {@link faultyFileSystem}. */
export interface FaultyFileSystemOptions {
  /** Seed of every random choice (crash images, garbage bytes). */
  readonly seed: number;
  /** Operations with a higher index fail with `EIO`, as if the machine were gone. */
  readonly crashAfterOp?: number;
}

/** The fault-injecting in-memory file system. */
export interface FaultyFileSystem extends FileSystem {
  /** Operations started so far (the index of the last one). */
  readonly opCount: number;
  /** True once an operation has been refused because of {@link setCrashAfterOp}. */
  readonly isDown: boolean;
  /** Every operation with index > `op` fails with `EIO`; `undefined` lifts it. */
  setCrashAfterOp(op: number | undefined): void;
  /** Installs a one-shot injected failure. */
  failAt(rule: FaultRule): void;
  /** Simulates a power loss and reboot (see {@link CrashMode}). */
  crash(mode: CrashMode): CrashReport;
  /** Current (not necessarily durable) bytes of a file, for test assertions; `undefined` if none. */
  peek(path: string): Uint8Array | undefined;
}

interface Inode {
  buf: Uint8Array;
  len: number;
  durable: Uint8Array;
}

type Unsynced =
  | { readonly kind: 'write'; readonly inode: Inode; readonly pos: number; readonly bytes: Uint8Array }
  | { readonly kind: 'truncate'; readonly inode: Inode; readonly len: number }
  | { readonly kind: 'link'; readonly dir: string; readonly name: string; readonly inode: Inode }
  | { readonly kind: 'unlink'; readonly dir: string; readonly name: string }
  | {
      readonly kind: 'rename';
      readonly fromDir: string;
      readonly fromName: string;
      readonly toDir: string;
      readonly toName: string;
      readonly inode: Inode;
    };

interface Dir {
  entries: Map<string, Inode>;
  durable: Map<string, Inode>;
}

interface ArmedRule extends FaultRule {
  seen: number;
}

function growTo(inode: Inode, len: number): void {
  if (len <= inode.buf.length) return;
  const next = new Uint8Array(Math.max(len, inode.buf.length * 2, 256));
  next.set(inode.buf.subarray(0, inode.len));
  inode.buf = next;
}

/** Applies a write or truncate to a plain byte image (returns the new image). */
function applyToImage(image: Uint8Array, op: Unsynced): Uint8Array {
  if (op.kind === 'write') {
    const end = op.pos + op.bytes.length;
    const out = end > image.length ? new Uint8Array(end) : image;
    if (out !== image) out.set(image);
    out.set(op.bytes, op.pos);
    return out;
  }
  if (op.kind === 'truncate') {
    const out = new Uint8Array(op.len);
    out.set(image.subarray(0, Math.min(op.len, image.length)));
    return out;
  }
  return image;
}

function inodeOf(op: Unsynced): Inode | undefined {
  return op.kind === 'write' || op.kind === 'truncate' ? op.inode : undefined;
}

function touchesDir(op: Unsynced, dir: string): boolean {
  if (op.kind === 'link' || op.kind === 'unlink') return op.dir === dir;
  if (op.kind === 'rename') return op.fromDir === dir || op.toDir === dir;
  return false;
}

class FaultyFs implements FaultyFileSystem {
  private readonly prng: Prng;
  private readonly dirs = new Map<string, Dir>();
  private unsynced: Unsynced[] = [];
  private rules: ArmedRule[] = [];
  private crashAfter: number | undefined;
  private generation = 0;
  private ops = 0;
  private down = false;

  constructor(options: FaultyFileSystemOptions) {
    this.prng = createPrng(options.seed);
    this.crashAfter = options.crashAfterOp;
    this.dirs.set('/', { entries: new Map(), durable: new Map() });
    this.dirs.set('.', { entries: new Map(), durable: new Map() });
  }

  get opCount(): number {
    return this.ops;
  }

  get isDown(): boolean {
    return this.down;
  }

  setCrashAfterOp(op: number | undefined): void {
    this.crashAfter = op;
  }

  failAt(rule: FaultRule): void {
    if (!Number.isInteger(rule.nth) || rule.nth < 1) throw new RangeError('nth must be an integer >= 1');
    this.rules.push({ ...rule, seen: 0 });
  }

  /** Counts the operation, then throws if the machine is "gone" or a rule fires. */
  begin(op: FsOp, path?: string): void {
    this.ops++;
    if (this.crashAfter !== undefined && this.ops > this.crashAfter) {
      this.down = true;
      throw new FileSystemError('EIO', op, path);
    }
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (rule.op !== op || (rule.path !== undefined && normalizePath(rule.path) !== path)) continue;
      rule.seen++;
      if (rule.seen === rule.nth) {
        this.rules.splice(i, 1);
        throw new FileSystemError(rule.code, op, path);
      }
    }
  }

  isCurrent(generation: number): boolean {
    return generation === this.generation;
  }

  private dir(path: string, syscall: string): Dir {
    const d = this.dirs.get(path);
    if (d === undefined) throw new FileSystemError('ENOENT', syscall, path);
    return d;
  }

  private lookup(path: string, syscall: string): { dir: Dir; dirPath: string; name: string; inode: Inode | undefined } {
    const p = normalizePath(path);
    const dirPath = dirName(p);
    const dir = this.dir(dirPath, syscall);
    const name = baseName(p);
    return { dir, dirPath, name, inode: dir.entries.get(name) };
  }

  async open(path: string, flags: OpenFlags): Promise<FileHandle> {
    const p = normalizePath(path);
    this.begin('open', p);
    if (this.dirs.has(p)) throw new FileSystemError('EISDIR', 'open', p);
    const at = this.lookup(p, 'open');
    let inode = at.inode;
    if (inode === undefined) {
      if (flags === 'r' || flags === 'r+') throw new FileSystemError('ENOENT', 'open', p);
      inode = { buf: new Uint8Array(0), len: 0, durable: new Uint8Array(0) };
      at.dir.entries.set(at.name, inode);
      this.unsynced.push({ kind: 'link', dir: at.dirPath, name: at.name, inode });
    } else if (flags === 'wx+') {
      throw new FileSystemError('EEXIST', 'open', p);
    } else if (flags === 'w+' && inode.len > 0) {
      inode.len = 0;
      this.unsynced.push({ kind: 'truncate', inode, len: 0 });
    }
    return new FaultyHandle(this, inode, p, flags === 'r', this.generation);
  }

  async rename(from: string, to: string): Promise<void> {
    const f = normalizePath(from);
    const t = normalizePath(to);
    this.begin('rename', f);
    const src = this.lookup(f, 'rename');
    if (src.inode === undefined) throw new FileSystemError('ENOENT', 'rename', f);
    const dst = this.lookup(t, 'rename');
    if (f === t) return;
    src.dir.entries.delete(src.name);
    dst.dir.entries.set(dst.name, src.inode);
    this.unsynced.push({
      kind: 'rename',
      fromDir: src.dirPath,
      fromName: src.name,
      toDir: dst.dirPath,
      toName: dst.name,
      inode: src.inode,
    });
  }

  async unlink(path: string): Promise<void> {
    const p = normalizePath(path);
    this.begin('unlink', p);
    const at = this.lookup(p, 'unlink');
    if (at.inode === undefined) throw new FileSystemError(this.dirs.has(p) ? 'EISDIR' : 'ENOENT', 'unlink', p);
    at.dir.entries.delete(at.name);
    this.unsynced.push({ kind: 'unlink', dir: at.dirPath, name: at.name });
  }

  async readdir(dir: string): Promise<string[]> {
    const p = normalizePath(dir);
    this.begin('readdir', p);
    const names = [...this.dir(p, 'readdir').entries.keys()];
    for (const sub of this.dirs.keys()) if (sub !== p && dirName(sub) === p) names.push(baseName(sub));
    return names.sort();
  }

  async mkdir(dir: string, options?: { readonly recursive?: boolean }): Promise<void> {
    const p = normalizePath(dir);
    this.begin('mkdir', p);
    if (this.dirs.has(p)) {
      if (options?.recursive === true) return;
      throw new FileSystemError('EEXIST', 'mkdir', p);
    }
    const missing: string[] = [];
    for (let d = p; !this.dirs.has(d); d = dirName(d)) missing.push(d);
    if (missing.length > 1 && options?.recursive !== true) throw new FileSystemError('ENOENT', 'mkdir', p);
    for (let i = missing.length - 1; i >= 0; i--) {
      const d = missing[i]!;
      if (this.dirs.get(dirName(d))!.entries.has(baseName(d))) throw new FileSystemError('ENOTDIR', 'mkdir', d);
      this.dirs.set(d, { entries: new Map(), durable: new Map() });
    }
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const p = normalizePath(path);
    this.begin('stat', p);
    if (this.dirs.has(p)) return { size: 0, isFile: false, isDirectory: true };
    const dir = this.dirs.get(dirName(p));
    const inode = dir?.entries.get(baseName(p));
    return inode === undefined ? undefined : { size: inode.len, isFile: true, isDirectory: false };
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== undefined;
  }

  async fsyncDir(dir: string): Promise<void> {
    const p = normalizePath(dir);
    this.begin('fsyncDir', p);
    this.dir(p, 'fsyncDir');
    const rest: Unsynced[] = [];
    for (const op of this.unsynced) {
      if (touchesDir(op, p)) this.applyDirOp(op, (d) => d.durable);
      else rest.push(op);
    }
    this.unsynced = rest;
  }

  /** Makes a file's unsynced writes durable (or, when `lose`, drops them for good). */
  syncInode(inode: Inode, lose: boolean): void {
    const rest: Unsynced[] = [];
    for (const op of this.unsynced) {
      if (inodeOf(op) !== inode) rest.push(op);
      else if (!lose) inode.durable = applyToImage(inode.durable, op);
    }
    this.unsynced = rest;
  }

  recordWrite(inode: Inode, pos: number, bytes: Uint8Array): void {
    growTo(inode, pos + bytes.length);
    if (pos > inode.len) inode.buf.fill(0, inode.len, pos);
    inode.buf.set(bytes, pos);
    inode.len = Math.max(inode.len, pos + bytes.length);
    this.unsynced.push({ kind: 'write', inode, pos, bytes });
  }

  recordTruncate(inode: Inode, len: number): void {
    if (len > inode.len) {
      growTo(inode, len);
      inode.buf.fill(0, inode.len, len);
    }
    inode.len = len;
    this.unsynced.push({ kind: 'truncate', inode, len });
  }

  private applyDirOp(op: Unsynced, side: (d: Dir) => Map<string, Inode>): void {
    const get = (path: string): Map<string, Inode> | undefined => {
      const d = this.dirs.get(path);
      return d === undefined ? undefined : side(d);
    };
    if (op.kind === 'link') get(op.dir)?.set(op.name, op.inode);
    else if (op.kind === 'unlink') get(op.dir)?.delete(op.name);
    else if (op.kind === 'rename') {
      const from = get(op.fromDir);
      if (from?.get(op.fromName) === op.inode) from.delete(op.fromName);
      get(op.toDir)?.set(op.toName, op.inode);
    }
  }

  private chooseKept(mode: CrashMode): { keep: boolean[]; torn: number } {
    const n = this.unsynced.length;
    const keep = new Array<boolean>(n).fill(false);
    let torn = -1;
    if (mode === 'prefix') {
      const m = this.prng.below(n + 1);
      for (let i = 0; i < m; i++) keep[i] = true;
    } else if (mode === 'reorder') {
      for (let i = 0; i < n; i++) keep[i] = (this.prng.nextU32() & 1) === 1;
    } else if (mode === 'torn') {
      const writes: number[] = [];
      this.unsynced.forEach((op, i) => {
        if (op.kind === 'write') writes.push(i);
      });
      const m = writes.length === 0 ? this.prng.below(n + 1) : writes[this.prng.below(writes.length)]!;
      for (let i = 0; i < m; i++) keep[i] = true;
      if (writes.length > 0) torn = m;
    }
    return { keep, torn };
  }

  /** Applies `op` to `image` keeping only the part before a random sector boundary. */
  private tearInto(image: Uint8Array, op: Extract<Unsynced, { kind: 'write' }>): Uint8Array {
    const sector = this.prng.nextU32() & 1 ? 4096 : 512;
    const end = op.pos + op.bytes.length;
    const cuts = [op.pos];
    for (let b = Math.ceil((op.pos + 1) / sector) * sector; b < end; b += sector) cuts.push(b);
    const cut = cuts[this.prng.below(cuts.length)]!;
    const out = new Uint8Array(Math.max(image.length, end));
    out.set(image);
    out.set(op.bytes.subarray(0, cut - op.pos), op.pos);
    const grownFrom = Math.max(cut, image.length);
    if (end > grownFrom) {
      if (this.prng.nextU32() & 1) this.prng.fill(out.subarray(grownFrom, end));
      else out.fill(0, grownFrom, end);
    }
    return out;
  }

  crash(mode: CrashMode): CrashReport {
    const { keep, torn } = this.chooseKept(mode);
    const images = new Map<Inode, Uint8Array>();
    const imageOf = (inode: Inode): Uint8Array => images.get(inode) ?? inode.durable;
    let kept = 0;
    this.unsynced.forEach((op, i) => {
      if (i === torn && op.kind === 'write') {
        images.set(op.inode, this.tearInto(imageOf(op.inode), op));
        kept++;
        return;
      }
      if (!keep[i]) return;
      kept++;
      const inode = inodeOf(op);
      if (inode !== undefined) images.set(inode, applyToImage(imageOf(inode), op));
      else this.applyDirOp(op, (d) => d.durable);
    });
    for (const d of this.dirs.values()) {
      for (const [name, inode] of d.durable) {
        const image = imageOf(inode).slice();
        inode.durable = image;
        inode.buf = image.slice();
        inode.len = image.length;
        d.durable.set(name, inode);
      }
      d.entries = new Map(d.durable);
    }
    const report: CrashReport = { mode, unsynced: this.unsynced.length, kept };
    this.unsynced = [];
    this.rules = [];
    this.crashAfter = undefined;
    this.down = false;
    this.generation++;
    return report;
  }

  peek(path: string): Uint8Array | undefined {
    const p = normalizePath(path);
    const inode = this.dirs.get(dirName(p))?.entries.get(baseName(p));
    return inode?.buf.slice(0, inode.len);
  }
}

class FaultyHandle implements FileHandle {
  private closed = false;

  constructor(
    private readonly fs: FaultyFs,
    private readonly inode: Inode,
    private readonly path: string,
    private readonly readOnly: boolean,
    private readonly generation: number,
  ) {}

  private begin(op: FsOp): void {
    this.fs.begin(op, this.path);
    if (this.closed || !this.fs.isCurrent(this.generation)) throw new FileSystemError('EBADF', op, this.path);
  }

  async pwrite(buf: Uint8Array, off: number, len: number, pos: number): Promise<void> {
    this.begin('write');
    if (this.readOnly) throw new FileSystemError('EBADF', 'write', this.path);
    this.fs.recordWrite(this.inode, pos, buf.slice(off, off + len));
  }

  /** One `write` operation (faults apply to it whole) whose buffers land as separate unsynced writes. */
  async pwritev(bufs: readonly Uint8Array[], pos: number): Promise<void> {
    this.begin('write');
    if (this.readOnly) throw new FileSystemError('EBADF', 'write', this.path);
    for (const buf of bufs) {
      if (buf.length > 0) this.fs.recordWrite(this.inode, pos, buf.slice());
      pos += buf.length;
    }
  }

  async read(buf: Uint8Array, off: number, len: number, pos: number): Promise<number> {
    this.begin('read');
    const n = Math.max(0, Math.min(len, this.inode.len - pos));
    buf.set(this.inode.buf.subarray(pos, pos + n), off);
    return n;
  }

  async size(): Promise<number> {
    this.begin('size');
    return this.inode.len;
  }

  async datasync(): Promise<void> {
    this.syncAs('datasync');
  }

  async sync(): Promise<void> {
    this.syncAs('sync');
  }

  private syncAs(op: 'datasync' | 'sync'): void {
    try {
      this.begin(op);
    } catch (err) {
      // An injected sync failure loses the file's unsynced writes (they are never retried);
      // a refusal because the machine is gone leaves them to the crash image.
      if (!this.fs.isDown && this.fs.isCurrent(this.generation) && !this.closed) this.fs.syncInode(this.inode, true);
      throw err;
    }
    this.fs.syncInode(this.inode, false);
  }

  async truncate(len: number): Promise<void> {
    this.begin('truncate');
    if (this.readOnly) throw new FileSystemError('EBADF', 'truncate', this.path);
    this.fs.recordTruncate(this.inode, len);
  }

  async close(): Promise<void> {
    this.fs.begin('close', this.path);
    this.closed = true;
  }
}

/** An in-memory, fault-injecting file system whose every random choice follows `seed`. */
export function faultyFileSystem(options: FaultyFileSystemOptions): FaultyFileSystem {
  return new FaultyFs(options);
}
