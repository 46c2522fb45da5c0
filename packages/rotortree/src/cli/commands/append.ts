/**
 * `rotortree append`: insert leaves from a file or stdin, and wait until they are durable.
 * @module
 */
import type { DurabilityToken } from '@rotortree/core';
import { toHex } from '@rotortree/core';
import { leafHasher } from '../../leaf-hash.js';
import type { Command } from '../command.js';
import { grouped, intOption, usage } from '../command.js';
import { EXIT, InterruptedError } from '../exit-codes.js';
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
    const firstIndex = tree.size;
    let count = 0;
    /** Leaves whose tokens resolved, and the batches inserted after them (at most IN_FLIGHT + 1). */
    let durable = 0;
    const pending: Batch[] = [];
    const settle = async (b: Batch): Promise<void> => {
      await b.token.wait();
      durable += b.leaves;
    };
    try {
      const reading = ctx.out.progress('reading', source.bytes ?? 0, 'B');
      let read = 0;
      const input = await readLeaves(source, format, batch, format === 'hash' ? leafHasher() : undefined, (n) => reading.update((read += n), source.bytes ?? read));
      count = input.count;
      reading.finish();
      if (count === 0) throw usage(`no leaves in ${source.name}`);
      const bar = ctx.out.progress('append', count, 'leaves');
      let appended = 0;
      for (const leaves of input.batches) {
        const { token } = tree.insertMany(leaves);
        pending.push({ leaves: leaves.length / 32, token });
        appended += leaves.length / 32;
        if (pending.length > IN_FLIGHT) await settle(pending.shift()!);
        bar.update(appended);
      }
      while (pending.length > 0) await settle(pending.shift()!);
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
      await tree.close().catch(() => undefined); // flushes what it still can
      if (durable === 0 && pending.length === 0) throw err; // nothing was inserted
      // Claim only what tokens confirm (the WAL makes batches durable in order; a failed flush may
      // have stored more of them, never fewer).
      for (const b of pending) {
        if (!b.token.isDurable()) break;
        durable += b.leaves;
      }
      const range = durable === 0 ? '' : ` (indexes ${grouped(firstIndex)}..${grouped(firstIndex + durable - 1)})`;
      const rest = count === durable ? '' : `; the other ${grouped(count - durable)} are not known to be stored`;
      throw new InterruptedError(err, `${grouped(durable)} of the ${grouped(count)} leaves read are durable${range}${rest}`, durable, firstIndex);
    }
  },
};

/** One inserted batch: its leaf count and its token. */
interface Batch {
  readonly leaves: number;
  readonly token: DurabilityToken;
}
