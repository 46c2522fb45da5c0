/**
 * `rotortree append`: insert leaves from a file or stdin, and wait until they are durable.
 * @module
 */
import type { DurabilityToken } from '@rotortree/core';
import { toHex } from '@rotortree/core';
import { leafHasher } from '../../leaf-hash.js';
import type { Command } from '../command.js';
import { grouped, intOption, usage } from '../command.js';
import { EXIT } from '../exit-codes.js';
import type { InputFormat } from '../input.js';
import { inputSource, readLeaves } from '../input.js';
import { openExisting } from '../tree.js';

/** Batches whose tokens may be pending at once: group commit covers several batches per fdatasync. */
const IN_FLIGHT = 8;

export const appendCommand: Command = {
  name: 'append',
  args: '[file|-]',
  positionals: [0, 1],
  summary: 'append leaves (64-hex-digit lines; --raw 32-byte records; --hash any lines) from a file or stdin',
  dir: 'required',
  options: {
    raw: { type: 'boolean', help: 'input is raw 32-byte records, back to back' },
    hash: { type: 'boolean', help: 'each input line (without its line end) is hashed with BLAKE3 into a leaf' },
    batch: { type: 'string', arg: 'k', help: 'leaves per insertMany (one WAL record), default 10000' },
    'no-checkpoint': { type: 'boolean', help: 'do not write a checkpoint before exiting (the WAL keeps the leaves)' },
  },
  async run(ctx) {
    if (ctx.values['raw'] === true && ctx.values['hash'] === true) throw usage('--raw and --hash exclude each other');
    const format: InputFormat = ctx.values['raw'] === true ? 'raw' : ctx.values['hash'] === true ? 'hash' : 'hex';
    const batch = intOption(ctx, 'batch', 1, 1 << 25, 10_000);
    const source = inputSource(ctx.positionals[0], ctx.out.io.stdin);
    if (source.name === 'stdin' && ctx.out.io.stdin.isTTY === true) throw usage('no input: give a file, or pipe leaves into stdin');
    // Fail fast on a missing tree or a held lock before reading the whole input.
    const tree = await openExisting(ctx.dir, 'write', ctx.values['no-checkpoint'] !== true);
    let appended = 0;
    try {
      const reading = ctx.out.progress('reading', source.bytes ?? 0, 'B');
      let read = 0;
      const { batches, count } = await readLeaves(source, format, batch, format === 'hash' ? leafHasher() : undefined, (n) => reading.update((read += n), source.bytes ?? read));
      reading.finish();
      if (count === 0) throw usage(`no leaves in ${source.name}`);
      const firstIndex = tree.size;
      const bar = ctx.out.progress('append', count, 'leaves');
      const pending: DurabilityToken[] = [];
      for (const leaves of batches) {
        const { token } = tree.insertMany(leaves);
        appended += leaves.length / 32;
        pending.push(token);
        if (pending.length > IN_FLIGHT) await pending.shift()!.wait();
        bar.update(appended);
      }
      for (const token of pending) await token.wait();
      bar.finish();
      const root = tree.root;
      await tree.close();
      const info = { appended: count, firstIndex, size: tree.size, root: root === undefined ? null : toHex(root), durable: true };
      ctx.out.result(
        [`appended ${grouped(count)} leaves (indexes ${grouped(firstIndex)}..${grouped(firstIndex + count - 1)}), durable`, `size ${grouped(info.size)}`, `root ${info.root ?? '(empty)'}`],
        info,
      );
      return EXIT.OK;
    } catch (err) {
      await tree.close().catch(() => undefined);
      if (appended > 0 && err instanceof Error) err.message += ` (after ${appended} leaves were appended)`;
      throw err;
    }
  },
};
