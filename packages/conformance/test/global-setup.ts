// Collects the counters every test file wrote and prints the suite's one summary line at the end.
export { collectSummary as default } from '../src/index.js';
