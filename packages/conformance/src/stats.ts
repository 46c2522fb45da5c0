/**
 * Counters of the work the checks did in this process (for the suite's summary line).
 * @module
 */

/** What the checks explored. */
export interface ConformanceStats {
  combinations: number;
  crashStates: number;
  killCycles: number;
  violations: number;
}

const stats: ConformanceStats = { combinations: 0, crashStates: 0, killCycles: 0, violations: 0 };

/** Adds to the counters of this process. */
export function recordStats(delta: Partial<ConformanceStats>): void {
  stats.combinations += delta.combinations ?? 0;
  stats.crashStates += delta.crashStates ?? 0;
  stats.killCycles += delta.killCycles ?? 0;
  stats.violations += delta.violations ?? 0;
}

/** A copy of the counters of this process. */
export function currentStats(): ConformanceStats {
  return { ...stats };
}

/** The suite's summary line. */
export function formatSummary(s: ConformanceStats): string {
  return `conformance: ${s.combinations} combinations, ${s.crashStates} crash states, ${s.killCycles} kill cycles, ${s.violations} violations`;
}
