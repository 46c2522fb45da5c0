// The conformance suite over the PostgreSQL WAL (the shared pair): the groups that apply without a
// simulated crash (tree rules in the fresh and reopened states, proofs, lifecycle, bad input, one
// writer) for {no checkpoints, memory, mmap files}, and the kill harness: writer processes SIGKILLed
// at random moments, each next one recovering in a fresh process (and the parent's own open
// meanwhile is FILE_LOCKED).
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { formatViolations, recordStats, registerStatsFlush, runConformance, runKillCycles } from '@rotortree/conformance';
import { createBackend } from './conformance-backends.mjs';
import { shared, sharedPair } from './support.js';

const MODULE = fileURLToPath(new URL('./conformance-backends.mjs', import.meta.url));
const STORES = ['none', 'memory', 'mmap'] as const;
registerStatsFlush();

if (shared.available) {
  for (const store of STORES) runConformance(createBackend({ connection: shared.info.primary, store }), { n: 4, timeout: 300_000 });
}

describe('kill cycles: the writer process SIGKILLed, recovery in a fresh process', () => {
  for (const store of ['none', 'mmap'] as const) {
    it(`wal=postgres checkpoints=${store}`, { timeout: 600_000 }, async (ctx) => {
      const { primary } = sharedPair(ctx);
      const result = await runKillCycles({ module: MODULE, params: { connection: primary, store }, cycles: 4, seed: 11, points: [], checkpointEvery: 25 });
      recordStats({ violations: result.violations.length });
      if (result.violations.length > 0) throw new Error(formatViolations(result.violations));
      ctx.annotate(`${result.cycles} cycles, ${result.acked} leaves acknowledged`);
    });
  }
});

it('needs the shared PostgreSQL pair', (ctx) => {
  sharedPair(ctx);
});
