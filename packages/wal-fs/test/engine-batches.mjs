// The deterministic workload of engine-child-batches.mjs and engine-kill-batches.test.ts.

/** Leaves in the record that starts at leaf i: batches of 40k-56k leaves (>= 1 MiB, two store slices) between single inserts. */
export function batchLength(i) {
  return i % 3 === 0 ? 40_000 + (i % 5) * 4_001 : 1;
}

/** Writes leaves first, first+1, ... into `flat` (leaf j: u32 LE j + 1, then bytes that depend on j). */
export function fillLeaves(flat, first) {
  const view = new DataView(flat.buffer, flat.byteOffset, flat.byteLength);
  for (let o = 0, j = first; o < flat.length; o += 32, j++) {
    view.setUint32(o, j + 1, true);
    for (let b = 4; b < 32; b += 4) view.setUint32(o + b, Math.imul(j, 2654435761) ^ (b * 0x9e3779b9), true);
  }
}

/** True when the records starting at `start` end exactly at `size`. */
export function isBatchBoundary(start, size) {
  let i = start;
  while (i < size) i += batchLength(i);
  return i === size;
}
