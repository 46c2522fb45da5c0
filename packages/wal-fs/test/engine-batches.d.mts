export function batchLength(i: number): number;
export function fillLeaves(flat: Uint8Array, first: number): void;
export function isBatchBoundary(start: number, size: number): boolean;
