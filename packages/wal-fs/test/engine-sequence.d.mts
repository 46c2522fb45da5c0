/** Leaf i of the crash workload. */
export function leafAt(i: number): Uint8Array;
/** Leaves in the record that starts at leaf i. */
export function recordLength(i: number): number;
/** True when the record sequence starting at `start` ends exactly at `size`. */
export function isRecordBoundary(start: number, size: number): boolean;
