// The conformance matrix, part: every combination with the fs WAL.
import { GROUPS, runConformance } from '../src/index.js';
import type { GroupName } from '../src/index.js';
import { backendFor } from './matrix-backends.mjs';
import { combinations, CRASH_STATE_GROUPS, CRASH_STATES } from './matrix.js';

const fsCombinations = combinations.filter((x) => x.wal === 'fs');
const ALL = Object.keys(GROUPS) as GroupName[];
// The huge-tail group reads gigabytes of zeros per WAL (seconds each): one combination with file
// checkpoints covers the WAL, the manifest and the segments.
const tailCombination = fsCombinations.find((c) => c.store === 'mmap' && c.n === 4) ?? fsCombinations.find((c) => c.n === 4);

for (const c of fsCombinations) {
  const groups = c === tailCombination ? ALL : ALL.filter((g) => g !== 'hugeTails');
  runConformance(backendFor(c), { n: c.n, crashStates: CRASH_STATES, groupBudgets: CRASH_STATE_GROUPS, seed: 1 + c.n * 1000, groups });
}
