/* The climb kernel (see b3_climb.h). */
#include "b3_climb.h"

#include <string.h>

/* Paths climbed side by side: one message per SIMD lane at each level (16 = AVX-512's width). */
#define SIDE 16
/* Most levels of a path (core's CLIMB_STRIDE; the binding checks it). */
#define CLIMB_MAX_LEVELS 64
/* Messages of at most one chunk go through the lanes; longer ones (n > 32) are hashed one by one. */
#define LANE_MSG_MAX B3_CHUNK_LEN

/* Lays siblings[0 .. p) || node || siblings[p .. c) at msg. */
static void lay_group(uint8_t *msg, const uint8_t *siblings, size_t p, size_t c, const uint8_t node[32]) {
  memcpy(msg, siblings, p * B3_OUT_LEN);
  memcpy(msg + p * B3_OUT_LEN, node, B3_OUT_LEN);
  memcpy(msg + (p + 1) * B3_OUT_LEN, siblings + p * B3_OUT_LEN, (c - p) * B3_OUT_LEN);
}

static inline void store_cv(uint8_t out[32], const uint32_t cv[8]) {
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)cv[i];
    out[4 * i + 1] = (uint8_t)(cv[i] >> 8);
    out[4 * i + 2] = (uint8_t)(cv[i] >> 16);
    out[4 * i + 3] = (uint8_t)(cv[i] >> 24);
  }
}

/*
 * One path alone. A level's blocks that lie wholly before the rising node hold siblings only: they
 * do not depend on the level below, so they are compressed first, all levels in one loop whose
 * iterations are independent (the CPU overlaps them); then the chain compresses, per level, only
 * the blocks from the node on. Groups longer than one chunk (n > 32) are hashed whole.
 */
static void climb_one(b3_level level, const b3_climb_path *path, uint8_t out[32]) {
  const b3_compress_fn compress = b3_compress_for(level);
  const size_t levels = path->levels;
  uint32_t prefix_cv[CLIMB_MAX_LEVELS][8];
  size_t prefix_blocks[CLIMB_MAX_LEVELS];
  const uint8_t *sib = path->node + B3_OUT_LEN;
  for (size_t k = 0; k < levels; k++) {
    const size_t c = path->counts[k];
    const size_t blocks = (c + 1) * B3_OUT_LEN <= B3_CHUNK_LEN ? path->positions[k] * B3_OUT_LEN / B3_BLOCK_LEN : 0;
    prefix_blocks[k] = blocks;
    memcpy(prefix_cv[k], b3_iv, sizeof prefix_cv[k]);
    for (size_t b = 0; b < blocks; b++) compress(prefix_cv[k], sib + b * B3_BLOCK_LEN, B3_BLOCK_LEN, 0, b == 0 ? B3_CHUNK_START : 0);
    sib += c * B3_OUT_LEN;
  }
  uint8_t msg[256 * B3_OUT_LEN];
  uint8_t cur[B3_OUT_LEN];
  memcpy(cur, path->node, B3_OUT_LEN);
  sib = path->node + B3_OUT_LEN;
  for (size_t k = 0; k < levels; k++) {
    const size_t c = path->counts[k];
    if (c == 0) continue;
    const size_t p = path->positions[k];
    const size_t len = (c + 1) * B3_OUT_LEN;
    if (len > B3_CHUNK_LEN) {
      lay_group(msg, sib, p, c, cur);
      b3_hash_one(level, msg, len, cur);
    } else {
      /* The message from the first block not yet compressed: siblings, the node, siblings. */
      const size_t done = prefix_blocks[k] * (B3_BLOCK_LEN / B3_OUT_LEN); /* nodes covered by the prefix */
      lay_group(msg, sib + done * B3_OUT_LEN, p - done, c - done, cur);
      const size_t rest = len - done * B3_OUT_LEN;
      uint32_t *cv = prefix_cv[k];
      size_t b = 0;
      for (; (b + 1) * B3_BLOCK_LEN < rest; b++)
        compress(cv, msg + b * B3_BLOCK_LEN, B3_BLOCK_LEN, 0, done == 0 && b == 0 ? B3_CHUNK_START : 0);
      const size_t last_len = rest - b * B3_BLOCK_LEN;
      if (last_len < B3_BLOCK_LEN) memset(msg + b * B3_BLOCK_LEN + last_len, 0, B3_BLOCK_LEN - last_len);
      compress(cv, msg + b * B3_BLOCK_LEN, (uint32_t)last_len, 0,
               (done == 0 && b == 0 ? B3_CHUNK_START : 0) | B3_CHUNK_END | B3_ROOT);
      store_cv(cur, cv);
    }
    sib += c * B3_OUT_LEN;
  }
  memcpy(out, cur, B3_OUT_LEN);
}

/*
 * Up to SIDE paths level by level: at each level the groups of equal size (all of them, but at a
 * tree's right edge) are hashed in one b3_hash_many call, one message per lane.
 */
static void climb_side(b3_level level, const b3_climb_path *paths, size_t m, uint8_t *out) {
  uint8_t cur[SIDE][B3_OUT_LEN];
  const uint8_t *sib[SIDE];
  size_t depth = 0;
  for (size_t l = 0; l < m; l++) {
    memcpy(cur[l], paths[l].node, B3_OUT_LEN);
    sib[l] = paths[l].node + B3_OUT_LEN;
    if (paths[l].levels > depth) depth = paths[l].levels;
  }
  uint8_t msgs[SIDE * LANE_MSG_MAX];
  uint8_t roots[SIDE * B3_OUT_LEN];
  size_t lane_of[SIDE];
  for (size_t k = 0; k < depth; k++) {
    /* pending[l]: lane l still has a hash to do at this level. */
    int pending[SIDE];
    for (size_t l = 0; l < m; l++) pending[l] = k < paths[l].levels && paths[l].counts[k] > 0;
    for (size_t first = 0; first < m; first++) {
      if (!pending[first]) continue;
      const size_t c = paths[first].counts[k];
      const size_t len = (c + 1) * B3_OUT_LEN;
      if (len > LANE_MSG_MAX) {
        pending[first] = 0;
        lay_group(msgs, sib[first], paths[first].positions[k], c, cur[first]);
        b3_hash_one(level, msgs, len, cur[first]);
        sib[first] += c * B3_OUT_LEN;
        continue;
      }
      size_t j = 0;
      for (size_t l = first; l < m; l++) {
        if (!pending[l] || paths[l].counts[k] != c) continue;
        pending[l] = 0;
        lay_group(msgs + j * len, sib[l], paths[l].positions[k], c, cur[l]);
        sib[l] += c * B3_OUT_LEN;
        lane_of[j++] = l;
      }
      b3_hash_many(level, msgs, len, j, roots);
      for (size_t i = 0; i < j; i++) memcpy(cur[lane_of[i]], roots + i * B3_OUT_LEN, B3_OUT_LEN);
    }
  }
  for (size_t l = 0; l < m; l++) memcpy(out + l * B3_OUT_LEN, cur[l], B3_OUT_LEN);
}

void b3_climb_many(b3_level level, const b3_climb_path *paths, size_t count, uint8_t *out) {
  if (count == 1 || level == B3_SCALAR) {
    for (size_t i = 0; i < count; i++) climb_one(level, &paths[i], out + i * B3_OUT_LEN);
    return;
  }
  for (size_t i = 0; i < count; i += SIDE) {
    const size_t m = count - i < SIDE ? count - i : SIDE;
    climb_side(level, paths + i, m, out + i * B3_OUT_LEN);
  }
}
