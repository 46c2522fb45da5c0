/** Writes REPORT.md (machine, targets, every table) and report-chart.svg from one run's results. */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { renderChart } from './chart.js';
import { renderTable } from './harness.js';
import type { Results } from './results.js';
import { targetRows } from './targets.js';

/** Where and when the run happened: what a reader needs to weigh the numbers. */
export interface RunInfo {
  readonly quick: boolean;
  readonly large: boolean;
  readonly started: Date;
  readonly seconds: number;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly backend: string;
}

const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' / ');

/** One line describing the machine and the run. */
export function machineLine(info: RunInfo): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'cpu'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, ${info.started.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function markdown(results: Results, info: RunInfo): string {
  const lines = [
    `# rotortree-ts benchmark report${info.quick ? ' (QUICK smoke run: small sizes, not comparable with the targets)' : ''}`,
    '',
    `- Machine: ${machineLine(info)}`,
    `- Load average (1 / 5 / 15 min) at the start: ${load(info.loadBefore)}; at the end: ${load(info.loadAfter)} (on ${os.cpus().length} cores: other processes were running when it is above ~0.5)`,
    `- Hasher: BLAKE3 \`${info.backend}\` backend (what \`blake3()\` picks here) for the engine rows`,
    `- Run: \`bash scripts/pnpm.sh --filter @rotortree/bench bench\` (\`node --expose-gc dist/main.js --report\`), ${info.seconds.toFixed(0)} s` +
      `${info.large ? ', large-tree section on' : ', large-tree section off (BENCH_LARGE=0)'}`,
    '- Rust numbers: rotortree 0.19 (the Rust crate) measured on this machine, N=4 unless said.',
    '',
    '![chart](report-chart.svg)',
    '',
    renderTable({
      title: 'Targets',
      header: ['what', 'ours', 'target', 'Rust crate here', 'status'],
      rows: targetRows(results),
      note:
        'Our rows use the default BLAKE3 backend. "Well under the leaves\' size" for RSS is read as at most a quarter of the ' +
        '1,526 MiB of leaves; RSS includes the mapped checkpoint pages a process touched (page cache the kernel can drop ' +
        'and share), the anonymous row is the memory the process itself holds. Sections below give the details.',
    }),
  ];
  for (const t of results.tables) lines.push('', renderTable(t));
  lines.push('');
  return lines.join('\n');
}

/** Writes REPORT.md and report-chart.svg into `dir`. */
export function writeReport(dir: string, results: Results, info: RunInfo, treeSize: string): void {
  writeFileSync(join(dir, 'REPORT.md'), markdown(results, info));
  const subtitle = `${machineLine(info)}; load ${load(info.loadBefore)}${info.quick ? '; QUICK smoke run' : ''}`;
  writeFileSync(join(dir, 'report-chart.svg'), renderChart(results, subtitle, treeSize));
}
