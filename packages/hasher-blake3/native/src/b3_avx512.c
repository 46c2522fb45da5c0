/* 16 lanes of 32-bit words in AVX-512 registers: lane l of every vector belongs to input l. */
#include "b3.h"

#if defined(B3_X86)
#include <immintrin.h>
#include <string.h>

#define B3_TARGET __attribute__((target("avx512f")))
#define B3_INLINE static inline __attribute__((always_inline, target("avx512f")))

#define ADD(a, b) _mm512_add_epi32(a, b)
#define XOR(a, b) _mm512_xor_si512(a, b)
#define ROR16(x) _mm512_ror_epi32(x, 16)
#define ROR12(x) _mm512_ror_epi32(x, 12)
#define ROR8(x) _mm512_ror_epi32(x, 8)
#define ROR7(x) _mm512_ror_epi32(x, 7)
#include "b3_rounds.h"

/* 16x16 transpose of 32-bit words: afterwards r[j] holds word j of every input row. */
B3_INLINE void transpose16(__m512i r[16]) {
  __m512i t[16], u[16];
  for (int k = 0; k < 8; k++) {
    t[2 * k] = _mm512_unpacklo_epi32(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_epi32(r[2 * k], r[2 * k + 1]);
  }
  /* u[4g + k], 128-bit lane q: word 4q + k of rows 4g .. 4g + 3 */
  for (int g = 0; g < 4; g++) {
    u[4 * g + 0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
    u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
  }
  for (int k = 0; k < 4; k++) {
    __m512i v0 = _mm512_shuffle_i32x4(u[k], u[4 + k], 0x88);      /* g0.q0 g0.q2 g1.q0 g1.q2 */
    __m512i v1 = _mm512_shuffle_i32x4(u[k], u[4 + k], 0xDD);      /* g0.q1 g0.q3 g1.q1 g1.q3 */
    __m512i v2 = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0x88); /* g2.q0 g2.q2 g3.q0 g3.q2 */
    __m512i v3 = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0xDD); /* g2.q1 g2.q3 g3.q1 g3.q3 */
    r[k] = _mm512_shuffle_i32x4(v0, v2, 0x88);
    r[8 + k] = _mm512_shuffle_i32x4(v0, v2, 0xDD);
    r[4 + k] = _mm512_shuffle_i32x4(v1, v3, 0x88);
    r[12 + k] = _mm512_shuffle_i32x4(v1, v3, 0xDD);
  }
}

B3_TARGET void b3_lanes_avx512(const uint8_t *const *inputs, size_t nblocks, size_t last_len, uint64_t counter,
                               unsigned counter_step, uint8_t flags_start, uint8_t flags_end, uint8_t *out) {
  enum { W = 16 };
  uint32_t lo[W], hi[W];
  for (int l = 0; l < W; l++) {
    uint64_t c = counter + (uint64_t)l * counter_step;
    lo[l] = (uint32_t)c;
    hi[l] = (uint32_t)(c >> 32);
  }
  const __m512i ctr_lo = _mm512_loadu_si512(lo), ctr_hi = _mm512_loadu_si512(hi);
  __m512i h[16];
  for (int i = 0; i < 8; i++) h[i] = _mm512_set1_epi32((int)b3_iv[i]);
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
    __m512i m[16];
    for (int l = 0; l < W; l++) m[l] = _mm512_loadu_si512(p[l]);
    transpose16(m);
    const uint32_t flags = (b == 0 ? flags_start : 0) | (last ? flags_end : 0);
    const uint32_t block_len = last ? (uint32_t)last_len : B3_BLOCK_LEN;
    __m512i v[16] = {h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
                     _mm512_set1_epi32((int)b3_iv[0]), _mm512_set1_epi32((int)b3_iv[1]),
                     _mm512_set1_epi32((int)b3_iv[2]), _mm512_set1_epi32((int)b3_iv[3]),
                     ctr_lo, ctr_hi, _mm512_set1_epi32((int)block_len), _mm512_set1_epi32((int)flags)};
    B3_ROUNDS
    for (int i = 0; i < 8; i++) h[i] = XOR(v[i], v[i + 8]);
  }
  /* 8 CV words x 16 lanes: transpose as 16x16 with zero rows 8-15, keep the low 8 words. */
  for (int i = 8; i < 16; i++) h[i] = _mm512_setzero_si512();
  transpose16(h);
  for (int l = 0; l < W; l++) _mm256_storeu_si256((__m256i *)(out + 32 * l), _mm512_castsi512_si256(h[l]));
}
#endif
