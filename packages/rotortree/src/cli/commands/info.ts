/**
 * `rotortree info`: what the tree in `--dir` is and what its files take.
 * @module
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { capacityFor, toHex } from '@rotortree/core';
import { loadMmapAddon } from '@rotortree/checkpoint-mmap';
import { lockProvider } from '@rotortree/native';
import { layoutOf } from '../../layout.js';
import type { Command } from '../command.js';
import { bytesText, grouped } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { withFollower } from '../tree.js';

interface FileEntry {
  readonly path: string;
  readonly bytes: number;
}

/** Every file under `dir`, with its size, paths relative to `root`. */
function filesUnder(dir: string, root: string): FileEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: FileEntry[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const st = lstatSync(path, { throwIfNoEntry: false }); // a link is listed, never followed
    if (st === undefined) continue;
    if (st.isDirectory()) out.push(...filesUnder(path, root));
    else out.push({ path: relative(root, path), bytes: st.size });
  }
  return out;
}

function sum(files: readonly FileEntry[], prefix: string): number {
  return files.filter((f) => f.path.startsWith(prefix)).reduce((a, f) => a + f.bytes, 0);
}

export const infoCommand: Command = {
  name: 'info',
  args: '',
  positionals: [0, 0],
  summary: 'size, depth, parameters, hasher backend, files and their sizes',
  dir: 'required',
  options: {},
  async run(ctx) {
    const layout = layoutOf(ctx.dir);
    const info = await withFollower(ctx.dir, async (tree) => {
      const root = tree.root;
      const files = filesUnder(ctx.dir, ctx.dir);
      return {
        dir: ctx.dir,
        size: tree.size,
        depth: tree.depth,
        n: tree.n,
        maxDepth: tree.maxDepth,
        capacity: capacityFor(tree.n, tree.maxDepth),
        root: root === undefined ? null : toHex(root),
        hasher: { id: tree.hasher.id, backend: tree.hasher.backend ?? null },
        seq: tree.seq,
        checkpointSeq: tree.checkpointSeq,
        checkpointReads: loadMmapAddon() === undefined ? 'read into memory' : 'mmap',
        // A writer of this tree locks the tree directory, wal/ and checkpoint/ with this provider; info itself reads as a follower, without locks.
        lock: { directories: ['.', 'wal', 'checkpoint'], provider: lockProvider() ?? null },
        walBytes: sum(files, relative(ctx.dir, layout.wal)),
        checkpointBytes: sum(files, relative(ctx.dir, layout.checkpoint)),
        totalBytes: files.reduce((a, f) => a + f.bytes, 0),
        files,
      };
    });
    const capacity = info.capacity >= Number.MAX_SAFE_INTEGER ? `${info.n}^${info.maxDepth} (more than 2^53)` : grouped(info.capacity);
    ctx.out.result(
      [
        `dir          ${info.dir}`,
        `size         ${grouped(info.size)} leaves`,
        `depth        ${info.depth}`,
        `n            ${info.n}`,
        `maxDepth     ${info.maxDepth} (capacity ${capacity})`,
        `root         ${info.root ?? '(empty)'}`,
        `hasher       ${info.hasher.id} (${info.hasher.backend ?? 'unknown'} backend)`,
        `wal          ${bytesText(info.walBytes)}, durable up to seq ${info.seq}`,
        `checkpoint   ${bytesText(info.checkpointBytes)}, seq ${info.checkpointSeq}, ${info.checkpointReads}`,
        `lock         flock on the tree directory, wal/ and checkpoint/ (${info.lock.provider ?? 'none'})`,
        `files        ${bytesText(info.totalBytes)} in ${info.files.length} files`,
        ...info.files.map((f) => `  ${f.path.padEnd(28)} ${bytesText(f.bytes).padStart(10)}`),
      ],
      info,
    );
    return EXIT.OK;
  },
};
