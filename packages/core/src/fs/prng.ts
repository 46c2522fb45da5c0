/**
 * A small seeded PRNG (sfc32 seeded through splitmix32): the fault-injecting file system must
 * replay exactly from a seed, so it never uses `Math.random`.
 * @module
 */

/** A deterministic random source. */
export interface Prng {
  /** A uniform 32-bit unsigned integer. */
  nextU32(): number;
  /** A uniform integer in `[0, bound)` (bound >= 1). */
  below(bound: number): number;
  /** Fills `out` with random bytes. */
  fill(out: Uint8Array): void;
}

/** A PRNG whose whole sequence is fixed by `seed` (any integer). */
export function createPrng(seed: number): Prng {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const nextU32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) nextU32();
  return {
    nextU32,
    below(bound) {
      // Multiply-high keeps it unbiased enough for test choices (bound << 2^32).
      return Math.floor((nextU32() / 0x1_0000_0000) * bound);
    },
    fill(out) {
      for (let i = 0; i < out.length; i++) out[i] = nextU32() & 0xff;
    },
  };
}
