// The conformance matrix, part: every combination with the fs WAL.
import { runConformance } from '../src/index.js';
import { backendFor } from './matrix-backends.mjs';
import { combinations, CRASH_STATES } from './matrix.js';

for (const c of combinations.filter((x) => x.wal === 'fs')) {
  runConformance(backendFor(c), { n: c.n, crashStates: CRASH_STATES, seed: 1 + c.n * 1000 });
}
