/**
 * The large-tree section (`BENCH_LARGE=1`): a tree built through the engine in batches of 1M leaves
 * with a checkpoint every 10M; at 50M leaves the resident memory of a fresh process that opens it
 * with and without tiering; at 100M leaves the time of open. Measured in child processes.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RotorTree } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { openTreeDir } from './checkpoint-bench.js';
import type { ChildReport, ChildRequest } from './large-child.js';
import type { BenchContext } from './results.js';
import { freeTempBytes, withTempDir } from './temp-dir.js';

const BATCH = 1_000_000;
const CHECKPOINT_EVERY = 10;
const MIN_FREE_BYTES = 20 * 2 ** 30;
/** The levels the builder and the tiered opens keep in memory: 4 and up (leaves / 256 and above). */
const PIN = 4;
const MB = 2 ** 20;
/** The large tree's final size in leaves; the RSS part runs at half of it. `BENCH_LARGE_MILLIONS` shrinks it for a smoke test. */
const FULL = Number(process.env['BENCH_LARGE_MILLIONS'] ?? 100) * 1_000_000;
const HALF = FULL / 2;
const millions = (n: number): string => `${n / 1_000_000}M`;

/** Opens the tree in `request.dir` in a fresh node process and returns what it measured. */
function measureInChild(request: ChildRequest): ChildReport {
  const script = fileURLToPath(new URL('./large-child.js', import.meta.url));
  const out = spawnSync(process.execPath, [script, JSON.stringify(request)], { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`the child failed (${String(out.status ?? out.signal)}): ${out.stderr}`);
  const line = out.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildReport;
}

/** Appends batches of 1M numbered leaves until `tree` holds `target` leaves, checkpointing every 10M and at the end. */
async function growTo(tree: RotorTree, target: number, batch: Uint8Array): Promise<void> {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  for (let b = 1; tree.size < target; b++) {
    const from = tree.size;
    for (let i = 0; i < BATCH; i++) view.setUint32(i * 32, from + i + 1, true);
    tree.insertMany(batch);
    if (b % CHECKPOINT_EVERY === 0 && tree.size < target) await tree.checkpoint();
  }
  await tree.checkpoint();
}

const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;

export async function largeBench(ctx: BenchContext): Promise<void> {
  const { results } = ctx;
  const free = freeTempBytes();
  if (free < MIN_FREE_BYTES) {
    results.table({ title: 'Large trees', header: ['skipped'], rows: [[`only ${(free / 2 ** 30).toFixed(1)} GiB free in the temp dir; the section needs 20 GiB`]] });
    return;
  }
  const hasher = blake3();
  await withTempDir(async (dir) => {
    const batch = new Uint8Array(BATCH * 32);
    let t0 = performance.now();
    const first = await openTreeDir({ dir, hasher, pinAboveLevel: PIN });
    await growTo(first.tree, HALF, batch);
    await first.tree.close();
    const build50Ms = performance.now() - t0;

    const rssRows: string[][] = [];
    const leafBytes = HALF * 32;
    const tiered = measureInChild({ dir, pinAboveLevel: PIN, proofs: 10_000 });
    const budget = 256 * 1024 * 1024;
    const bounded = measureInChild({ dir, pinAboveLevel: PIN, maxResidentBytes: budget, proofs: 10_000, reopens: 0 });
    const copied = measureInChild({ dir, proofs: 10_000, reopens: 0 });
    const full = FULL === 100_000_000;
    if (full) results.metric('rss.50M.tiered', tiered.rssAfterProofs / MB);
    if (full) results.metric('rss.50M.tiered.anon', tiered.rssAnonAfterProofs / MB);
    if (full) results.metric('rss.50M.tiered.bounded', bounded.rssAfterProofs / MB);
    if (full) results.metric('rss.50M.copied', copied.rssAfterProofs / MB);
    const rows = [
      [`tiered (pinAboveLevel ${PIN}, ${tiered.mapped ? 'mmap' : 'no mmap'})`, tiered],
      [`tiered, store maxResidentBytes ${mb(budget)}`, bounded],
      ['no tiering (every level copied)', copied],
    ] as const;
    for (const [label, r] of rows) {
      rssRows.push([
        label,
        mb(r.rssBefore),
        `${r.openMs.toFixed(1)} ms`,
        mb(r.rssAfterOpen),
        `${mb(r.rssAfterProofs)} (${((r.rssAfterProofs / leafBytes) * 100).toFixed(0)}% of the leaves)`,
        r.rssAnonAfterProofs < 0 ? '-' : `${mb(r.rssAnonAfterProofs)} / ${mb(r.rssFileAfterProofs)}`,
        `${r.proofUs.toFixed(2)} µs`,
      ]);
    }
    results.table({
      title: `Resident memory of a fresh process opening a ${millions(HALF)}-leaf tree (N=4; leaves ${mb(leafBytes)}, all levels ~${mb((leafBytes * 4) / 3)})`,
      header: ['open', 'RSS before open', 'open (cold process)', 'RSS after open', 'RSS after 10k random proofs', 'of which anonymous / mapped file', 'per proof (first touch)'],
      rows: rssRows,
      note: `Built through RotorTree in batches of 1M (checkpoint every 10M) in ${(build50Ms / 1000).toFixed(0)} s. RSS counts the mapped segment pages of the process; a fault on a cached file maps more than the page touched (fault-around, large folios), so 10k random proofs can map most of the segments. Those are page cache the kernel can drop, unlike the anonymous part. With \`maxResidentBytes\` the store releases the mapped pages (madvise DONTNEED) whenever the tree's reads may have made that much resident: RSS stays near the budget, and reads fault the pages in again. The files are in the page cache (just written).`,
    });

    t0 = performance.now();
    const second = await openTreeDir({ dir, hasher, pinAboveLevel: PIN });
    await growTo(second.tree, FULL, batch);
    await second.tree.close();
    const build100Ms = performance.now() - t0;
    const openRows: string[][] = [];
    for (const pin of [PIN, 8, undefined]) {
      const r = measureInChild({ dir, ...(pin === undefined ? { reopens: 0 } : { pinAboveLevel: pin }), proofs: 1000 });
      if (pin === PIN && full && r.secondOpenMs !== undefined) results.metric('open.100M', r.secondOpenMs);
      openRows.push([
        pin === undefined ? 'no tiering (every level copied)' : `tiered (pinAboveLevel ${pin})`,
        `${r.openMs.toFixed(1)} ms`,
        r.secondOpenMs === undefined ? 'not run' : `${r.secondOpenMs.toFixed(1)} ms`,
        mb(r.rssAfterOpen),
      ]);
    }
    results.table({
      title: `Open of a ${millions(FULL)}-leaf tree after a checkpoint (N=4, no verify)`,
      header: ['open', 'first open in a fresh process', '3 more opens, same process (median)', 'RSS after the first open'],
      rows: openRows,
      note: `Grown from ${millions(HALF)} to ${millions(FULL)} in ${(build100Ms / 1000).toFixed(0)} s (batches of 1M, checkpoint every 10M). The target row uses the second open (warm code, as a benchmark loop would).`,
    });
  });
}
