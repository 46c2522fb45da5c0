/**
 * `rotortree check`: a consistency check (fsck) of the tree in `--dir`; exit 4 on damage.
 * @module
 */
import { checkTree } from '../../check.js';
import type { CheckIssue } from '../../check.js';
import { storedParameters } from '../../open.js';
import type { Command } from '../command.js';
import { grouped, intOption } from '../command.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Progress } from '../progress.js';

function issueLine(i: CheckIssue): string {
  const where: string[] = [];
  if (i.file !== undefined) where.push(`file ${i.file}`);
  if (i.offset !== undefined) where.push(`offset ${i.offset}`);
  if (i.seq !== undefined) where.push(`seq ${i.seq}`);
  if (i.level !== undefined) where.push(`level ${i.level}`);
  if (i.index !== undefined) where.push(`index ${i.index}`);
  return `  ${i.code}: ${i.message}${where.length === 0 ? '' : ` (${where.join(', ')})`}`;
}

export const checkCommand: Command = {
  name: 'check',
  args: '',
  positionals: [0, 0],
  summary: 'fsck: verify WAL and checkpoint checksums, recompute every level, verify sampled proofs; exit 4 on damage',
  dir: 'required',
  options: {
    samples: { type: 'string', arg: 'k', help: 'inclusion proofs to verify (default 64)' },
  },
  async run(ctx) {
    const samples = intOption(ctx, 'samples', 0, 1_000_000, 64);
    let params;
    try {
      params = await storedParameters(ctx.dir);
    } catch {
      params = null; // a damaged descriptor: checkTree reports it
    }
    if (params === undefined) throw new CliError('NO_TREE', `no tree in ${ctx.dir}`);
    const bars = new Map<string, Progress>();
    let current: string | undefined;
    const report = await checkTree(ctx.dir, {
      samples,
      onProgress: (phase, done, total) => {
        if (current !== phase) {
          if (current !== undefined) bars.get(current)?.finish();
          current = phase;
          bars.set(phase, ctx.out.progress(phase.padEnd(10), total));
        }
        bars.get(phase)!.update(done, total);
      },
    });
    if (current !== undefined) bars.get(current)?.finish();
    const cp = report.checkpoint;
    const damaged = report.issues.filter((i) => i.code === 'CORRUPTION').length;
    ctx.out.result(
      [
        report.n === undefined ? `checked ${ctx.dir}: the descriptor is damaged` : `checked ${ctx.dir}: tree ${report.treeId} n=${report.n} maxDepth=${report.maxDepth} hasher=${report.hasher}`,
        `  wal         ${grouped(report.wal.records)} records after the checkpoint, ${grouped(report.wal.leaves)} leaves, last seq ${report.wal.lastSeq}`,
        cp === undefined
          ? '  checkpoint  none'
          : `  checkpoint  seq ${cp.seq}, ${grouped(cp.size)} leaves, ${grouped(cp.nodesCompared)} inner nodes recomputed, ${cp.mismatches} mismatches`,
        `  proofs      ${report.proofs.checked} verified, ${report.proofs.failed} failed`,
        report.size === undefined ? '  tree        not opened (damage above)' : `  tree        ${grouped(report.size)} leaves, root ${report.root ?? '(empty)'}`,
        ...report.issues.map(issueLine),
        report.ok ? 'ok' : `DAMAGED: ${damaged} problem${damaged === 1 ? '' : 's'}`,
      ],
      report,
    );
    return report.ok ? EXIT.OK : EXIT.CORRUPTION;
  },
};
