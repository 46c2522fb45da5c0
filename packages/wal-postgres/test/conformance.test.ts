// The conformance suite over the PostgreSQL WAL on the shared pair: {no checkpoints, memory, mmap
// files} x n in {2, 4, 16}, each with the groups that apply without a simulated crash (tree rules
// in the fresh and reopened states, proofs, lifecycle, bad input, one writer) and the network
// crash mode's groups that fail no server process (partitions at network crash points, fencing
// cycles, damaged records, tree identity); and the kill harness: writer processes SIGKILLed at
// random moments, each next one recovering in a fresh process (and the parent's own open
// meanwhile is FILE_LOCKED). Server kills and a stopped standby run on a private pair
// (server-faults.test.ts).
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { formatViolations, recordStats, registerStatsFlush, runConformance, runKillCycles } from '@rotortree/conformance';
import type { GroupName } from '@rotortree/conformance';
import { createBackend } from './conformance-backends.mjs';
import { COMBINATIONS } from './matrix.js';
import { shared, sharedPair } from './support.js';

const MODULE = fileURLToPath(new URL('./conformance-backends.mjs', import.meta.url));
const GROUPS: GroupName[] = ['treeRules', 'proofs', 'lifecycle', 'badInput', 'locking', 'partition', 'fencing', 'damagedRecords', 'networkIdentity'];
registerStatsFlush();

if (shared.available) {
  for (const { store, n } of COMBINATIONS) {
    runConformance(createBackend({ connection: shared.info.primary, store, n, network: true }), { n, seed: 1 + n * 1000, groups: GROUPS, timeout: 300_000 });
  }
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
