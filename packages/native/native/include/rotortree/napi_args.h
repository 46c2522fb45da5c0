/* The N-API helpers every rotortree addon uses: argument checks that throw before any byte is read,
 * results, errors with the errno name as `code`, and exports. */
#ifndef ROTORTREE_NAPI_ARGS_H
#define ROTORTREE_NAPI_ARGS_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest integer a JS number holds exactly. */
#define MAX_SAFE 9007199254740991.0

/*
 * The call's first `count` arguments into argv (and its data pointer, if `data` is not NULL);
 * TypeError `usage` when fewer are given.
 */
bool arg_list(napi_env env, napi_callback_info info, size_t count, napi_value *argv, void **data, const char *usage);
/* A typed array of type `want` (TypeError `what` otherwise); an empty one gets a non-NULL pointer. */
bool arg_typed(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length, const char *what);
/* An integer in [lo, hi] named `name` in the error (TypeError for a non-number, RangeError otherwise). */
bool arg_named_integer(napi_env env, napi_value value, const char *name, double lo, double hi, double *out);
/* arg_named_integer for an offset. */
bool arg_integer(napi_env env, napi_value value, double lo, double hi, double *out);
/* A file descriptor: an integer in 0..2^31-1. */
bool arg_fd(napi_env env, napi_value value, int *fd);
/* argv[0..2] = (bytes: Uint8Array, start, end) with start <= end <= bytes.length. */
bool arg_byte_range(napi_env env, napi_value *argv, uint8_t **data, size_t *start, size_t *end);
/* A JS number for `v` (NULL if N-API failed). */
napi_value uint_result(napi_env env, uint32_t v);
/* A JS boolean (NULL if N-API failed). */
napi_value bool_result(napi_env env, bool v);
/* An Error with `code` = the errno name (e.g. "EBADF") and `syscall`, as Node's own. */
napi_value errno_error(napi_env env, const char *syscall, int err);
/* Throws errno_error(); returns NULL for the callback to return. */
napi_value throw_errno(napi_env env, const char *syscall, int err);
/* exports[name] = a function calling `cb` with `data`; false if N-API failed. */
bool export_function(napi_env env, napi_value exports, const char *name, napi_callback cb, void *data);
/* exports[name] = a number; false if N-API failed. */
bool export_number(napi_env env, napi_value exports, const char *name, double value);
/* exports[name] = a string; false if N-API failed. */
bool export_string(napi_env env, napi_value exports, const char *name, const char *value);

#endif
