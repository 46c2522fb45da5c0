/* The table through which the ABI-specific companion addon (untracked.cc, built per Node major)
 * hands rotortree_native (N-API only, one build for every Node) its two V8 calls: an ArrayBuffer over
 * mapped memory that V8 does not count as external memory, and that buffer's detach. */
#ifndef ROTORTREE_UNTRACKED_H
#define ROTORTREE_UNTRACKED_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RT_UNTRACKED_MAGIC 0x72747562u /* "rtub" */
#define RT_UNTRACKED_VERSION 1u

typedef struct {
  uint32_t magic;   /* RT_UNTRACKED_MAGIC */
  uint32_t version; /* RT_UNTRACKED_VERSION */
  /* An ArrayBuffer over `data` (no deleter, not counted; only the detach below can detach it), or NULL. */
  napi_value (*make)(void *data, size_t length);
  /* Detaches a buffer made by make(); false if it could not. */
  bool (*detach)(napi_value value);
} rt_untracked_table;

#endif
