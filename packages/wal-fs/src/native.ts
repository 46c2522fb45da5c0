/**
 * Loads the native WAL kernels (the record scan of recovery, the CRCs of a flush: native/src),
 * prebuilt in the package or compiled at install, through `@rotortree/native`'s loader. Loading never
 * throws: a missing, broken or disabled addon gives `undefined`, and the JS code is used instead.
 * CRC-32C itself and the write-back start are `@rotortree/native`'s.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { loadAddon, nativeDisabled } from '@rotortree/native';

/** What the compiled addon exports (native/src/binding.c). */
export interface NativeWalKernels {
  /**
   * The offset just past the longest run of valid records in `file[start, end)` with seqs
   * baseSeq+1, baseSeq+2, ... (valid as in `validRecordLength` of format.ts).
   */
  scanValid(file: Uint8Array, start: number, end: number, baseSeq: number): number;
  /**
   * `scanValid` that also notes record starts for the sparse index (native/src/record_walk.c):
   * `table[0]` = end of the run in `file`, `table[1]` = its last seq, then the returned number of
   * (seq, `shift` + offset) pairs: each record start at least `spacing` bytes past the previous
   * noted one (the first past `lastNoted`). A full table stops the run after its last entry.
   */
  scanRun(file: Uint8Array, start: number, end: number, baseSeq: number, shift: number, lastNoted: number, spacing: number, table: Float64Array): number;
  /**
   * Copies the payloads of the whole records from `start` back to back into `out` from
   * `outStart`, stopping before a record incomplete in `[start, end)`, with a payload over
   * `maxLen`, or that does not fit: the number copied; `stats[0]` = offset past the last one,
   * `stats[1]` = end of the copied bytes in `out`. Checks lengths, not CRCs (the scan did).
   */
  gatherRun(file: Uint8Array, start: number, end: number, maxLen: number, out: Uint8Array, outStart: number, stats: Float64Array): number;
  /**
   * Writes the header CRC and the record CRC of each record in `bytes[start, end)`, records whose
   * other fields are written (native/src/record_seal.c). Returns the offset where it stopped:
   * `end`, or the start of a record with an implausible len or not inside the range.
   */
  sealRecords(bytes: Uint8Array, start: number, end: number): number;
}

/** This package's folder (the same from src/ and dist/). */
const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));

const FUNCTIONS = ['scanValid', 'scanRun', 'gatherRun', 'sealRecords'];

/**
 * The native kernels, or `undefined` when the addon is missing or fails to load, or when
 * `env.ROTORTREE_DISABLE_NATIVE` is `"1"`.
 */
export function loadNativeWalKernels(env: Record<string, string | undefined> = process.env): NativeWalKernels | undefined {
  if (nativeDisabled(env)) return undefined;
  return loadAddon<NativeWalKernels>(PACKAGE_DIR, 'rotortree_wal', (e) => FUNCTIONS.every((f) => typeof e[f] === 'function')).addon;
}

/** The kernels this process uses (loaded once, at import). */
export const nativeWalKernels: NativeWalKernels | undefined = loadNativeWalKernels();
