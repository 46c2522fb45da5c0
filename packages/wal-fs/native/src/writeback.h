/* startWriteback(fd): start the write-out of a file's dirty pages on the libuv pool (Linux only). */
#ifndef ROTORTREE_WAL_WRITEBACK_H
#define ROTORTREE_WAL_WRITEBACK_H
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>

/* Adds `startWriteback` to exports where the platform has sync_file_range; true unless N-API failed. */
bool writeback_exports(napi_env env, napi_value exports);

#endif
