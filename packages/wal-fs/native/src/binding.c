/*
 * N-API binding of the WAL kernels: the record scan of recovery and the CRCs of a flush. They
 * parse wal-fs's record layout (src/format.ts), which only wal-fs may know; the CRC-32C kernels and
 * the argument helpers they use are @rotortree/native's (compiled in by its build tool).
 *
 * Exports { scanValid(file, start, end, baseSeq), scanRun(...), gatherRun(...) (record_walk.c),
 *           sealRecords(bytes, start, end) (record_seal.c) }.
 * Every range is checked here before any byte is read; bad arguments throw TypeError / RangeError.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rotortree/crc32c.h"
#include "rotortree/napi_args.h"
#include "record_layout.h"
#include "record_seal.h"
#include "record_walk.h"

/*
 * scanValid(file, start, end, baseSeq): the offset just past the longest run of valid records
 * from `start` whose seqs are baseSeq+1, baseSeq+2, ... A record is valid as in
 * validRecordLength() of format.ts: plausible len, inside `end`, right record CRC.
 */
static napi_value scan_valid(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!arg_list(env, info, 4, argv, NULL, "expected (file, start, end, baseSeq)")) return NULL;
  uint8_t *file;
  size_t pos, end;
  double base;
  if (!arg_byte_range(env, argv, &file, &pos, &end) || !arg_integer(env, argv[3], 0, MAX_SAFE, &base)) return NULL;
  uint64_t seq = (uint64_t)base;
  while (end - pos >= RECORD_OVERHEAD) {
    uint32_t len = read_u32(file + pos);
    if (!plausible_len(len, end - pos)) break;
    size_t crc_at = pos + RECORD_HEADER + len;
    if (read_u32(file + crc_at) != crc32c(0, file + pos, crc_at - pos)) break;
    uint64_t got = read_u64(file + pos + 4);
    if (got != seq + 1) break;
    seq = got;
    pos = crc_at + 4;
  }
  napi_value result;
  napi_create_double(env, (double)pos, &result);
  return result;
}

NAPI_MODULE_INIT() {
  if (!export_function(env, exports, "scanValid", scan_valid, NULL) || !record_walk_exports(env, exports) ||
      !record_seal_exports(env, exports)) {
    napi_throw_error(env, "ERR_NAPI", "cannot create the exports");
    return NULL;
  }
  return exports;
}
