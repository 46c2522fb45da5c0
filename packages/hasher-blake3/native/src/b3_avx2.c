/* 8 lanes of 32-bit words in AVX2 registers: lane l of every vector belongs to input l. */
#include "b3.h"

#if defined(B3_X86)
#include <immintrin.h>
#include <string.h>

#define B3_TARGET __attribute__((target("avx2")))
#define B3_INLINE static inline __attribute__((always_inline, target("avx2")))

B3_INLINE __m256i rot16(__m256i x) {
  return _mm256_shuffle_epi8(x, _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6,
                                                 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
}
B3_INLINE __m256i rot8(__m256i x) {
  return _mm256_shuffle_epi8(x, _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0, 5,
                                                 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12));
}
#define ADD(a, b) _mm256_add_epi32(a, b)
#define XOR(a, b) _mm256_xor_si256(a, b)
#define ROR16(x) rot16(x)
#define ROR12(x) _mm256_or_si256(_mm256_srli_epi32(x, 12), _mm256_slli_epi32(x, 20))
#define ROR8(x) rot8(x)
#define ROR7(x) _mm256_or_si256(_mm256_srli_epi32(x, 7), _mm256_slli_epi32(x, 25))
#include "b3_rounds.h"

/* 8x8 transpose of 32-bit words: afterwards r[j] holds word j of every input row. */
B3_INLINE void transpose8(__m256i r[8]) {
  __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  /* u_k: word k (low 128 bits) and word k+4 (high 128 bits) of rows 0-3 or 4-7 */
  __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
  __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
  __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
  __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
  r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

B3_INLINE void load_block(const uint8_t *const p[8], __m256i m[16]) {
  for (int l = 0; l < 8; l++) {
    m[l] = _mm256_loadu_si256((const __m256i *)p[l]);
    m[8 + l] = _mm256_loadu_si256((const __m256i *)(p[l] + 32));
  }
  transpose8(m);
  transpose8(m + 8);
}

B3_TARGET void b3_lanes_avx2(const uint8_t *const *inputs, size_t nblocks, size_t last_len, uint64_t counter,
                             unsigned counter_step, uint8_t flags_start, uint8_t flags_end, uint8_t *out) {
  enum { W = 8 };
  uint32_t lo[W], hi[W];
  for (int l = 0; l < W; l++) {
    uint64_t c = counter + (uint64_t)l * counter_step;
    lo[l] = (uint32_t)c;
    hi[l] = (uint32_t)(c >> 32);
  }
  const __m256i ctr_lo = _mm256_loadu_si256((const __m256i *)lo), ctr_hi = _mm256_loadu_si256((const __m256i *)hi);
  __m256i h[8];
  for (int i = 0; i < 8; i++) h[i] = _mm256_set1_epi32((int)b3_iv[i]);
  uint8_t pad[W][B3_BLOCK_LEN];
  for (size_t b = 0; b < nblocks; b++) {
    const int last = b + 1 == nblocks;
    const uint8_t *p[W];
    for (int l = 0; l < W; l++) p[l] = inputs[l] + b * B3_BLOCK_LEN;
    if (last && last_len < B3_BLOCK_LEN) {
      for (int l = 0; l < W; l++) {
        memset(pad[l], 0, B3_BLOCK_LEN);
        if (last_len > 0) memcpy(pad[l], p[l], last_len);
        p[l] = pad[l];
      }
    }
    __m256i m[16];
    load_block(p, m);
    const uint32_t flags = (b == 0 ? flags_start : 0) | (last ? flags_end : 0);
    const uint32_t block_len = last ? (uint32_t)last_len : B3_BLOCK_LEN;
    __m256i v[16] = {h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
                     _mm256_set1_epi32((int)b3_iv[0]), _mm256_set1_epi32((int)b3_iv[1]),
                     _mm256_set1_epi32((int)b3_iv[2]), _mm256_set1_epi32((int)b3_iv[3]),
                     ctr_lo, ctr_hi, _mm256_set1_epi32((int)block_len), _mm256_set1_epi32((int)flags)};
    B3_ROUNDS
    for (int i = 0; i < 8; i++) h[i] = XOR(v[i], v[i + 8]);
  }
  transpose8(h);
  for (int l = 0; l < W; l++) _mm256_storeu_si256((__m256i *)(out + 32 * l), h[l]);
}
#endif
