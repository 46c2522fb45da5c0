// Prints the conformance suite's summary line of this package's run (combinations, network crash
// points, server kills, fencing cycles, violations).
export { collectSummary as default } from '@rotortree/conformance';
