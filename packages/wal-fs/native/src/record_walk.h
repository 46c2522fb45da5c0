/* The record walks of recovery (scanRun, gatherRun): see record_walk.c. */
#ifndef ROTORTREE_RECORD_WALK_H
#define ROTORTREE_RECORD_WALK_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>

/* Adds scanRun and gatherRun to `exports`; false if N-API failed. */
bool record_walk_exports(napi_env env, napi_value exports);

#endif
