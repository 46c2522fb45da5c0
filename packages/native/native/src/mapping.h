/* Read-only mmap windows as ArrayBuffers (mapping.c). */
#ifndef ROTORTREE_MAPPING_H
#define ROTORTREE_MAPPING_H
#include "rotortree/napi_args.h"

/* Adds mapReadOnly, mapFile, unmap, release, useUntracked, untrackedInUse, pageSize, maxWindow. */
bool mapping_exports(napi_env env, napi_value exports);

#endif
