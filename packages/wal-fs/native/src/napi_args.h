/* Argument checks and exports shared by the addon's functions: bad arguments throw before any byte is read. */
#ifndef ROTORTREE_NAPI_ARGS_H
#define ROTORTREE_NAPI_ARGS_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The call's first `count` arguments into argv (and its data pointer, if `data` is not NULL);
 * TypeError `usage` when fewer are given.
 */
bool arg_list(napi_env env, napi_callback_info info, size_t count, napi_value *argv, void **data, const char *usage);
/* A typed array of type `want` (TypeError `what` otherwise); an empty one gets a non-NULL pointer. */
bool arg_typed(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length, const char *what);
/* An integer in [lo, hi] (TypeError for a non-number, RangeError otherwise). */
bool arg_integer(napi_env env, napi_value value, double lo, double hi, double *out);
/* argv[0..2] = (bytes: Uint8Array, start, end) with start <= end <= bytes.length. */
bool arg_byte_range(napi_env env, napi_value *argv, uint8_t **data, size_t *start, size_t *end);
/* A JS number for `v` (NULL if N-API failed). */
napi_value uint_result(napi_env env, uint32_t v);
/* exports[name] = a function calling `cb` with `data`; false if N-API failed. */
bool export_function(napi_env env, napi_value exports, const char *name, napi_callback cb, void *data);

#endif
