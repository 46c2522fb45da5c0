/**
 * Loads the native WAL kernels built from `native/` at install time (CRC-32C with the CPU's
 * CRC32 instruction, ~10x the JS one; the record scan of recovery; the CRCs of a flush).
 * Loading never throws: a missing, broken or disabled addon gives `undefined`, and the JS code
 * is used instead.
 * @module
 */
import { createRequire } from 'node:module';

/** What the compiled addon exports (native/src/binding.c). */
export interface NativeWalKernels {
  /** True when `crc32c` uses the CPU's CRC32 instruction (else a C table kernel). */
  readonly hardware: boolean;
  /** CRC-32C of `bytes[start, end)` continuing from `crc`, like `crc32c` of `@rotortree/core/fs`. */
  crc32c(bytes: Uint8Array, start: number, end: number, crc: number): number;
  /** The same with the portable C table kernel (for tests). */
  crc32cTable(bytes: Uint8Array, start: number, end: number, crc: number): number;
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
  /**
   * Starts the write-out of the dirty pages of the file open as `fd` on the libuv pool, without
   * waiting for it (`sync_file_range`, native/src/writeback.c); rejects with the errno name as
   * `code`. Linux only: absent elsewhere.
   */
  startWriteback?(fd: number): Promise<void>;
}

/** Same relative path from src/ and dist/. */
const ADDON_PATH = '../native/build/Release/rotortree_wal.node';

/**
 * The native kernels, or `undefined` when the addon is missing or fails to load, or when
 * `env.ROTORTREE_DISABLE_NATIVE` is `"1"`.
 */
export function loadNativeWalKernels(env: Record<string, string | undefined> = process.env): NativeWalKernels | undefined {
  if (env['ROTORTREE_DISABLE_NATIVE'] === '1') return undefined;
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Partial<NativeWalKernels>;
    const complete =
      typeof addon.hardware === 'boolean' &&
      typeof addon.crc32c === 'function' &&
      typeof addon.crc32cTable === 'function' &&
      typeof addon.scanValid === 'function' &&
      typeof addon.scanRun === 'function' &&
      typeof addon.gatherRun === 'function' &&
      typeof addon.sealRecords === 'function';
    return complete ? (addon as NativeWalKernels) : undefined;
  } catch {
    return undefined;
  }
}

/** The kernels this process uses (loaded once, at import). */
export const nativeWalKernels: NativeWalKernels | undefined = loadNativeWalKernels();
