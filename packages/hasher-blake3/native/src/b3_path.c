/* The bound path kernel (see b3_path.h). */
#include "b3_path.h"

#include <stdlib.h>
#include <string.h>

int b3_path_init(b3_path *p, b3_level level, size_t width, size_t max_levels) {
  p->level = level;
  p->compress = b3_compress_for(level);
  p->width = width;
  p->max_levels = max_levels;
  /* Every block of a message but the last holds siblings only; past one chunk nothing is cached. */
  size_t blocks = (width - 1) / 2;
  if (blocks > B3_CHUNK_LEN / B3_BLOCK_LEN - 1) blocks = B3_CHUNK_LEN / B3_BLOCK_LEN - 1;
  p->prefix_max = blocks * B3_BLOCK_LEN;
  const size_t n = max_levels > 0 ? max_levels : 1;
  p->cache_cv = calloc(n * 8, sizeof(uint32_t));
  p->cache_blocks = calloc(n, sizeof(size_t));
  p->cache_bytes = p->prefix_max > 0 ? calloc(n, p->prefix_max) : NULL;
  return p->cache_cv != NULL && p->cache_blocks != NULL && (p->prefix_max == 0 || p->cache_bytes != NULL);
}

void b3_path_free(b3_path *p) {
  free(p->cache_cv);
  free(p->cache_blocks);
  free(p->cache_bytes);
  p->cache_cv = NULL;
  p->cache_blocks = NULL;
  p->cache_bytes = NULL;
}

static inline void store_cv(uint8_t out[32], const uint32_t cv[8]) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(out, cv, 32);
  return;
#endif
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)cv[i];
    out[4 * i + 1] = (uint8_t)(cv[i] >> 8);
    out[4 * i + 2] = (uint8_t)(cv[i] >> 16);
    out[4 * i + 3] = (uint8_t)(cv[i] >> 24);
  }
}

/*
 * The chaining value after the blocks of msg (len = (d + 1) * 32 <= 1024 bytes) before its last one,
 * which hold siblings only: level k's cached value when the cache holds those bytes, else computed
 * (and cached).
 */
static void prefix_cv(b3_path *p, size_t k, const uint8_t *msg, size_t len, uint32_t cv[8]) {
  const size_t prefix = (len - 1) / B3_BLOCK_LEN; /* blocks before the last one */
  size_t start = 0;
  const size_t cached = p->cache_blocks[k];
  uint8_t *bytes = p->cache_bytes + k * p->prefix_max;
  if (cached > 0 && cached <= prefix && memcmp(bytes, msg, cached * B3_BLOCK_LEN) == 0) {
    memcpy(cv, p->cache_cv + 8 * k, 8 * sizeof *cv);
    start = cached;
  } else {
    memcpy(cv, b3_iv, 8 * sizeof *cv);
  }
  for (size_t b = start; b < prefix; b++)
    p->compress(cv, msg + b * B3_BLOCK_LEN, B3_BLOCK_LEN, 0, b == 0 ? B3_CHUNK_START : 0);
  if (prefix > start) {
    memcpy(bytes + start * B3_BLOCK_LEN, msg + start * B3_BLOCK_LEN, (prefix - start) * B3_BLOCK_LEN);
    memcpy(p->cache_cv + 8 * k, cv, 8 * sizeof *cv);
    p->cache_blocks[k] = prefix;
  }
}

/* BLAKE3 of msg (as for prefix_cv) into out, from the chaining value of its prefix: the last block. */
static void finish(b3_path *p, uint32_t cv[8], const uint8_t *msg, size_t len, uint8_t out[32]) {
  const size_t prefix = (len - 1) / B3_BLOCK_LEN;
  const size_t last_len = len - prefix * B3_BLOCK_LEN;
  const uint8_t *last = msg + prefix * B3_BLOCK_LEN;
  const uint32_t start_flag = prefix == 0 ? B3_CHUNK_START : 0;
  uint8_t pad[B3_BLOCK_LEN];
  if (last_len < B3_BLOCK_LEN) { /* last_len is 32: one node */
    memcpy(pad, last, B3_OUT_LEN);
    memset(pad + B3_OUT_LEN, 0, B3_BLOCK_LEN - B3_OUT_LEN);
    last = pad;
  }
  p->compress(cv, last, (uint32_t)last_len, 0, start_flag | B3_CHUNK_END | B3_ROOT);
  store_cv(out, cv);
}

/*
 * The levels' prefixes (sibling-only blocks) do not depend on the node rising from below, so they are
 * brought up to date first, all levels in one loop whose iterations are independent (the CPU overlaps
 * them); the chain from the leaf up then compresses only each level's last block.
 */
void b3_path_run(b3_path *p, uint8_t *groups, const int32_t *digits, size_t levels) {
  const size_t stride = p->width * B3_OUT_LEN;
  uint32_t cvs[B3_PATH_MAX_LEVELS][8];
  const int cached_path = p->prefix_max > 0;
  if (cached_path) {
    for (size_t k = 0; k < levels; k++) {
      const size_t len = ((size_t)digits[k] + 1) * B3_OUT_LEN;
      if (digits[k] != 0 && len <= B3_CHUNK_LEN) prefix_cv(p, k, groups + k * stride, len, cvs[k]);
    }
  }
  const uint8_t *node = groups + (size_t)digits[0] * B3_OUT_LEN;
  for (size_t k = 0; k < levels; k++) {
    const size_t d = (size_t)digits[k];
    uint8_t *group = groups + k * stride;
    uint8_t *up = groups + (k + 1) * stride + (size_t)digits[k + 1] * B3_OUT_LEN;
    const size_t len = (d + 1) * B3_OUT_LEN;
    if (d == 0) {
      memcpy(up, node, B3_OUT_LEN);
    } else if (len <= B3_CHUNK_LEN && cached_path) {
      finish(p, cvs[k], group, len, up);
    } else {
      b3_hash_one(p->level, group, len, up);
    }
    node = up;
  }
}
