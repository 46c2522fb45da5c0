/* 4 lanes of 32-bit words in SSE4.1 registers: lane l of every vector belongs to input l. */
#include "b3.h"

#if defined(B3_X86)
#include <immintrin.h>
#include <string.h>

#define B3_TARGET __attribute__((target("sse4.1")))
#define B3_INLINE static inline __attribute__((always_inline, target("sse4.1")))

B3_INLINE __m128i rot16(__m128i x) {
  return _mm_shuffle_epi8(x, _mm_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
}
B3_INLINE __m128i rot8(__m128i x) {
  return _mm_shuffle_epi8(x, _mm_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12));
}
#define ADD(a, b) _mm_add_epi32(a, b)
#define XOR(a, b) _mm_xor_si128(a, b)
#define ROR16(x) rot16(x)
#define ROR12(x) _mm_or_si128(_mm_srli_epi32(x, 12), _mm_slli_epi32(x, 20))
#define ROR8(x) rot8(x)
#define ROR7(x) _mm_or_si128(_mm_srli_epi32(x, 7), _mm_slli_epi32(x, 25))
#include "b3_rounds.h"

/* Rows r0..r3 become columns: afterwards r_j holds word j of every row. */
B3_INLINE void transpose4(__m128i *r0, __m128i *r1, __m128i *r2, __m128i *r3) {
  __m128i t0 = _mm_unpacklo_epi32(*r0, *r1), t1 = _mm_unpackhi_epi32(*r0, *r1);
  __m128i t2 = _mm_unpacklo_epi32(*r2, *r3), t3 = _mm_unpackhi_epi32(*r2, *r3);
  *r0 = _mm_unpacklo_epi64(t0, t2);
  *r1 = _mm_unpackhi_epi64(t0, t2);
  *r2 = _mm_unpacklo_epi64(t1, t3);
  *r3 = _mm_unpackhi_epi64(t1, t3);
}

B3_INLINE void load_block(const uint8_t *const p[4], __m128i m[16]) {
  for (int q = 0; q < 4; q++) {
    for (int l = 0; l < 4; l++) m[4 * q + l] = _mm_loadu_si128((const __m128i *)(p[l] + 16 * q));
    transpose4(&m[4 * q], &m[4 * q + 1], &m[4 * q + 2], &m[4 * q + 3]);
  }
}

B3_TARGET void b3_lanes_sse41(const uint8_t *const *inputs, size_t nblocks, size_t last_len, uint64_t counter,
                              unsigned counter_step, uint8_t flags_start, uint8_t flags_end, uint8_t *out) {
  enum { W = 4 };
  uint32_t lo[W], hi[W];
  for (int l = 0; l < W; l++) {
    uint64_t c = counter + (uint64_t)l * counter_step;
    lo[l] = (uint32_t)c;
    hi[l] = (uint32_t)(c >> 32);
  }
  const __m128i ctr_lo = _mm_loadu_si128((const __m128i *)lo), ctr_hi = _mm_loadu_si128((const __m128i *)hi);
  __m128i h[8];
  for (int i = 0; i < 8; i++) h[i] = _mm_set1_epi32((int)b3_iv[i]);
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
    __m128i m[16];
    load_block(p, m);
    const uint32_t flags = (b == 0 ? flags_start : 0) | (last ? flags_end : 0);
    const uint32_t block_len = last ? (uint32_t)last_len : B3_BLOCK_LEN;
    __m128i v[16] = {h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
                     _mm_set1_epi32((int)b3_iv[0]), _mm_set1_epi32((int)b3_iv[1]),
                     _mm_set1_epi32((int)b3_iv[2]), _mm_set1_epi32((int)b3_iv[3]),
                     ctr_lo, ctr_hi, _mm_set1_epi32((int)block_len), _mm_set1_epi32((int)flags)};
    B3_ROUNDS
    for (int i = 0; i < 8; i++) h[i] = XOR(v[i], v[i + 8]);
  }
  transpose4(&h[0], &h[1], &h[2], &h[3]);
  transpose4(&h[4], &h[5], &h[6], &h[7]);
  for (int l = 0; l < W; l++) {
    _mm_storeu_si128((__m128i *)(out + 32 * l), h[l]);
    _mm_storeu_si128((__m128i *)(out + 32 * l + 16), h[4 + l]);
  }
}
#endif
