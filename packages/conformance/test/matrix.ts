/** Budgets of the matrix: small per combination, larger under CONFORMANCE_SOAK=<minutes>. */
import { matrixCombinations } from './matrix-backends.mjs';
import type { Combination } from './matrix-backends.mjs';

/** Crash states per crash group and combination (the damage, follower and poison groups cap their own). */
export const CRASH_STATES = 96;
/**
 * Distinct crash states of the two crash-state groups (`durability`, `checkpoints`) per
 * combination: 72 + 54 runs of them make about 98,000, the rest of the suite about 3,000.
 */
export const CRASH_STATE_GROUPS = { durability: { crashStates: 780 }, checkpoints: { crashStates: 780 } } as const;
/** Kill cycles per durable combination (plus one verifying child): 27 combinations make > 1,000. */
export const KILL_CYCLES = 38;
/** Kill series running at once (each keeps a running child and a warm one). */
export const KILL_PARALLEL = 2;

export const combinations: Combination[] = matrixCombinations();

if (process.env.CONFORMANCE_SOAK) process.env.CONFORMANCE_SOAK_COMBINATIONS ??= String(combinations.length / 2);

/** `wal=fs blake3=js n=4 ...` */
export function label(c: Combination): string {
  return `wal=${c.wal} checkpoints=${c.store} blake3=${c.hasher} n=${c.n}`;
}
