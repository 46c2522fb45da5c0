/**
 * Gathering the leaves of consecutive records into one flat buffer, for the replay of runs
 * (`WalRunVisitor`): the native `gatherRun` when the addon is loaded, else the same walk in JS.
 * @module
 */
import { readU32, RECORD_HEADER, RECORD_OVERHEAD } from './format.js';
import type { NativeWalKernels } from './native.js';

/**
 * Copies the payloads of the whole records from `start` (already validated: only lengths are
 * read) back to back into `out` from `outStart`. Stops before a record that is incomplete in
 * `[start, end)`, has a payload over `maxLen`, or does not fit in `out`. Returns the number of
 * records copied; `stats[0]` = offset just past the last of them, `stats[1]` = end of the copied
 * bytes in `out`. Same contract as the native `gatherRun`.
 */
export function gatherRunJs(
  file: Uint8Array,
  start: number,
  end: number,
  maxLen: number,
  out: Uint8Array,
  outStart: number,
  stats: Float64Array,
): number {
  let pos = start;
  let o = outStart;
  let records = 0;
  // Word copies when both sides are 4-byte aligned (payloads are, in a window that starts at a record).
  const aligned = (file.byteOffset & 3) === 0 && (out.byteOffset & 3) === 0;
  const src = aligned ? new Int32Array(file.buffer, file.byteOffset, file.length >>> 2) : undefined;
  const dst = aligned ? new Int32Array(out.buffer, out.byteOffset, out.length >>> 2) : undefined;
  while (end - pos >= RECORD_OVERHEAD) {
    const len = readU32(file, pos);
    if (len === 0 || len > maxLen || len > end - pos - RECORD_OVERHEAD || len > out.length - o) break;
    const payload = pos + RECORD_HEADER;
    if (src !== undefined && dst !== undefined && len <= 256 && ((payload | o | len) & 3) === 0) {
      const s = payload >>> 2;
      const d = o >>> 2;
      for (let k = 0; k < len >>> 2; k++) dst[d + k] = src[s + k]!;
    } else out.set(file.subarray(payload, payload + len), o);
    o += len;
    pos = payload + len + 4;
    records++;
  }
  stats[0] = pos;
  stats[1] = o;
  return records;
}

/** {@link gatherRunJs} with the native kernels when given (called per stretch of small records, not per record). */
export function gatherRunWith(kernels: NativeWalKernels | undefined, ...args: Parameters<typeof gatherRunJs>): number {
  return kernels === undefined ? gatherRunJs(...args) : kernels.gatherRun(...args);
}
