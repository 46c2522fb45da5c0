#include "napi_args.h"

#include <math.h>

/* A non-NULL address for empty typed arrays, whose data pointer may be NULL. */
static uint8_t empty_byte;

bool arg_list(napi_env env, napi_callback_info info, size_t count, napi_value *argv, void **data, const char *usage) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, data) != napi_ok || argc < count) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", usage);
    return false;
  }
  return true;
}

bool arg_typed(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length, const char *what) {
  napi_typedarray_type type;
  void *ptr = NULL;
  size_t len = 0;
  /* Fails without throwing (napi_invalid_arg) when value is not a typed array. */
  if (napi_get_typedarray_info(env, value, &type, &len, &ptr, NULL, NULL) != napi_ok || type != want) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
    return false;
  }
  *data = ptr != NULL ? ptr : &empty_byte;
  *length = len;
  return true;
}

bool arg_integer(napi_env env, napi_value value, double lo, double hi, double *out) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "offsets must be numbers");
    return false;
  }
  if (!(d >= lo && d <= hi) || d != floor(d)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "offset out of range");
    return false;
  }
  *out = d;
  return true;
}

bool arg_byte_range(napi_env env, napi_value *argv, uint8_t **data, size_t *start, size_t *end) {
  void *ptr;
  size_t len;
  double s, e;
  if (!arg_typed(env, argv[0], napi_uint8_array, &ptr, &len, "bytes must be a Uint8Array")) return false;
  if (!arg_integer(env, argv[2], 0, (double)len, &e) || !arg_integer(env, argv[1], 0, e, &s)) return false;
  *data = ptr;
  *start = (size_t)s;
  *end = (size_t)e;
  return true;
}

napi_value uint_result(napi_env env, uint32_t v) {
  napi_value result;
  return napi_create_uint32(env, v, &result) == napi_ok ? result : NULL;
}

bool export_function(napi_env env, napi_value exports, const char *name, napi_callback cb, void *data) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, data, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}
