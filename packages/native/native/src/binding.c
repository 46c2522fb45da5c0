/*
 * rotortree_native: the file primitives of @rotortree/native, N-API only (one build serves every
 * Node version with N-API 8).
 *
 * Exports { crc32c(bytes, start, end, crc), crc32cTable(...), crcKernel, crcHardware   (crc32c.c)
 *           mapReadOnly, mapFile, unmap, release, useUntracked, untrackedInUse,
 *           pageSize, maxWindow                                                     (mapping.c)
 *           lockExclusive(fd)                                                       (flock.c)
 *           startWriteback(fd) (Linux)                                              (writeback.c) }
 * Every argument is checked before any byte is read; bad arguments throw TypeError / RangeError.
 */
#include "flock.h"
#include "mapping.h"
#include "rotortree/crc32c.h"
#include "rotortree/napi_args.h"
#include "writeback.h"

typedef uint32_t (*crc_fn)(uint32_t, const uint8_t *, size_t);

static napi_value crc_call(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  void *data;
  if (!arg_list(env, info, 4, argv, &data, "expected (bytes, start, end, crc)")) return NULL;
  uint8_t *bytes;
  size_t start, end;
  double crc;
  if (!arg_byte_range(env, argv, &bytes, &start, &end) || !arg_named_integer(env, argv[3], "crc", 0, 4294967295.0, &crc))
    return NULL;
  return uint_result(env, ((crc_fn)data)((uint32_t)crc, bytes + start, end - start));
}

NAPI_MODULE_INIT() {
  if (!export_function(env, exports, "crc32c", crc_call, (void *)crc32c) ||
      !export_function(env, exports, "crc32cTable", crc_call, (void *)crc32c_table) ||
      !export_string(env, exports, "crcKernel", crc32c_kernel()) || napi_set_named_property(env, exports, "crcHardware", bool_result(env, crc32c_hardware())) != napi_ok ||
      !mapping_exports(env, exports) || !flock_exports(env, exports) || !writeback_exports(env, exports)) {
    napi_throw_error(env, "ERR_NAPI", "cannot create the exports");
    return NULL;
  }
  return exports;
}
