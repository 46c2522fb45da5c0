// The deterministic workload shared by engine-child.mjs and engine-crash.test.ts.

/** Leaf i: u32 LE i, then bytes that depend on i (never all zero). */
export function leafAt(i) {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(0, i, true);
  for (let j = 4; j < 32; j++) out[j] = (i * 31 + j * 17 + 5) & 0xff;
  return out;
}

/** Leaves in the record that starts at leaf i: mostly single inserts, some batches. */
export function recordLength(i) {
  return i % 7 === 3 ? (i % 5) + 2 : 1;
}

/** True when the record sequence starting at `start` ends exactly at `size`. */
export function isRecordBoundary(start, size) {
  let i = start;
  while (i < size) i += recordLength(i);
  return i === size;
}
