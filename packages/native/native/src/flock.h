/* The exclusive, non-blocking flock (flock.c). */
#ifndef ROTORTREE_FLOCK_H
#define ROTORTREE_FLOCK_H
#include "rotortree/napi_args.h"

/* Adds lockExclusive. */
bool flock_exports(napi_env env, napi_value exports);

#endif
