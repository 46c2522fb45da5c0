/** The hex of smoke leaf `i` (64 digits). */
export function leafHex(i: number): string;
/** Smoke leaf `i` as 32 bytes. */
export function leafBytes(i: number): Uint8Array;
/** Smoke leaves 0..count-1. */
export function leaves(count: number): Uint8Array[];
/** Prints `result` as JSON, the last line of stdout. */
export function report(result: unknown): void;
