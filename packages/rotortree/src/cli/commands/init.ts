/**
 * `rotortree init`: create a tree in `--dir`.
 * @module
 */
import { open, storedParameters } from '../../open.js';
import type { Command } from '../command.js';
import { intOption } from '../command.js';
import { EXIT } from '../exit-codes.js';

export const initCommand: Command = {
  name: 'init',
  args: '',
  positionals: [0, 0],
  summary: 'create a tree in --dir (idempotent when the parameters match)',
  dir: 'required',
  options: {
    n: { type: 'string', arg: 'n', help: 'branching factor, 2..256 (default 4)' },
    'max-depth': { type: 'string', arg: 'd', help: 'maximum depth, 1..64: capacity n^d leaves (default 32)' },
  },
  async run(ctx) {
    const n = intOption(ctx, 'n', 2, 256);
    const maxDepth = intOption(ctx, 'max-depth', 1, 64);
    const existed = (await storedParameters(ctx.dir)) !== undefined;
    const tree = await open(ctx.dir, { ...(n === undefined ? {} : { n }), ...(maxDepth === undefined ? {} : { maxDepth }), checkpointOnClose: false });
    const info = { dir: ctx.dir, created: !existed, n: tree.n, maxDepth: tree.maxDepth, hasher: tree.hasher.id, backend: tree.hasher.backend ?? null, size: tree.size };
    await tree.close();
    ctx.out.result(
      `${existed ? 'already a tree' : 'created a tree'} in ${ctx.dir}: n=${info.n} maxDepth=${info.maxDepth} hasher=${info.hasher} (${info.backend ?? 'unknown'} backend), ${info.size} leaves`,
      info,
    );
    return EXIT.OK;
  },
};
