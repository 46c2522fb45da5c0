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
  /** Network crash points reached (partitions and server kills at the k-th request or reply). */
  networkCrashPoints: number;
  /** Servers SIGKILLed and restarted under a live writer. */
  serverKills: number;
  /** Writers taken over (the old one then `FENCED`). */
  fencingCycles: number;
}

/** Every counter at zero. */
export function emptyStats(): ConformanceStats {
  return { combinations: 0, crashStates: 0, killCycles: 0, violations: 0, networkCrashPoints: 0, serverKills: 0, fencingCycles: 0 };
}

const stats: ConformanceStats = emptyStats();

/** Adds `delta` to `into` (counters missing from `delta` add nothing). */
export function addStats(into: ConformanceStats, delta: Partial<ConformanceStats>): void {
  for (const key of Object.keys(into) as (keyof ConformanceStats)[]) into[key] += delta[key] ?? 0;
}

/** Adds to the counters of this process. */
export function recordStats(delta: Partial<ConformanceStats>): void {
  addStats(stats, delta);
}

/** A copy of the counters of this process. */
export function currentStats(): ConformanceStats {
  return { ...stats };
}

/** The suite's summary line (the network counters only when a network backend ran). */
export function formatSummary(s: ConformanceStats): string {
  const network =
    s.networkCrashPoints + s.serverKills + s.fencingCycles > 0
      ? `, ${s.networkCrashPoints} network crash points, ${s.serverKills} server kills, ${s.fencingCycles} fencing cycles`
      : '';
  return `conformance: ${s.combinations} combinations, ${s.crashStates} crash states, ${s.killCycles} kill cycles${network}, ${s.violations} violations`;
}
