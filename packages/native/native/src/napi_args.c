#include "rotortree/napi_args.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

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

bool arg_named_integer(napi_env env, napi_value value, const char *name, double lo, double hi, double *out) {
  double d;
  char msg[128];
  if (napi_get_value_double(env, value, &d) != napi_ok) {
    snprintf(msg, sizeof msg, "%s must be a number", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return false;
  }
  if (!(d >= lo && d <= hi) || d != floor(d)) {
    snprintf(msg, sizeof msg, "%s must be an integer in %.0f..%.0f", name, lo, hi);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
    return false;
  }
  *out = d;
  return true;
}

bool arg_integer(napi_env env, napi_value value, double lo, double hi, double *out) {
  return arg_named_integer(env, value, "offset", lo, hi, out);
}

bool arg_fd(napi_env env, napi_value value, int *fd) {
  double d;
  if (!arg_named_integer(env, value, "fd", 0, 2147483647.0, &d)) return false;
  *fd = (int)d;
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

napi_value bool_result(napi_env env, bool v) {
  napi_value result;
  return napi_get_boolean(env, v, &result) == napi_ok ? result : NULL;
}

napi_value errno_error(napi_env env, const char *syscall, int err) {
  char text[160];
  snprintf(text, sizeof text, "%s: %s (%s)", uv_err_name(-err), strerror(err), syscall);
  napi_value code, message, call, error;
  if (napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &call) != napi_ok ||
      napi_create_error(env, code, message, &error) != napi_ok)
    return NULL;
  napi_set_named_property(env, error, "syscall", call);
  return error;
}

napi_value throw_errno(napi_env env, const char *syscall, int err) {
  napi_value error = errno_error(env, syscall, err);
  if (error != NULL) napi_throw(env, error);
  else napi_throw_error(env, "EIO", syscall);
  return NULL;
}

bool export_function(napi_env env, napi_value exports, const char *name, napi_callback cb, void *data) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, data, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

bool export_number(napi_env env, napi_value exports, const char *name, double value) {
  napi_value num;
  return napi_create_double(env, value, &num) == napi_ok && napi_set_named_property(env, exports, name, num) == napi_ok;
}

bool export_string(napi_env env, napi_value exports, const char *name, const char *value) {
  napi_value str;
  return napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &str) == napi_ok &&
         napi_set_named_property(env, exports, name, str) == napi_ok;
}
