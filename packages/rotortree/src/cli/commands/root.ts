/**
 * `rotortree root`: print the root.
 * @module
 */
import { toHex } from '@rotortree/core';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { withFollower } from '../tree.js';

export const rootCommand: Command = {
  name: 'root',
  args: '',
  positionals: [0, 0],
  summary: 'print the root (64 hex digits; an empty line for an empty tree)',
  dir: 'required',
  options: {},
  async run(ctx) {
    const info = await withFollower(ctx.dir, async (tree) => {
      const root = tree.root;
      return { root: root === undefined ? null : toHex(root), size: tree.size, depth: tree.depth };
    });
    ctx.out.result(info.root ?? '', info);
    return EXIT.OK;
  },
};
