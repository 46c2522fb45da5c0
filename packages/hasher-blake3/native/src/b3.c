/*
 * Portable BLAKE3 core (one lane), level dispatch, and the chunk tree.
 * Written from the BLAKE3 specification (2020); little-endian words throughout.
 */
#include "b3.h"

#include <string.h>

const uint32_t b3_iv[8] = {0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
                           0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u};

static inline uint32_t load_le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void store_le32(uint8_t *p, uint32_t x) {
  p[0] = (uint8_t)x;
  p[1] = (uint8_t)(x >> 8);
  p[2] = (uint8_t)(x >> 16);
  p[3] = (uint8_t)(x >> 24);
}

#define ADD(a, b) ((uint32_t)((a) + (b)))
#define XOR(a, b) ((a) ^ (b))
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define ROR16(x) ROR(x, 16)
#define ROR12(x) ROR(x, 12)
#define ROR8(x) ROR(x, 8)
#define ROR7(x) ROR(x, 7)
#include "b3_rounds.h"

/* One compression; cv becomes the first half of the output (the next chaining value). */
void b3_compress_portable(uint32_t cv[8], const uint8_t block[64], uint32_t block_len, uint64_t counter,
                          uint32_t flags) {
  uint32_t m[16];
  for (int i = 0; i < 16; i++) m[i] = load_le32(block + 4 * i);
  uint32_t v[16] = {cv[0],     cv[1],     cv[2],     cv[3],     cv[4],     cv[5],
                    cv[6],     cv[7],     b3_iv[0],  b3_iv[1],  b3_iv[2],  b3_iv[3],
                    (uint32_t)counter, (uint32_t)(counter >> 32), block_len, flags};
  B3_ROUNDS
  for (int i = 0; i < 8; i++) cv[i] = v[i] ^ v[i + 8];
}

#undef ADD
#undef XOR
#undef ROR
#undef ROR16
#undef ROR12
#undef ROR8
#undef ROR7

void b3_lanes_scalar(const uint8_t *const *inputs, size_t nblocks, size_t last_len, uint64_t counter,
                     unsigned counter_step, uint8_t flags_start, uint8_t flags_end, uint8_t *out) {
  (void)counter_step; /* one lane */
  const uint8_t *in = inputs[0];
  uint32_t cv[8];
  memcpy(cv, b3_iv, sizeof cv);
  for (size_t b = 0; b < nblocks; b++) {
    const int last = b + 1 == nblocks;
    uint32_t flags = (b == 0 ? flags_start : 0) | (last ? flags_end : 0);
    if (last && last_len < B3_BLOCK_LEN) {
      uint8_t pad[B3_BLOCK_LEN] = {0};
      if (last_len > 0) memcpy(pad, in + b * B3_BLOCK_LEN, last_len);
      b3_compress_portable(cv, pad, (uint32_t)last_len, counter, flags);
    } else {
      b3_compress_portable(cv, in + b * B3_BLOCK_LEN, B3_BLOCK_LEN, counter, flags);
    }
  }
  for (int i = 0; i < 8; i++) store_le32(out + 4 * i, cv[i]);
}

static const b3_lanes_fn lanes_fns[B3_LEVELS] = {
    b3_lanes_scalar,
#if defined(B3_X86)
    b3_lanes_sse41, b3_lanes_avx2, b3_lanes_avx512,
#else
    b3_lanes_scalar, b3_lanes_scalar, b3_lanes_scalar,
#endif
};
static const size_t lanes_width[B3_LEVELS] = {1, 4, 8, 16};
static const char *const level_names[B3_LEVELS] = {"scalar", "sse41", "avx2", "avx512"};

size_t b3_level_width(b3_level level) { return lanes_width[level]; }
const char *b3_level_name(b3_level level) { return level_names[level]; }

b3_level b3_best_level(void) {
#if defined(B3_X86)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return B3_AVX512;
  if (__builtin_cpu_supports("avx2")) return B3_AVX2;
  if (__builtin_cpu_supports("sse4.1")) return B3_SSE41;
#endif
  return B3_SCALAR;
}

/* Shape of a message of at most one chunk: at least one block, the last one possibly partial. */
static void chunk_shape(size_t len, size_t *nblocks, size_t *last_len) {
  size_t n = len == 0 ? 1 : (len + B3_BLOCK_LEN - 1) / B3_BLOCK_LEN;
  *nblocks = n;
  *last_len = len - (n - 1) * B3_BLOCK_LEN;
}

b3_compress_fn b3_compress_for(b3_level level) {
#if defined(B3_X86)
  static int has_vl = -1;
  if (level >= B3_AVX512) {
    if (has_vl < 0) {
      __builtin_cpu_init();
      has_vl = __builtin_cpu_supports("avx512vl") ? 1 : 0;
    }
    return has_vl ? b3_compress_avx512 : b3_compress_sse41;
  }
  if (level >= B3_SSE41) return b3_compress_sse41;
#else
  (void)level;
#endif
  return b3_compress_portable;
}

void b3_chunk_one(b3_compress_fn compress, const uint8_t *input, size_t len, uint64_t counter, uint8_t flags_end,
                  uint8_t out[32]) {
  size_t nblocks, last_len;
  chunk_shape(len, &nblocks, &last_len);
  uint32_t cv[8];
  memcpy(cv, b3_iv, sizeof cv);
  for (size_t b = 0; b + 1 < nblocks; b++)
    compress(cv, input + b * B3_BLOCK_LEN, B3_BLOCK_LEN, counter, b == 0 ? B3_CHUNK_START : 0);
  const uint8_t *last = input + (nblocks - 1) * B3_BLOCK_LEN;
  uint8_t pad[B3_BLOCK_LEN];
  if (last_len < B3_BLOCK_LEN) {
    memset(pad, 0, sizeof pad);
    if (last_len > 0) memcpy(pad, last, last_len);
    last = pad;
  }
  compress(cv, last, (uint32_t)last_len, counter, (nblocks == 1 ? B3_CHUNK_START : 0) | flags_end);
  for (int i = 0; i < 8; i++) store_le32(out + 4 * i, cv[i]);
}

static void parent_cv(b3_compress_fn compress, const uint8_t left[32], const uint8_t right[32], uint8_t flags,
                      uint8_t out[32]) {
  uint8_t block[64];
  memcpy(block, left, 32);
  memcpy(block + 32, right, 32);
  uint32_t cv[8];
  memcpy(cv, b3_iv, sizeof cv);
  compress(cv, block, B3_BLOCK_LEN, 0, flags);
  for (int i = 0; i < 8; i++) store_le32(out + 4 * i, cv[i]);
}

/* Largest stack a 2^64-byte message can need is 54 entries. */
enum { CV_STACK_MAX = 64 };

typedef struct {
  uint8_t cv[CV_STACK_MAX][32];
  size_t depth;
} cv_stack;

/*
 * Pushes the CV of a chunk that is known not to be the last one; total is the number of
 * chunks completed so far. Merging only while total is even keeps every subtree on the stack
 * complete, and never merges the root before the last chunk is known.
 */
static void push_chunk_cv(b3_compress_fn compress, cv_stack *st, const uint8_t cv[32], uint64_t total) {
  uint8_t cur[32];
  memcpy(cur, cv, 32);
  while ((total & 1) == 0) {
    st->depth--;
    parent_cv(compress, st->cv[st->depth], cur, B3_PARENT, cur);
    total >>= 1;
  }
  memcpy(st->cv[st->depth++], cur, 32);
}

/* A message longer than one chunk: chunks go through the lanes, parents one at a time. */
static void hash_long(b3_level level, const uint8_t *msg, size_t len, uint8_t out[32]) {
  const b3_compress_fn compress = b3_compress_for(level);
  cv_stack st;
  st.depth = 0;
  uint8_t cvs[16 * 32];
  const uint8_t *ptrs[16];
  const size_t nfull = (len - 1) / B3_CHUNK_LEN; /* every chunk but the last is full */
  size_t c = 0;
  for (int lv = (int)level; lv >= (int)B3_SCALAR; lv--) {
    const size_t w = lanes_width[lv];
    while (nfull - c >= w) {
      for (size_t l = 0; l < w; l++) ptrs[l] = msg + (c + l) * B3_CHUNK_LEN;
      lanes_fns[lv](ptrs, B3_CHUNK_LEN / B3_BLOCK_LEN, B3_BLOCK_LEN, c, 1, B3_CHUNK_START, B3_CHUNK_END, cvs);
      for (size_t l = 0; l < w; l++) push_chunk_cv(compress, &st, cvs + 32 * l, c + l + 1);
      c += w;
    }
  }
  uint8_t cur[32];
  b3_chunk_one(compress, msg + nfull * B3_CHUNK_LEN, len - nfull * B3_CHUNK_LEN, nfull, B3_CHUNK_END, cur);
  while (st.depth > 0) {
    st.depth--;
    parent_cv(compress, st.cv[st.depth], cur, st.depth == 0 ? B3_PARENT | B3_ROOT : B3_PARENT, cur);
  }
  memcpy(out, cur, 32);
}

void b3_hash_one(b3_level level, const uint8_t *input, size_t len, uint8_t out[32]) {
  if (len > B3_CHUNK_LEN) {
    hash_long(level, input, len, out);
    return;
  }
  b3_chunk_one(b3_compress_for(level), input, len, 0, B3_CHUNK_END | B3_ROOT, out);
}

void b3_hash_many(b3_level level, const uint8_t *input, size_t msg_len, size_t count, uint8_t *out) {
  if (msg_len > B3_CHUNK_LEN) {
    for (size_t i = 0; i < count; i++) hash_long(level, input + i * msg_len, msg_len, out + 32 * i);
    return;
  }
  size_t nblocks, last_len;
  chunk_shape(msg_len, &nblocks, &last_len);
  const uint8_t *ptrs[16];
  size_t i = 0;
  /* Widest lanes first; what is left falls to narrower levels. */
  for (int lv = (int)level; lv >= (int)B3_SSE41; lv--) {
    const size_t w = lanes_width[lv];
    while (count - i >= w) {
      for (size_t l = 0; l < w; l++) ptrs[l] = input + (i + l) * msg_len;
      lanes_fns[lv](ptrs, nblocks, last_len, 0, 0, B3_CHUNK_START, B3_CHUNK_END | B3_ROOT, out + 32 * i);
      i += w;
    }
  }
  /* 2 or 3 left: one 4-lane call with repeated lanes beats 2-3 scalar ones. */
  if (level >= B3_SSE41 && count - i >= 2) {
    uint8_t tmp[4 * 32];
    for (size_t l = 0; l < 4; l++) ptrs[l] = input + (i + (l < count - i ? l : 0)) * msg_len;
    lanes_fns[B3_SSE41](ptrs, nblocks, last_len, 0, 0, B3_CHUNK_START, B3_CHUNK_END | B3_ROOT, tmp);
    memcpy(out + 32 * i, tmp, 32 * (count - i));
    i = count;
  }
  const b3_compress_fn compress = b3_compress_for(level);
  for (; i < count; i++) b3_chunk_one(compress, input + i * msg_len, msg_len, 0, B3_CHUNK_END | B3_ROOT, out + 32 * i);
}
