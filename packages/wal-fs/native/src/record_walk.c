/*
 * The record walks of recovery (layout in src/format.ts), so that JS touches each record O(1)
 * times or not at all:
 *
 *   scanRun(file, start, end, baseSeq, shift, lastNoted, spacing, table: Float64Array) -> notes
 *     The longest run of valid records in file[start, end) with seqs baseSeq+1, baseSeq+2, ...
 *     (valid as in validRecordLength() of format.ts). table[0] = offset just past the run,
 *     table[1] = its last seq (baseSeq if empty); then `notes` (seq, shift + offset) pairs from
 *     table[2]: the record starts the sparse index keeps (the first start at least `spacing`
 *     bytes past the previous noted one, the first from `lastNoted`). When the table is full the
 *     run stops early after the last noted record: call again from table[0].
 *
 *   gatherRun(file, start, end, maxLen, out, outStart, stats: Float64Array) -> records
 *     Copies the payloads of the whole records from `start` (already validated by the scan) back
 *     to back into out[outStart, ...), stopping before a record that is incomplete in [start, end),
 *     has a payload longer than `maxLen` or does not fit in `out`. stats[0] = offset just past the
 *     last record copied, stats[1] = end of the copied bytes in `out`.
 *
 * Every length is checked against the buffers before a byte is read or written.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rotortree/crc32c.h"
#include "rotortree/napi_args.h"
#include "record_layout.h"
#include "record_walk.h"

/*
 * Single-insert records (one leaf: 56 bytes, CRC over 52) are the common case of a log and the
 * CRC32 instruction has a 3-cycle latency: the CRCs of four such records in a row are computed as
 * four interleaved chains (~3x the throughput of one record at a time).
 */
#define ONE_LEAF_RECORD (RECORD_OVERHEAD + 32)
#define ONE_LEAF_SPAN (RECORD_HEADER + 32)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define HAVE_HW_BATCH 1
__attribute__((target("sse4.2"))) static void crc_four_one_leaf(const uint8_t *p, uint32_t out[4]) {
  uint64_t c0 = 0xffffffffu, c1 = 0xffffffffu, c2 = 0xffffffffu, c3 = 0xffffffffu;
  for (int w = 0; w < 48; w += 8) {
    c0 = _mm_crc32_u64(c0, read_u64(p + w));
    c1 = _mm_crc32_u64(c1, read_u64(p + ONE_LEAF_RECORD + w));
    c2 = _mm_crc32_u64(c2, read_u64(p + 2 * ONE_LEAF_RECORD + w));
    c3 = _mm_crc32_u64(c3, read_u64(p + 3 * ONE_LEAF_RECORD + w));
  }
  out[0] = ~_mm_crc32_u32((uint32_t)c0, read_u32(p + 48));
  out[1] = ~_mm_crc32_u32((uint32_t)c1, read_u32(p + ONE_LEAF_RECORD + 48));
  out[2] = ~_mm_crc32_u32((uint32_t)c2, read_u32(p + 2 * ONE_LEAF_RECORD + 48));
  out[3] = ~_mm_crc32_u32((uint32_t)c3, read_u32(p + 3 * ONE_LEAF_RECORD + 48));
}
#endif

/*
 * How many of the four records from `pos` are valid one-leaf records with seqs seq+1 .. (0 to 4,
 * counting from the first; 0 also when the batch does not apply and the general path must judge).
 */
static size_t four_one_leaf(const uint8_t *file, size_t pos, size_t end, uint64_t seq) {
#ifdef HAVE_HW_BATCH
  if (end - pos < 4 * ONE_LEAF_RECORD) return 0;
  for (size_t i = 0; i < 4; i++) {
    if (read_u32(file + pos + i * ONE_LEAF_RECORD) != 32) return 0;
  }
  uint32_t crc[4];
  crc_four_one_leaf(file + pos, crc);
  size_t ok = 0;
  for (; ok < 4; ok++) {
    const uint8_t *r = file + pos + ok * ONE_LEAF_RECORD;
    if (read_u32(r + ONE_LEAF_SPAN) != crc[ok] || read_u64(r + 4) != seq + 1 + ok) break;
  }
  return ok;
#else
  (void)file;
  (void)pos;
  (void)end;
  (void)seq;
  return 0;
#endif
}

static napi_value scan_run(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!arg_list(env, info, 8, argv, NULL, "expected (file, start, end, baseSeq, shift, lastNoted, spacing, table)")) return NULL;
  uint8_t *file;
  size_t pos, end, table_len;
  double base, shift, last_noted, spacing;
  void *table_ptr;
  if (!arg_byte_range(env, argv, &file, &pos, &end) || !arg_integer(env, argv[3], 0, MAX_SAFE, &base) ||
      !arg_integer(env, argv[4], 0, MAX_SAFE, &shift) || !arg_integer(env, argv[5], -MAX_SAFE, MAX_SAFE, &last_noted) ||
      !arg_integer(env, argv[6], 1, MAX_SAFE, &spacing) ||
      !arg_typed(env, argv[7], napi_float64_array, &table_ptr, &table_len, "table must be a Float64Array")) {
    return NULL;
  }
  if (table_len < 4) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "table too short");
    return NULL;
  }
  double *table = (double *)table_ptr;
  const size_t max_notes = (table_len - 2) / 2;
  size_t notes = 0;
  uint64_t seq = (uint64_t)base;
  const bool batch = crc32c_hardware();
  while (end - pos >= RECORD_OVERHEAD) {
    /* Fast path: four single-insert records in a row, none of them noted in the index. */
    if (batch && shift + (double)pos + 3 * ONE_LEAF_RECORD - last_noted < spacing) {
      size_t ok = four_one_leaf(file, pos, end, seq);
      pos += ok * ONE_LEAF_RECORD;
      seq += ok;
      if (ok == 4) continue;
      if (end - pos < RECORD_OVERHEAD) break;
    }
    uint32_t len = read_u32(file + pos);
    if (!plausible_len(len, end - pos)) break;
    size_t crc_at = pos + RECORD_HEADER + len;
    if (read_u32(file + crc_at) != crc32c(0, file + pos, crc_at - pos)) break;
    if (read_u64(file + pos + 4) != seq + 1) break;
    seq++;
    double at = shift + (double)pos;
    if (at - last_noted >= spacing) {
      table[2 + 2 * notes] = (double)seq;
      table[3 + 2 * notes] = at;
      last_noted = at;
      if (++notes == max_notes) {
        pos = crc_at + 4;
        break;
      }
    }
    pos = crc_at + 4;
  }
  table[0] = (double)pos;
  table[1] = (double)seq;
  return uint_result(env, (uint32_t)notes);
}

static napi_value gather_run(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!arg_list(env, info, 7, argv, NULL, "expected (file, start, end, maxLen, out, outStart, stats)")) return NULL;
  uint8_t *file;
  size_t pos, end, out_len, stats_len;
  double max_len, out_start;
  void *out_ptr, *stats_ptr;
  if (!arg_byte_range(env, argv, &file, &pos, &end) || !arg_integer(env, argv[3], 0, MAX_SAFE, &max_len) ||
      !arg_typed(env, argv[4], napi_uint8_array, &out_ptr, &out_len, "out must be a Uint8Array") ||
      !arg_integer(env, argv[5], 0, (double)out_len, &out_start) ||
      !arg_typed(env, argv[6], napi_float64_array, &stats_ptr, &stats_len, "stats must be a Float64Array")) {
    return NULL;
  }
  if (stats_len < 2) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "stats too short");
    return NULL;
  }
  uint8_t *out = (uint8_t *)out_ptr;
  size_t o = (size_t)out_start;
  uint32_t records = 0;
  while (end - pos >= RECORD_OVERHEAD) {
    uint32_t len = read_u32(file + pos);
    if (len == 0 || (double)len > max_len || len > end - pos - RECORD_OVERHEAD || len > out_len - o) break;
    memcpy(out + o, file + pos + RECORD_HEADER, len);
    o += len;
    pos += (size_t)len + RECORD_OVERHEAD;
    records++;
  }
  double *stats = (double *)stats_ptr;
  stats[0] = (double)pos;
  stats[1] = (double)o;
  return uint_result(env, records);
}

bool record_walk_exports(napi_env env, napi_value exports) {
  return export_function(env, exports, "scanRun", scan_run, NULL) && export_function(env, exports, "gatherRun", gather_run, NULL);
}
