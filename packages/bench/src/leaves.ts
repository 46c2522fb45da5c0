/** Deterministic test leaves: leaf i holds i + 1 (little-endian) in its first 4 bytes, then zeros. */

/** `count` leaves as one flat buffer, numbered from `from`. */
export function makeLeaves(count: number, from = 0): Uint8Array {
  const flat = new Uint8Array(count * 32);
  const view = new DataView(flat.buffer);
  for (let i = 0; i < count; i++) view.setUint32(i * 32, (from + i + 1) >>> 0, true);
  return flat;
}
