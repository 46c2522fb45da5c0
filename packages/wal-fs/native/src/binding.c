/*
 * N-API binding of the WAL kernels: CRC-32C and the record scan of recovery.
 *
 * Exports { hardware, crc32c(bytes, start, end, crc), crc32cTable(bytes, start, end, crc),
 *           scanValid(file, start, end, baseSeq), scanRun(...), gatherRun(...) (record_walk.c),
 *           sealRecords(bytes, start, end) (record_seal.c), startWriteback(fd) (writeback.c, Linux) }.
 * Every range is checked here before any byte is read; bad arguments throw TypeError / RangeError.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "crc32c.h"
#include "napi_args.h"
#include "record_layout.h"
#include "record_seal.h"
#include "record_walk.h"
#include "writeback.h"

#ifndef _WIN32
#include <pthread.h>
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
#endif

typedef uint32_t (*crc_fn)(uint32_t, const uint8_t *, size_t);

static napi_value crc_call(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  void *data;
  if (!arg_list(env, info, 4, argv, &data, "expected (bytes, start, end, crc)")) return NULL;
  uint8_t *bytes;
  size_t start, end;
  double crc;
  if (!arg_byte_range(env, argv, &bytes, &start, &end) || !arg_integer(env, argv[3], 0, 4294967295.0, &crc)) return NULL;
  return uint_result(env, ((crc_fn)data)((uint32_t)crc, bytes + start, end - start));
}

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
  /* Once per process: worker threads load the addon again. */
#ifndef _WIN32
  pthread_once(&init_once, crc32c_init);
#else
  crc32c_init();
#endif
  napi_value hardware;
  if (napi_get_boolean(env, crc32c_hardware(), &hardware) != napi_ok ||
      napi_set_named_property(env, exports, "hardware", hardware) != napi_ok ||
      !export_function(env, exports, "crc32c", crc_call, (void *)crc32c) ||
      !export_function(env, exports, "crc32cTable", crc_call, (void *)crc32c_table) ||
      !export_function(env, exports, "scanValid", scan_valid, NULL) || !record_walk_exports(env, exports) ||
      !record_seal_exports(env, exports) || !writeback_exports(env, exports)) {
    napi_throw_error(env, "ERR_NAPI", "cannot create the exports");
    return NULL;
  }
  return exports;
}
