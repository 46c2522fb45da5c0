/* startWriteback(fd): start the write-out of a file's dirty pages on the libuv pool (writeback.c). */
#ifndef ROTORTREE_WRITEBACK_H
#define ROTORTREE_WRITEBACK_H
#include "rotortree/napi_args.h"

/* Adds `startWriteback` to exports where the platform has sync_file_range; true unless N-API failed. */
bool writeback_exports(napi_env env, napi_value exports);

#endif
