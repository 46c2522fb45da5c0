/*
 * N-API binding of the batch BLAKE3 kernel.
 *
 * Exports { levels, best, createKernel(level) }. A kernel object carries its SIMD level as the
 * functions' data pointer, so tests can run every level side by side without global state.
 * The typed arrays' memory is read and written in place; every offset and length is checked
 * here before any byte is touched, and bad arguments throw TypeError / RangeError.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include <stdlib.h>

#include "b3.h"
#include "b3_path.h"
#include "b3_climb.h"

static const b3_level level_ids[B3_LEVELS] = {B3_SCALAR, B3_SSE41, B3_AVX2, B3_AVX512};
static b3_level best_level;

/* A non-NULL address for empty typed arrays, whose data pointer may be NULL. */
static uint8_t empty_byte;

#define CHECK_NAPI(env, call)                                          \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      napi_throw_error((env), "ERR_NAPI", "internal N-API call failed"); \
      return false;                                                    \
    }                                                                  \
  } while (0)

/* Reads a Uint8Array argument. Throws TypeError and returns false otherwise. */
static bool get_bytes(napi_env env, napi_value value, const char *name, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  void *ptr = NULL;
  size_t length = 0;
  /* Fails without throwing (napi_invalid_arg) when value is not a typed array. */
  if (napi_get_typedarray_info(env, value, &type, &length, &ptr, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a Uint8Array", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return false;
  }
  *data = ptr != NULL ? (uint8_t *)ptr : &empty_byte;
  *len = length;
  return true;
}

/* Reads a non-negative safe integer argument. */
static bool get_index(napi_env env, napi_value value, const char *name, size_t *out) {
  double d;
  char msg[96];
  /* Fails without throwing (napi_number_expected) when value is not a number. */
  if (napi_get_value_double(env, value, &d) != napi_ok) {
    snprintf(msg, sizeof msg, "%s must be a number", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return false;
  }
  if (!(d >= 0 && d <= 9007199254740991.0) || d != floor(d)) {
    snprintf(msg, sizeof msg, "%s must be a non-negative safe integer", name);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
    return false;
  }
  *out = (size_t)d;
  return true;
}

static bool range_error(napi_env env, const char *msg) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
  return false;
}

/* True when count items of size bytes fit in len bytes from offset (no overflow). */
static bool fits(size_t len, size_t offset, size_t size, size_t count) {
  if (offset > len) return false;
  return count == 0 || size <= (len - offset) / count;
}

/* hashMany(input, inOffset, msgLen, count, out, outOffset) */
static napi_value hash_many(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok) return NULL;
  if (argc < 6) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "hashMany takes 6 arguments");
    return NULL;
  }
  uint8_t *in, *out;
  size_t in_len, out_len, in_off, msg_len, count, out_off;
  if (!get_bytes(env, argv[0], "input", &in, &in_len) || !get_index(env, argv[1], "inOffset", &in_off) ||
      !get_index(env, argv[2], "msgLen", &msg_len) || !get_index(env, argv[3], "count", &count) ||
      !get_bytes(env, argv[4], "out", &out, &out_len) || !get_index(env, argv[5], "outOffset", &out_off))
    return NULL;
  if (!fits(in_len, in_off, msg_len, count)) {
    range_error(env, "input is too short for count messages of msgLen bytes from inOffset");
    return NULL;
  }
  if (!fits(out_len, out_off, B3_OUT_LEN, count)) {
    range_error(env, "out is too short for count digests from outOffset");
    return NULL;
  }
  if (count > 0) b3_hash_many(*(const b3_level *)data, in + in_off, msg_len, count, out + out_off);
  return NULL;
}

/* hashPath(node, nodeOffset, siblings, counts, levels, out): see Hasher.hashPath. */
static napi_value hash_path(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok) return NULL;
  if (argc < 6) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "hashPath takes 6 arguments");
    return NULL;
  }
  uint8_t *node, *sib, *counts, *out;
  size_t node_len, node_off, sib_len, counts_len, levels, out_len;
  if (!get_bytes(env, argv[0], "node", &node, &node_len) || !get_index(env, argv[1], "nodeOffset", &node_off) ||
      !get_bytes(env, argv[2], "siblings", &sib, &sib_len) || !get_bytes(env, argv[3], "counts", &counts, &counts_len) ||
      !get_index(env, argv[4], "levels", &levels) || !get_bytes(env, argv[5], "out", &out, &out_len))
    return NULL;
  if (!fits(node_len, node_off, B3_OUT_LEN, 1)) {
    range_error(env, "node is too short for 32 bytes from nodeOffset");
    return NULL;
  }
  if (levels > counts_len) {
    range_error(env, "counts is shorter than levels");
    return NULL;
  }
  if (!fits(out_len, 0, B3_OUT_LEN, levels)) {
    range_error(env, "out is too short for levels digests");
    return NULL;
  }
  size_t total = 0;
  for (size_t k = 0; k < levels; k++) total += counts[k];
  if (!fits(sib_len, 0, B3_OUT_LEN, total)) {
    range_error(env, "siblings is too short for the sum of counts");
    return NULL;
  }
  const b3_level level = *(const b3_level *)data;
  /* siblings || node is at most 256 nodes since a count is one byte. */
  uint8_t msg[256 * B3_OUT_LEN];
  const uint8_t *cur = node + node_off;
  size_t sib_off = 0;
  for (size_t k = 0; k < levels; k++) {
    const size_t c = counts[k];
    uint8_t *dst = out + k * B3_OUT_LEN;
    if (c == 0) {
      memmove(dst, cur, B3_OUT_LEN);
    } else {
      const size_t sl = c * B3_OUT_LEN;
      memcpy(msg, sib + sib_off, sl);
      memcpy(msg + sl, cur, B3_OUT_LEN);
      b3_hash_one(level, msg, sl + B3_OUT_LEN, dst);
      sib_off += sl;
    }
    cur = dst;
  }
  return NULL;
}

/* A bound path kernel: the tree's scratch buffers, kept alive by references, and the prefix cache. */
typedef struct {
  b3_path path;
  uint8_t *groups;
  const int32_t *digits;
  napi_ref groups_ref;
  napi_ref digits_ref;
} path_binding;

static void path_binding_free(napi_env env, void *data, void *hint) {
  (void)hint;
  path_binding *b = data;
  if (b->groups_ref != NULL) napi_delete_reference(env, b->groups_ref);
  if (b->digits_ref != NULL) napi_delete_reference(env, b->digits_ref);
  b3_path_free(&b->path);
  free(b);
}

/* True unless the ArrayBuffer behind ref was detached (its memory may then be gone). */
static bool still_attached(napi_env env, napi_ref ref) {
  napi_value buffer;
  bool detached = true;
  if (napi_get_reference_value(env, ref, &buffer) != napi_ok || buffer == NULL) return false;
  return napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && !detached;
}

/* run(levels): see b3_path_run. Every digit that is read is checked first. */
static napi_value path_run(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  void *data;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, &data) != napi_ok) return NULL;
  if (argc < 1) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "the path kernel takes (levels)");
    return NULL;
  }
  path_binding *b = data;
  size_t levels;
  if (!get_index(env, arg, "levels", &levels)) return NULL;
  if (levels > b->path.max_levels) {
    range_error(env, "levels exceeds the bound maxLevels");
    return NULL;
  }
  if (!still_attached(env, b->groups_ref) || !still_attached(env, b->digits_ref)) {
    napi_throw_error(env, "ERR_INVALID_STATE", "a buffer bound to the path kernel was detached");
    return NULL;
  }
  for (size_t k = 0; k <= levels; k++) {
    const int32_t d = b->digits[k];
    if (d < 0 || (size_t)d >= b->path.width) {
      range_error(env, "digits[k] must be in 0..width-1 for k <= levels");
      return NULL;
    }
  }
  b3_path_run(&b->path, b->groups, b->digits, levels);
  return NULL;
}

/* bindPath(groups, width, digits, maxLevels): a path kernel bound to these buffers (see kernel.ts). */
static napi_value bind_path(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok) return NULL;
  if (argc < 4) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "bindPath takes 4 arguments");
    return NULL;
  }
  uint8_t *groups;
  size_t groups_len, width, max_levels;
  if (!get_bytes(env, argv[0], "groups", &groups, &groups_len) || !get_index(env, argv[1], "width", &width)) return NULL;
  napi_typedarray_type type;
  void *digits_ptr = NULL;
  size_t digits_len = 0;
  napi_value groups_buffer, digits_buffer;
  if (napi_get_typedarray_info(env, argv[0], &type, NULL, NULL, &groups_buffer, NULL) != napi_ok) return NULL;
  if (napi_get_typedarray_info(env, argv[2], &type, &digits_len, &digits_ptr, &digits_buffer, NULL) != napi_ok ||
      type != napi_int32_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "digits must be an Int32Array");
    return NULL;
  }
  if (!get_index(env, argv[3], "maxLevels", &max_levels)) return NULL;
  if (width < 1 || width > 256) {
    range_error(env, "width must be 1..256");
    return NULL;
  }
  if (max_levels > 64) {
    range_error(env, "maxLevels must be at most 64");
    return NULL;
  }
  if (!fits(groups_len, 0, width * B3_OUT_LEN, max_levels + 1)) {
    range_error(env, "groups is too short for maxLevels + 1 groups of width nodes");
    return NULL;
  }
  if (digits_len < max_levels + 1) {
    range_error(env, "digits is shorter than maxLevels + 1");
    return NULL;
  }
  path_binding *b = calloc(1, sizeof *b);
  if (b == NULL || !b3_path_init(&b->path, *(const b3_level *)data, width, max_levels)) {
    if (b != NULL) b3_path_free(&b->path);
    free(b);
    napi_throw_error(env, "ERR_MEMORY", "out of memory");
    return NULL;
  }
  b->groups = groups;
  b->digits = digits_ptr;
  napi_value fn;
  /* References to the ArrayBuffers: they keep the memory alive, and tell when it was detached. */
  if (napi_create_reference(env, groups_buffer, 1, &b->groups_ref) != napi_ok ||
      napi_create_reference(env, digits_buffer, 1, &b->digits_ref) != napi_ok ||
      napi_create_function(env, "pathKernel", NAPI_AUTO_LENGTH, path_run, b, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, b, path_binding_free, NULL, NULL) != napi_ok) {
    path_binding_free(env, b, NULL);
    napi_throw_error(env, "ERR_NAPI", "internal N-API call failed");
    return NULL;
  }
  return fn;
}

/* Most levels of one climbed path: the stride of the bound per-path arrays (core's CLIMB_STRIDE). */
#define CLIMB_STRIDE 64
/* Distinct ArrayBuffers a climb kernel can be bound to (one per bound array at most). */
#define CLIMB_BUFFERS 5

/* A bound climb kernel: the caller's scratch arrays, kept alive by references. */
typedef struct {
  b3_level level;
  const double *offsets;
  const uint8_t *levels;
  const uint8_t *positions;
  const uint8_t *counts;
  uint8_t *out;
  size_t capacity;
  napi_ref buffers[CLIMB_BUFFERS];
  size_t nbuffers;
} climb_binding;

static void climb_binding_free(napi_env env, void *data, void *hint) {
  (void)hint;
  climb_binding *b = data;
  for (size_t i = 0; i < b->nbuffers; i++) napi_delete_reference(env, b->buffers[i]);
  free(b);
}

/* climb(input, count): the roots of paths 0 .. count-1 (see Hasher.bindClimb). Every path is checked first. */
static napi_value climb_run(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok) return NULL;
  if (argc < 2) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "the climb kernel takes (input, count)");
    return NULL;
  }
  climb_binding *b = data;
  uint8_t *input;
  size_t input_len, count;
  if (!get_bytes(env, argv[0], "input", &input, &input_len) || !get_index(env, argv[1], "count", &count)) return NULL;
  if (count > b->capacity) {
    range_error(env, "count exceeds the bound paths");
    return NULL;
  }
  for (size_t i = 0; i < b->nbuffers; i++) {
    if (!still_attached(env, b->buffers[i])) {
      napi_throw_error(env, "ERR_INVALID_STATE", "a buffer bound to the climb kernel was detached");
      return NULL;
    }
  }
  b3_climb_path paths[64];
  for (size_t first = 0; first < count; first += 64) {
    const size_t m = count - first < 64 ? count - first : 64;
    for (size_t j = 0; j < m; j++) {
      const size_t i = first + j;
      const double at = b->offsets[i];
      const size_t levels = b->levels[i];
      if (!(at >= 0 && at <= 9007199254740991.0) || at != floor(at) || levels > CLIMB_STRIDE) {
        range_error(env, "a path's offset or level count is out of range");
        return NULL;
      }
      const uint8_t *positions = b->positions + i * CLIMB_STRIDE;
      const uint8_t *counts = b->counts + i * CLIMB_STRIDE;
      size_t siblings = 0;
      for (size_t k = 0; k < levels; k++) {
        if (positions[k] > counts[k]) {
          range_error(env, "a path's position is past its sibling count");
          return NULL;
        }
        siblings += counts[k];
      }
      if (!fits(input_len, (size_t)at, B3_OUT_LEN, siblings + 1)) {
        range_error(env, "a path does not fit in the input");
        return NULL;
      }
      paths[j].node = input + (size_t)at;
      paths[j].positions = positions;
      paths[j].counts = counts;
      paths[j].levels = levels;
    }
    b3_climb_many(b->level, paths, m, b->out + first * B3_OUT_LEN);
  }
  return NULL;
}

/* Reads the typed array `key` of obj: its data, its length in elements, its ArrayBuffer. */
static bool get_field(napi_env env, napi_value obj, const char *key, napi_typedarray_type want, void **ptr, size_t *len,
                      napi_value *buffer) {
  napi_value value;
  napi_typedarray_type type;
  char msg[96];
  if (napi_get_named_property(env, obj, key, &value) != napi_ok ||
      napi_get_typedarray_info(env, value, &type, len, ptr, buffer, NULL) != napi_ok || type != want) {
    snprintf(msg, sizeof msg, "paths.%s must be a %s", key, want == napi_float64_array ? "Float64Array" : "Uint8Array");
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return false;
  }
  if (*ptr == NULL) *ptr = &empty_byte;
  return true;
}

/* bindClimb(paths): a climb kernel bound to paths' arrays (see Hasher.bindClimb). */
static napi_value bind_climb(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value obj;
  void *data;
  if (napi_get_cb_info(env, info, &argc, &obj, NULL, &data) != napi_ok) return NULL;
  napi_valuetype t = napi_undefined;
  if (argc < 1 || napi_typeof(env, obj, &t) != napi_ok || t != napi_object) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "bindClimb takes the paths object");
    return NULL;
  }
  void *offsets, *levels, *positions, *counts, *out;
  size_t offsets_len, levels_len, positions_len, counts_len, out_len;
  napi_value buffers[CLIMB_BUFFERS];
  if (!get_field(env, obj, "offsets", napi_float64_array, &offsets, &offsets_len, &buffers[0]) ||
      !get_field(env, obj, "levels", napi_uint8_array, &levels, &levels_len, &buffers[1]) ||
      !get_field(env, obj, "positions", napi_uint8_array, &positions, &positions_len, &buffers[2]) ||
      !get_field(env, obj, "counts", napi_uint8_array, &counts, &counts_len, &buffers[3]) ||
      !get_field(env, obj, "out", napi_uint8_array, &out, &out_len, &buffers[4]))
    return NULL;
  const size_t capacity = levels_len;
  if (offsets_len < capacity || positions_len / CLIMB_STRIDE < capacity || counts_len / CLIMB_STRIDE < capacity ||
      out_len / B3_OUT_LEN < capacity) {
    range_error(env, "paths' arrays are too short for paths.levels.length paths");
    return NULL;
  }
  climb_binding *b = calloc(1, sizeof *b);
  if (b == NULL) {
    napi_throw_error(env, "ERR_MEMORY", "out of memory");
    return NULL;
  }
  b->level = *(const b3_level *)data;
  b->offsets = offsets;
  b->levels = levels;
  b->positions = positions;
  b->counts = counts;
  b->out = out;
  b->capacity = capacity;
  /* One reference per distinct ArrayBuffer: they keep the memory alive and tell when it was detached. */
  for (size_t i = 0; i < CLIMB_BUFFERS; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++) {
      if (napi_strict_equals(env, buffers[i], buffers[j], &seen) != napi_ok) seen = false;
    }
    if (seen) continue;
    if (napi_create_reference(env, buffers[i], 1, &b->buffers[b->nbuffers]) != napi_ok) {
      climb_binding_free(env, b, NULL);
      napi_throw_error(env, "ERR_NAPI", "internal N-API call failed");
      return NULL;
    }
    b->nbuffers++;
  }
  napi_value fn;
  if (napi_create_function(env, "climbKernel", NAPI_AUTO_LENGTH, climb_run, b, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, b, climb_binding_free, NULL, NULL) != napi_ok) {
    climb_binding_free(env, b, NULL);
    napi_throw_error(env, "ERR_NAPI", "internal N-API call failed");
    return NULL;
  }
  return fn;
}

static bool set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value s;
  CHECK_NAPI(env, napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &s));
  CHECK_NAPI(env, napi_set_named_property(env, obj, key, s));
  return true;
}

static bool set_function(napi_env env, napi_value obj, const char *key, napi_callback cb, void *data) {
  napi_value fn;
  CHECK_NAPI(env, napi_create_function(env, key, NAPI_AUTO_LENGTH, cb, data, &fn));
  CHECK_NAPI(env, napi_set_named_property(env, obj, key, fn));
  return true;
}

/* createKernel(level): a kernel object bound to one supported SIMD level. */
static napi_value create_kernel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok) return NULL;
  char name[16] = {0};
  size_t name_len = 0;
  napi_valuetype t = napi_undefined;
  if (argc >= 1 && napi_typeof(env, arg, &t) != napi_ok) return NULL;
  if (t != napi_string) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "level must be a string");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, arg, name, sizeof name, &name_len) != napi_ok) return NULL;
  int found = -1;
  for (int lv = 0; lv <= (int)best_level; lv++)
    if (strcmp(name, b3_level_name((b3_level)lv)) == 0) found = lv;
  if (found < 0) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "this SIMD level is unknown or not supported by this CPU");
    return NULL;
  }
  napi_value obj;
  void *data = (void *)&level_ids[found];
  if (napi_create_object(env, &obj) != napi_ok || !set_string(env, obj, "backend", "native") ||
      !set_string(env, obj, "simd", b3_level_name((b3_level)found)) ||
      !set_function(env, obj, "hashMany", hash_many, data) || !set_function(env, obj, "hashPath", hash_path, data) ||
      !set_function(env, obj, "bindPath", bind_path, data) || !set_function(env, obj, "bindClimb", bind_climb, data))
    return NULL;
  return obj;
}

NAPI_MODULE_INIT() {
  best_level = b3_best_level();
  napi_value levels;
  if (napi_create_array_with_length(env, (size_t)best_level + 1, &levels) != napi_ok) return NULL;
  for (int lv = 0; lv <= (int)best_level; lv++) {
    napi_value s;
    if (napi_create_string_utf8(env, b3_level_name((b3_level)lv), NAPI_AUTO_LENGTH, &s) != napi_ok ||
        napi_set_element(env, levels, (uint32_t)lv, s) != napi_ok)
      return NULL;
  }
  if (napi_set_named_property(env, exports, "levels", levels) != napi_ok ||
      !set_string(env, exports, "best", b3_level_name(best_level)) ||
      !set_function(env, exports, "createKernel", create_kernel, NULL))
    return NULL;
  return exports;
}
