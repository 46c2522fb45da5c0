/**
 * The chunk pool (tree/chunk-pool.ts): a collected tree's chunks are reused by the next tree, never
 * when they were handed out of the tree. Run in a child process with --expose-gc (a collection and a
 * turn of the event loop are what return a level's chunks), against dist.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = (path: string): string => JSON.stringify(fileURLToPath(new URL(`../dist/${path}`, import.meta.url)));

/** Runs `body` (module code with `core`, `pool`, `hasher`, `leaves(count, from)`, `settle()` in scope) and returns its last stdout line as JSON. */
function run(body: string): Record<string, unknown> {
  const script = `
    import * as core from ${dist('index.js')};
    import * as pool from ${dist('tree/chunk-pool.js')};
    const hasher = core.hasherFromGroupFunction('xor', (input, at, count, out, o) => {
      for (let i = 0; i < 32; i++) { let x = count; for (let c = 0; c < count; c++) x = (x * 31 + input[at + c * 32 + i]) & 255; out[o + i] = x; }
    });
    const leaves = (count, from = 0) => { const b = new Uint8Array(count * 32); for (let i = 0; i < count; i++) b[i * 32] = (from + i) & 255, b[i * 32 + 1] = (from + i) >> 8; return b; };
    const settle = async () => { for (let i = 0; i < 4; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); } };
    ${body}
  `;
  const out = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(out.stderr).toBe('');
  expect(out.status).toBe(0);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

describe('chunk pool', () => {
  it('gives a collected tree\'s chunks to the next tree, which is still right (zeros where a chunk is not filled)', () => {
    const r = run(`
      const n = 4, size = 20000;
      let tree = new core.LeanIMT({ hasher, n, maxDepth: 16 });
      tree.insertMany(leaves(size));
      tree = undefined;
      await settle();
      const released = pool.pooledBytes();
      // One by one (chunks not filled by a batch: zeroed) and by a batch, against a tree of fresh memory.
      const reused = new core.LeanIMT({ hasher, n, maxDepth: 16 });
      for (let i = 0; i < 3000; i++) reused.insert(leaves(1, i));
      reused.insertMany(leaves(size, 3000));
      const taken = released - pool.pooledBytes();
      const fresh = new core.LeanIMT({ hasher, n, maxDepth: 16 });
      fresh.insertMany(leaves(3000));
      fresh.insertMany(leaves(size, 3000));
      const same = core.toHex(reused.root) === core.toHex(fresh.root) && core.toHex(reused.getNode(1, 5)) === core.toHex(fresh.getNode(1, 5));
      console.log(JSON.stringify({ released, taken, same }));
    `);
    expect(r['released']).toBeGreaterThan(500_000);
    expect(r['taken']).toBeGreaterThan(500_000);
    expect(r['same']).toBe(true);
  });

  it('never reuses chunks that left the tree: settled chunks read by a store, slices given to a WAL, adopted memory', () => {
    const r = run(`
      const n = 4, size = 20000;
      let exposed = new core.LeanIMT({ hasher, n, maxDepth: 16 });
      exposed.insertMany(leaves(size));
      let held = exposed.snapshot().settledChunks(0, core.chunkNodesFor(n));
      let staged = new core.LeanIMT({ hasher, n, maxDepth: 16 });
      let slices = [];
      staged.insertManyStaged(leaves(size), (views) => slices.push(...views));
      const before = pool.pooledBytes();
      exposed = undefined;
      staged = undefined;
      await settle();
      const afterDrop = pool.pooledBytes() - before;
      const copies = held.map((c) => core.toHex(c)).join() + slices.map((c) => core.toHex(c)).join();
      // Make trees that would take pooled chunks, then check the handed-out chunks kept their bytes.
      for (let t = 0; t < 3; t++) new core.LeanIMT({ hasher, n, maxDepth: 16 }).insertMany(leaves(size, 7 + t));
      const kept = held.map((c) => core.toHex(c)).join() + slices.map((c) => core.toHex(c)).join() === copies;
      console.log(JSON.stringify({ afterDrop, kept, held: held.length + slices.length }));
    `);
    expect(r['held']).toBeGreaterThan(10);
    expect(r['kept']).toBe(true);
    // The upper levels of those trees may come back; level 0 (what was handed out) must not.
    expect(r['afterDrop']).toBeLessThan(20000 * 32);
  });
});
