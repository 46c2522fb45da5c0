import { describe, expect, it } from 'vitest';
import { median, renderTable } from '../src/harness.js';
import { Results } from '../src/results.js';
import { TARGETS, meets, scoreOf, targetRows } from '../src/targets.js';
import { renderChart } from '../src/chart.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendRun, readRuns, readmeTable, withTable } from '../src/readme-table.js';
import type { RunRecord } from '../src/readme-table.js';

const higher = { metric: 'h', label: 'h', unit: 'M/s', goal: 10, better: 'higher' } as const;
const lower = { metric: 'l', label: 'l', unit: 'ms', goal: 10, better: 'lower' } as const;

function quietResults(): Results {
  const r = new Results();
  r.table = (t) => void r.tables.push(t); // no printing in tests
  return r;
}

describe('targets', () => {
  it('judges higher-is-better and lower-is-better goals, the goal itself included', () => {
    expect([meets(higher, 10), meets(higher, 9.99), meets(higher, 12)]).toEqual([true, false, true]);
    expect([meets(lower, 10), meets(lower, 10.01), meets(lower, 2)]).toEqual([true, false, true]);
    expect(scoreOf(higher, 5)).toBe(0.5);
    expect(scoreOf(lower, 20)).toBe(0.5);
    expect(scoreOf(lower, 5)).toBe(2);
  });

  it('writes one row per target: not run, met, or missed with the share of the goal', () => {
    const r = quietResults();
    const [first, second] = TARGETS;
    r.metric(first!.metric, first!.better === 'higher' ? first!.goal * 2 : first!.goal / 2);
    r.metric(second!.metric, second!.better === 'higher' ? second!.goal / 4 : second!.goal * 4);
    const rows = targetRows(r);
    expect(rows).toHaveLength(TARGETS.length);
    expect(rows[0]![4]).toBe('met');
    expect(rows[1]![4]).toBe('**missed** (25% of the goal)');
    expect(rows[2]![1]).toBe('not run');
  });

  it('refuses a metric that is not a finite number', () => {
    expect(() => quietResults().metric('x', Number.NaN)).toThrow(RangeError);
  });
});

describe('chart', () => {
  it('draws one bar per measured target, green when met and red when missed', () => {
    const r = quietResults();
    const [first, second] = TARGETS;
    r.metric(first!.metric, first!.better === 'higher' ? first!.goal * 2 : first!.goal / 2);
    r.metric(second!.metric, second!.better === 'higher' ? second!.goal / 4 : second!.goal * 4);
    const svg = renderChart(r, 'a <machine> & a date', '1M');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/fill="#2da44e"/g)).toHaveLength(1);
    expect(svg.match(/fill="#cf222e"/g)).toHaveLength(1);
    expect(svg).toContain('a &lt;machine&gt; &amp; a date');
    expect(svg.match(/<text /g)?.length).toBe(svg.match(/<\/text>/g)?.length);
  });

  it('draws the Rust bars even when no insertMany of ours ran', () => {
    const svg = renderChart(quietResults(), 'x', '1M');
    expect(svg).toContain('rotortree (Rust crate), N=4: 59.0 M leaves/s');
    expect(svg).not.toContain('rotortree native, N=');
  });
});

describe('harness', () => {
  it('takes the middle value (the upper one of an even count) and refuses an empty list', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(3);
    expect(() => median([])).toThrow(RangeError);
  });

  it('renders a markdown table with its note', () => {
    expect(renderTable({ title: 'T', header: ['a', 'b'], rows: [['1', '2']], note: 'n' })).toBe('### T\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\nn');
  });
});

describe('the README table', () => {
  const run = (started: string, value: number, load = 1): RunRecord => ({
    started,
    loadBefore: [load, 1, 1],
    loadAfter: [load + 0.5, 1, 1],
    quick: false,
    metrics: { 'user.verify.N4': value, 'user.generateKept.N2': value / 10 },
  });

  it('gives the latest figure with the range over the runs, and says how each row was measured', () => {
    const table = readmeTable([run('2026-12-01 10:00', 1.4), run('2026-12-01 10:30', 1.2, 2), run('2026-12-01 11:00', 1.3)]);
    expect(table).toMatch(/\| `verifyProof` \(root, size and n bound\) \| 1\.30 \(1\.20-1\.40\) µs \|/);
    expect(table).toMatch(/ranges over the last 3 full runs \(10:00, 10:30, 11:00 UTC; load average 1\.00-2\.50/);
    expect(table).toMatch(/N=2 \/ 8 \/ 16: `generateProof`, proofs kept \| 0\.130 \(0\.120-0\.140\) \/ not run \/ not run µs/);
    for (const line of table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| workload') && !l.startsWith('| ---'))) {
      expect(line.split(' | ').pop()!.length).toBeGreaterThan(8); // a "how" for every row
    }
  });

  it('rewrites only what is between the markers, and refuses a README without them', () => {
    const readme = 'before\n<!-- bench:table (bash scripts/pnpm.sh --filter @rotortree/bench readme) -->\nold\n<!-- /bench:table -->\nafter\n';
    const out = withTable(readme, 'NEW');
    expect(out).toBe('before\n<!-- bench:table (bash scripts/pnpm.sh --filter @rotortree/bench readme) -->\nNEW\n<!-- /bench:table -->\nafter\n');
    expect(withTable(out, 'NEWER')).toContain('\nNEWER\n');
    expect(() => withTable('no markers', 'x')).toThrow();
  });

  it('reads the full runs of a runs file (quick ones left out), appending one line per run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-runs-'));
    try {
      const file = join(dir, 'runs.jsonl');
      expect(readRuns(file)).toEqual([]);
      appendRun(file, run('a', 1));
      appendRun(file, { ...run('b', 2), quick: true });
      appendRun(file, run('c', 3));
      expect(readRuns(file).map((r) => r.started)).toEqual(['a', 'c']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
