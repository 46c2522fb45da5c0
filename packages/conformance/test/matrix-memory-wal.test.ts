// The conformance matrix, part: every combination with the memory WAL.
import { runConformance } from '../src/index.js';
import { backendFor } from './matrix-backends.mjs';
import { combinations, CRASH_STATE_GROUPS, CRASH_STATES } from './matrix.js';

for (const c of combinations.filter((x) => x.wal === 'memory')) {
  runConformance(backendFor(c), { n: c.n, crashStates: CRASH_STATES, groupBudgets: CRASH_STATE_GROUPS, seed: 1 + c.n * 1000 });
}
