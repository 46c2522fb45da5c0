/**
 * `rotortree bench`: a quick in-process benchmark on a temporary tree (never the one in `--dir`,
 * which is only where the temporary tree goes).
 * @module
 */
import { randomFillSync, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeanIMT, generateProof, verifyProof } from '@rotortree/core';
import type { DurabilityToken, InclusionProof } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import { open } from '../../open.js';
import type { Command, CommandContext } from '../command.js';
import { intOption, usage } from '../command.js';
import { why } from '../errno.js';
import { EXIT } from '../exit-codes.js';
import { compact } from '../progress.js';

/** Proofs made, then verified, per timed block. */
const PROOF_BLOCK = 1024;

function perSecond(count: number, ms: number): number {
  return ms > 0 ? Math.round((count * 1000) / ms) : 0;
}

export const benchCommand: Command = {
  name: 'bench',
  args: '',
  positionals: [0, 0],
  summary: 'quick benchmark: insertMany, durable inserts, proof generation and verification (temporary tree)',
  dir: 'optional',
  options: {
    leaves: { type: 'string', arg: 'k', help: 'leaves to insert (default 1000000)' },
    batch: { type: 'string', arg: 'k', help: 'leaves per insertMany (default 10000)' },
    singles: { type: 'string', arg: 'k', help: 'single durable inserts, group-committed (default 20000)' },
    proofs: { type: 'string', arg: 'k', help: 'proofs to generate and verify (default 10000)' },
    n: { type: 'string', arg: 'n', help: 'branching factor (default 4)' },
  },
  run(ctx) {
    return bench(ctx);
  },
};

/** The benchmark itself (see the module comment). */
async function bench(ctx: CommandContext): Promise<number> {
  const leaves = intOption(ctx, 'leaves', 1, 1 << 25, 1_000_000);
  const batch = intOption(ctx, 'batch', 1, 1 << 25, 10_000);
  const singles = intOption(ctx, 'singles', 0, 10_000_000, 20_000);
  const proofs = intOption(ctx, 'proofs', 0, 10_000_000, 10_000);
  const n = intOption(ctx, 'n', 2, 256, 4);
  const hasher = blake3();
  const data = new Uint8Array(leaves * 32);
  randomFillSync(data);
  const batches: Uint8Array[] = [];
  for (let i = 0; i < leaves; i += batch) batches.push(data.subarray(i * 32, Math.min(leaves, i + batch) * 32));

  const parent = ctx.dir === '' ? tmpdir() : ctx.dir;
  let dir: string;
  try {
    dir = mkdtempSync(join(parent, 'rotortree-bench-'));
  } catch (err) {
    throw usage(`cannot create a temporary tree in ${parent}: ${why(err)}`, parent);
  }
  try {
    // 1. In memory.
    const mem = new LeanIMT({ hasher, n, maxDepth: 32 });
    let bar = ctx.out.progress('in memory ', leaves, 'leaves');
    let t0 = performance.now();
    let done = 0;
    for (const b of batches) {
      mem.insertMany(b);
      bar.update((done += b.length / 32));
    }
    const memoryMs = performance.now() - t0;
    bar.finish();

    // 2. Durable batches: tokens awaited with 8 batches in flight (group commit).
    const tree = await open(dir, { n, hasher });
    let durableMs = 0;
    let singlesMs = 0;
    let latencyMs = 0;
    let proveMs = 0;
    let verifyMs = 0;
    try {
      bar = ctx.out.progress('durable   ', leaves, 'leaves');
      t0 = performance.now();
      done = 0;
      const pending: DurabilityToken[] = [];
      for (const b of batches) {
        pending.push(tree.insertMany(b).token);
        if (pending.length > 8) await pending.shift()!.wait();
        bar.update((done += b.length / 32));
      }
      for (const t of pending) await t.wait();
      durableMs = performance.now() - t0;
      bar.finish();

      // 3. Single inserts, each with its own token, all awaited: group commit.
      const single = new Uint8Array(32);
      bar = ctx.out.progress('singles   ', singles, 'inserts');
      t0 = performance.now();
      const tokens: DurabilityToken[] = [];
      for (let i = 0; i < singles; i++) {
        randomFillSync(single);
        tokens.push(tree.insert(single).token);
        if ((i & 1023) === 1023) {
          await tokens[tokens.length - 1]!.wait();
          bar.update(i + 1);
        }
      }
      for (const t of tokens) await t.wait();
      singlesMs = performance.now() - t0;
      bar.finish();
      // One insert at a time, each awaited before the next: the latency of durability.
      const latencyRuns = 50;
      t0 = performance.now();
      for (let i = 0; i < latencyRuns; i++) {
        randomFillSync(single);
        await tree.insertDurable(single);
      }
      latencyMs = (performance.now() - t0) / latencyRuns;

      // 4. Proofs of random leaves of a snapshot, made and verified a block at a time (memory
      // stays the same for any --proofs).
      const snap = tree.snapshot();
      const root = snap.root!;
      const made: InclusionProof[] = [];
      bar = ctx.out.progress('proofs    ', proofs, 'proofs');
      let bad = 0;
      for (let first = 0; first < proofs; first += PROOF_BLOCK) {
        const k = Math.min(PROOF_BLOCK, proofs - first);
        t0 = performance.now();
        for (let i = 0; i < k; i++) made[i] = generateProof(snap, randomInt(0, snap.size));
        proveMs += performance.now() - t0;
        t0 = performance.now();
        for (let i = 0; i < k; i++) if (!verifyProof(hasher, made[i]!, { root, size: snap.size, n })) bad++;
        verifyMs += performance.now() - t0;
        bar.update(first + k);
      }
      bar.finish();
      if (bad !== 0) throw new Error(`${bad} generated proofs did not verify`);

    } catch (err) {
      await tree.close().catch(() => undefined);
      throw err;
    }

    // 5. Close (flush + checkpoint) and reopen (recovery from the checkpoint).
    t0 = performance.now();
    await tree.close();
    const closeMs = performance.now() - t0;
    t0 = performance.now();
    const again = await open(dir, { hasher });
    const reopenMs = performance.now() - t0;
    const size = again.size;
    await again.close();

    const result = {
      n,
      hasherBackend: hasher.backend ?? null,
      leaves,
      batch,
      insertManyLeavesPerSec: perSecond(leaves, memoryMs),
      durableLeavesPerSec: perSecond(leaves, durableMs),
      durableSingleInsertsPerSec: perSecond(singles, singlesMs),
      durableInsertLatencyMs: Number(latencyMs.toFixed(2)),
      proofsPerSec: perSecond(proofs, proveMs),
      verifiesPerSec: perSecond(proofs, verifyMs),
      closeWithCheckpointMs: Math.round(closeMs),
      reopenMs: Math.round(reopenMs),
      reopenedSize: size,
    };
    ctx.out.result(
      [
        `bench: n=${n}, BLAKE3 ${result.hasherBackend ?? ''} backend, ${compact(leaves)} leaves in batches of ${compact(batch)}`,
        `  insertMany (memory)       ${compact(result.insertManyLeavesPerSec)} leaves/s`,
        `  insertMany (durable)      ${compact(result.durableLeavesPerSec)} leaves/s (tokens awaited, group commit)`,
        `  insert (durable, grouped) ${compact(result.durableSingleInsertsPerSec)} inserts/s`,
        `  insertDurable latency     ${result.durableInsertLatencyMs} ms (one at a time)`,
        `  prove                     ${compact(result.proofsPerSec)} proofs/s`,
        `  verify                    ${compact(result.verifiesPerSec)} proofs/s`,
        `  close (checkpoint)        ${result.closeWithCheckpointMs} ms`,
        `  reopen                    ${result.reopenMs} ms (${compact(size)} leaves)`,
      ],
      result,
    );
    return EXIT.OK;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
