/**
 * `rotortree checkpoint`: write a checkpoint now (the WAL is truncated after it).
 * @module
 */
import type { Command } from '../command.js';
import { grouped } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { withTree } from '../tree.js';

export const checkpointCommand: Command = {
  name: 'checkpoint',
  args: '',
  positionals: [0, 0],
  summary: 'write a checkpoint of the tree and truncate the WAL',
  dir: 'required',
  options: {},
  async run(ctx) {
    const info = await withTree(
      ctx.dir,
      'write',
      async (tree) => {
        const before = tree.checkpointSeq;
        const started = performance.now();
        await tree.checkpoint();
        return { size: tree.size, seq: tree.seq, checkpointSeq: tree.checkpointSeq, previousCheckpointSeq: before, ms: Math.round(performance.now() - started) };
      },
      false,
    );
    const fresh = info.checkpointSeq !== info.previousCheckpointSeq;
    ctx.out.result(
      fresh
        ? `checkpoint at seq ${info.checkpointSeq}: ${grouped(info.size)} leaves (${info.ms} ms)`
        : `checkpoint at seq ${info.checkpointSeq} is current: ${grouped(info.size)} leaves`,
      { ...info, written: fresh },
    );
    return EXIT.OK;
  },
};
