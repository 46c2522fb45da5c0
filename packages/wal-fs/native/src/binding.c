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

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "crc32c.h"
#include "record_seal.h"
#include "record_walk.h"
#include "writeback.h"

#ifndef _WIN32
#include <pthread.h>
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
#endif

/* The record layout of src/format.ts (keep in step). */
#define RECORD_HEADER 20
#define RECORD_OVERHEAD 24
#define MAX_PAYLOAD (1u << 30)

static uint8_t empty_byte;

static bool get_bytes(napi_env env, napi_value value, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  void *ptr = NULL;
  size_t length = 0;
  if (napi_get_typedarray_info(env, value, &type, &length, &ptr, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "bytes must be a Uint8Array");
    return false;
  }
  *data = ptr != NULL ? (uint8_t *)ptr : &empty_byte;
  *len = length;
  return true;
}

/* A safe integer in [0, max]. */
static bool get_index(napi_env env, napi_value value, double max, double *out) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "offsets must be numbers");
    return false;
  }
  if (!(d >= 0 && d <= max) || d != floor(d)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "offset out of range");
    return false;
  }
  *out = d;
  return true;
}

/* Reads (bytes, start, end) with start <= end <= bytes.length. */
static bool get_range(napi_env env, napi_value *argv, uint8_t **data, size_t *start, size_t *end) {
  size_t len;
  double s, e;
  if (!get_bytes(env, argv[0], data, &len)) return false;
  if (!get_index(env, argv[2], (double)len, &e) || !get_index(env, argv[1], e, &s)) return false;
  *start = (size_t)s;
  *end = (size_t)e;
  return true;
}

typedef uint32_t (*crc_fn)(uint32_t, const uint8_t *, size_t);

static napi_value crc_call(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok || argc < 4) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected (bytes, start, end, crc)");
    return NULL;
  }
  uint8_t *bytes;
  size_t start, end;
  double crc;
  if (!get_range(env, argv, &bytes, &start, &end) || !get_index(env, argv[3], 4294967295.0, &crc)) return NULL;
  uint32_t out = ((crc_fn)data)((uint32_t)crc, bytes + start, end - start);
  napi_value result;
  napi_create_uint32(env, out, &result);
  return result;
}

static uint32_t read_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/*
 * scanValid(file, start, end, baseSeq): the offset just past the longest run of valid records
 * from `start` whose seqs are baseSeq+1, baseSeq+2, ... A record is valid as in
 * validRecordLength() of format.ts: plausible len, inside `end`, right record CRC.
 */
static napi_value scan_valid(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected (file, start, end, baseSeq)");
    return NULL;
  }
  uint8_t *file;
  size_t pos, end;
  double base;
  if (!get_range(env, argv, &file, &pos, &end) || !get_index(env, argv[3], 9007199254740991.0, &base)) return NULL;
  uint64_t seq = (uint64_t)base;
  while (end - pos >= RECORD_OVERHEAD) {
    uint32_t len = read_u32(file + pos);
    if (len == 0 || (len & 31) != 0 || len > MAX_PAYLOAD || len > end - pos - RECORD_OVERHEAD) break;
    size_t crc_at = pos + RECORD_HEADER + len;
    if (read_u32(file + crc_at) != crc32c(0, file + pos, crc_at - pos)) break;
    uint64_t got = (uint64_t)read_u32(file + pos + 4) | ((uint64_t)read_u32(file + pos + 8) << 32);
    if (got != seq + 1) break;
    seq = got;
    pos = crc_at + 4;
  }
  napi_value result;
  napi_create_double(env, (double)pos, &result);
  return result;
}

static bool export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb, void *data) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, data, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
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
      !export_fn(env, exports, "crc32c", crc_call, (void *)crc32c) ||
      !export_fn(env, exports, "crc32cTable", crc_call, (void *)crc32c_table) ||
      !export_fn(env, exports, "scanValid", scan_valid, NULL) || !record_walk_exports(env, exports) ||
      !record_seal_exports(env, exports) || !writeback_exports(env, exports)) {
    napi_throw_error(env, "ERR_NAPI", "cannot create the exports");
    return NULL;
  }
  return exports;
}
