/* The CRCs of buffered records, filled in at flush time (sealRecords): see record_seal.c. */
#ifndef ROTORTREE_RECORD_SEAL_H
#define ROTORTREE_RECORD_SEAL_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>

/* Adds sealRecords to `exports`; false if N-API failed. */
bool record_seal_exports(napi_env env, napi_value exports);

#endif
