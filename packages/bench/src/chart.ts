/**
 * The report's chart as a hand-written SVG: insertMany throughput by N (our backends, the per-call
 * npm BLAKE3 baseline, @zk-kit/lean-imt, the Rust crate), and every target as a bar of "% of goal".
 */
import type { Results } from './results.js';
import { TARGETS, formatValue, meets, scoreOf } from './targets.js';
import { RUST_INSERT_MANY } from './targets.js';
import { TREE_NS } from './tree-bench.js';

const WIDTH = 960;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly (number | undefined)[];
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(s)}</text>`;
}

/** A "nice" axis maximum at or above `max` (1, 2 or 5 times a power of ten). */
function niceMax(max: number): number {
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/** Grouped bars of insertMany M leaves/s by N; returns the SVG elements and the panel height. */
function insertManyPanel(results: Results, top: number, size: string): { svg: string[]; height: number } {
  const series: Series[] = [
    { name: 'rotortree native', color: '#1f6feb', values: TREE_NS.map((n) => results.get(`tree.insertMany.native.N${n}`)) },
    { name: 'rotortree wasm', color: '#58a6ff', values: TREE_NS.map((n) => results.get(`tree.insertMany.wasm.N${n}`)) },
    { name: 'rotortree + blake3-jit per call', color: '#a371f7', values: TREE_NS.map((n) => results.get(`tree.insertMany.jit.N${n}`)) },
    { name: '@zk-kit/lean-imt + blake3-jit', color: '#d29922', values: TREE_NS.map((n) => (n === 2 ? results.get('tree.insertMany.zk.N2') : undefined)) },
    { name: 'rotortree (Rust crate)', color: '#8b949e', values: TREE_NS.map((n) => RUST_INSERT_MANY[n]) },
  ].filter((s) => s.values.some((v) => v !== undefined));
  const plotTop = top + 56;
  const plotHeight = 240;
  const left = 70;
  const right = WIDTH - 20;
  const max = niceMax(Math.max(1, ...series.flatMap((s) => s.values.filter((v): v is number => v !== undefined))));
  const svg: string[] = [text(left, top + 20, `insertMany of ${size} leaves into an empty tree (M leaves/s, higher is better)`, `${FONT} font-size="16" font-weight="600"`)];
  // Legend.
  let lx = left;
  for (const s of series) {
    svg.push(`<rect x="${lx}" y="${top + 32}" width="12" height="12" fill="${s.color}"/>`, text(lx + 16, top + 42, s.name, `${FONT} font-size="12"`));
    lx += 24 + s.name.length * 6.6;
  }
  const y = (v: number): number => plotTop + plotHeight - (v / max) * plotHeight;
  for (let i = 0; i <= 5; i++) {
    const v = (max * i) / 5;
    svg.push(`<line x1="${left}" x2="${right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#d0d7de" stroke-width="1"/>`);
    svg.push(text(left - 8, y(v) + 4, Number.isInteger(v) ? String(v) : v.toFixed(1), `${FONT} font-size="11" text-anchor="end" fill="#57606a"`));
  }
  const groupWidth = (right - left) / TREE_NS.length;
  const barWidth = Math.min(34, (groupWidth - 30) / series.length);
  TREE_NS.forEach((n, g) => {
    const gx = left + g * groupWidth + (groupWidth - barWidth * series.length) / 2;
    series.forEach((s, k) => {
      const v = s.values[g];
      if (v === undefined) return;
      const x = gx + k * barWidth;
      svg.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barWidth - 3).toFixed(1)}" height="${(plotTop + plotHeight - y(v)).toFixed(1)}" fill="${s.color}"><title>${escapeXml(`${s.name}, N=${n}: ${formatValue(v)} M leaves/s`)}</title></rect>`);
      svg.push(text(x + (barWidth - 3) / 2, y(v) - 4, formatValue(v), `${FONT} font-size="10" text-anchor="middle" fill="#24292f"`));
    });
    svg.push(text(left + g * groupWidth + groupWidth / 2, plotTop + plotHeight + 18, `N=${n}`, `${FONT} font-size="13" text-anchor="middle"`));
  });
  svg.push(`<line x1="${left}" x2="${right}" y1="${plotTop + plotHeight}" y2="${plotTop + plotHeight}" stroke="#57606a"/>`);
  return { svg, height: plotTop + plotHeight + 30 - top };
}

/** One bar per target: ours as a share of the goal (capped at 200%), green when met. */
function targetsPanel(results: Results, top: number): { svg: string[]; height: number } {
  const rowHeight = 26;
  const labelWidth = 400;
  const left = labelWidth + 10;
  const right = WIDTH - 230;
  const cap = 2;
  const x = (score: number): number => left + (Math.min(score, cap) / cap) * (right - left);
  const rows = TARGETS.filter((t) => results.get(t.metric) !== undefined);
  const plotTop = top + 40;
  const svg: string[] = [text(20, top + 20, 'Targets: ours as % of the goal (100% = met; bars capped at 200%)', `${FONT} font-size="16" font-weight="600"`)];
  for (const pct of [0, 0.5, 1, 1.5, 2]) {
    svg.push(`<line x1="${x(pct).toFixed(1)}" x2="${x(pct).toFixed(1)}" y1="${plotTop - 6}" y2="${plotTop + rows.length * rowHeight}" stroke="${pct === 1 ? '#24292f' : '#d0d7de'}" stroke-width="${pct === 1 ? 1.5 : 1}"${pct === 1 ? ' stroke-dasharray="4 3"' : ''}/>`);
    svg.push(text(x(pct), plotTop + rows.length * rowHeight + 14, `${pct * 100}%`, `${FONT} font-size="11" text-anchor="middle" fill="#57606a"`));
  }
  rows.forEach((t, i) => {
    const value = results.get(t.metric)!;
    const score = scoreOf(t, value);
    const ry = plotTop + i * rowHeight;
    svg.push(text(labelWidth, ry + 16, t.label, `${FONT} font-size="12" text-anchor="end"`));
    svg.push(`<rect x="${left}" y="${ry + 4}" width="${Math.max(1, x(score) - left).toFixed(1)}" height="${rowHeight - 8}" fill="${meets(t, value) ? '#2da44e' : '#cf222e'}"><title>${escapeXml(`${t.label}: ${formatValue(value)} ${t.unit}, goal ${t.better === 'higher' ? '>=' : '<='} ${formatValue(t.goal)}`)}</title></rect>`);
    svg.push(text(right + 12, ry + 16, `${formatValue(value)} ${t.unit} (goal ${formatValue(t.goal)})`, `${FONT} font-size="11" fill="#24292f"`));
  });
  return { svg, height: plotTop + rows.length * rowHeight + 24 - top };
}

/** The whole chart as an SVG document. */
export function renderChart(results: Results, subtitle: string, treeSize: string): string {
  const header = [text(20, 28, 'rotortree-ts benchmarks', `${FONT} font-size="20" font-weight="700"`), text(20, 48, subtitle, `${FONT} font-size="12" fill="#57606a"`)];
  const first = insertManyPanel(results, 60, treeSize);
  const second = targetsPanel(results, 60 + first.height + 20);
  const height = 60 + first.height + 20 + second.height + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...header,
    ...first.svg,
    ...second.svg,
    '</svg>',
    '',
  ].join('\n');
}
