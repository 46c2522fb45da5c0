// rotortree demo: a million leaves made durable, a checkpoint, a reopen, a proof.
//
//   node examples/demo.mjs [dir]      (default: a fresh temporary directory, removed at the end)
//
// Needs the package built (`tsc -p tsconfig.build.json`, or `pnpm build`).
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leafHasher, open, toHex, verifyProof } from 'rotortree';

const LEAVES = 1_000_000;
const BATCH = 10_000;
/** Batches whose durability tokens may be pending at once (group commit covers several per fdatasync). */
const IN_FLIGHT = 8;

const given = process.argv[2];
const dir = given ?? mkdtempSync(join(tmpdir(), 'rotortree-demo-'));
const ms = (t) => `${(performance.now() - t).toFixed(0)} ms`;

/** A progress line on stderr: redrawn in place on a terminal, every 25 % elsewhere. */
function progress(label, total) {
  const tty = process.stderr.isTTY === true;
  let lastQuarter = -1;
  const t0 = performance.now();
  return (done) => {
    const frac = done / total;
    const rate = (done / ((performance.now() - t0) / 1000) / 1e6).toFixed(2);
    const bar = '#'.repeat(Math.round(frac * 30)).padEnd(30, '-');
    const line = `${label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en-US')} leaves ${rate}M/s`;
    if (tty) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
    else if (Math.floor(frac * 4) !== lastQuarter) {
      lastQuarter = Math.floor(frac * 4);
      process.stderr.write(`${line}\n`);
    }
  };
}

try {
  console.log(`rotortree demo in ${dir}`);

  // 1. Open (creates the tree: n = 4, maxDepth = 32, BLAKE3 on the fastest backend) and append.
  let t = performance.now();
  const tree = await open(dir);
  console.log(`opened: n=${tree.n} maxDepth=${tree.maxDepth} hasher=${tree.hasher.id} (${tree.hasher.backend} backend), ${tree.size} leaves (${ms(t)})`);

  // Leaves are 32-byte hashes of your data; here, BLAKE3 of "leaf <i>" for the first one, random bytes after.
  const hashLeaf = leafHasher();
  const firstLeaf = hashLeaf(new TextEncoder().encode('leaf 0'));
  const start = tree.size;
  const show = progress('append', LEAVES);
  const batch = new Uint8Array(BATCH * 32);
  const pending = [];
  t = performance.now();
  for (let done = 0; done < LEAVES; done += BATCH) {
    randomFillSync(batch);
    if (done === 0) batch.set(firstLeaf, 0);
    const { token } = tree.insertMany(batch); // one WAL record; the tree copies the leaves
    pending.push(token);
    if (pending.length > IN_FLIGHT) await pending.shift().wait(); // durable: fdatasync done
    show(done + BATCH);
  }
  for (const token of pending) await token.wait();
  const appendMs = performance.now() - t;
  const rootBefore = toHex(tree.root);
  console.log(`appended ${LEAVES.toLocaleString('en-US')} leaves durably in ${appendMs.toFixed(0)} ms (${(LEAVES / appendMs / 1e3).toFixed(2)}M leaves/s)`);

  // 2. Checkpoint (the WAL is truncated after it) and close.
  t = performance.now();
  await tree.checkpoint();
  const checkpointMs = performance.now() - t;
  t = performance.now();
  await tree.close();
  const closeMs = performance.now() - t;
  console.log(`checkpoint ${checkpointMs.toFixed(0)} ms, close ${closeMs.toFixed(0)} ms`);

  // 3. Reopen: no options needed, n and maxDepth come from the directory.
  t = performance.now();
  const again = await open(dir);
  const reopenMs = performance.now() - t;
  const root = toHex(again.root);
  console.log(`reopened in ${reopenMs.toFixed(0)} ms: ${again.size.toLocaleString('en-US')} leaves, depth ${again.depth}`);
  console.log(`root ${root}`);
  if (root !== rootBefore) throw new Error('the root changed across close and reopen');

  // 4. Prove the first leaf appended in this run and verify it, binding the root and size we trust.
  const snap = again.snapshot();
  t = performance.now();
  const proof = snap.generateProof(start);
  const proveUs = (performance.now() - t) * 1000;
  t = performance.now();
  const valid = verifyProof(again.hasher, proof, { root: snap.root, size: snap.size, n: snap.n });
  const verifyUs = (performance.now() - t) * 1000;
  const leafMatches = toHex(proof.leaf) === toHex(firstLeaf);
  await again.close();

  console.log('');
  console.log('summary');
  console.log(`  leaves        ${again.size.toLocaleString('en-US')} (${LEAVES.toLocaleString('en-US')} appended in batches of ${BATCH.toLocaleString('en-US')})`);
  console.log(`  append        ${appendMs.toFixed(0)} ms, every batch durable (fdatasync) before the end`);
  console.log(`  checkpoint    ${checkpointMs.toFixed(0)} ms; reopen ${reopenMs.toFixed(0)} ms`);
  console.log(`  root          ${root} (same after reopen)`);
  console.log(`  proof         leaf ${start}: ${proof.levels.length} levels, generated in ${proveUs.toFixed(0)} µs, verified in ${verifyUs.toFixed(0)} µs: ${valid && leafMatches ? 'VALID' : 'INVALID'}`);
  if (!valid || !leafMatches) process.exitCode = 1;
} finally {
  if (given === undefined) rmSync(dir, { recursive: true, force: true });
}
