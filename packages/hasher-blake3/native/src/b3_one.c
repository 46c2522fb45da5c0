/*
 * One-lane compressions for the path kernel and short messages: the state's 16 words as 4 rows of
 * 4 words in 4 xmm registers, so the 4 column G functions run side by side; rotating rows 1-3 by
 * 1, 2 and 3 lanes lines the diagonals up as columns, and rotating back restores them.
 * Written from the BLAKE3 specification; bytes identical to the portable compress() in b3.c.
 */
#include "b3.h"

#if defined(B3_X86)
#include <immintrin.h>
#include <string.h>

#include "b3_rounds.h"

/* Message words of one G half for the 4 lanes, in lane order. */
#define MSG4(a, b, c, d) _mm_setr_epi32((int)m[a], (int)m[b], (int)m[c], (int)m[d])

/* One half of G on all 4 columns (or diagonals): the first half rotates by 16, 12; the second by 8, 7. */
#define HALF(mv, RA, RB)                           \
  r0 = _mm_add_epi32(_mm_add_epi32(r0, mv), r1);   \
  r3 = RA(_mm_xor_si128(r3, r0));                  \
  r2 = _mm_add_epi32(r2, r3);                      \
  r1 = RB(_mm_xor_si128(r1, r2));

/* A round in the word order of b3_rounds.h: columns, diagonalize, diagonals, undiagonalize. */
#define ROW_ROUND(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) \
  HALF(MSG4(s0, s2, s4, s6), RA16, RA12)                                                \
  HALF(MSG4(s1, s3, s5, s7), RA8, RA7)                                                  \
  r1 = _mm_shuffle_epi32(r1, _MM_SHUFFLE(0, 3, 2, 1));                                  \
  r2 = _mm_shuffle_epi32(r2, _MM_SHUFFLE(1, 0, 3, 2));                                  \
  r3 = _mm_shuffle_epi32(r3, _MM_SHUFFLE(2, 1, 0, 3));                                  \
  HALF(MSG4(s8, s10, s12, s14), RA16, RA12)                                             \
  HALF(MSG4(s9, s11, s13, s15), RA8, RA7)                                               \
  r1 = _mm_shuffle_epi32(r1, _MM_SHUFFLE(2, 1, 0, 3));                                  \
  r2 = _mm_shuffle_epi32(r2, _MM_SHUFFLE(1, 0, 3, 2));                                  \
  r3 = _mm_shuffle_epi32(r3, _MM_SHUFFLE(0, 3, 2, 1));

#undef B3_ROUND
#define B3_ROUND ROW_ROUND

/* The body shared by both instruction sets; RA16..RA7 are the rotations. */
#define COMPRESS_BODY                                                                                   \
  uint32_t m[16];                                                                                       \
  memcpy(m, block, sizeof m); /* little-endian words: x86 only */                                       \
  __m128i r0 = _mm_loadu_si128((const __m128i *)cv);                                                    \
  __m128i r1 = _mm_loadu_si128((const __m128i *)(cv + 4));                                              \
  __m128i r2 = _mm_loadu_si128((const __m128i *)b3_iv);                                                 \
  __m128i r3 = _mm_setr_epi32((int)(uint32_t)counter, (int)(uint32_t)(counter >> 32), (int)block_len, \
                              (int)flags);                                                              \
  B3_ROUNDS                                                                                             \
  _mm_storeu_si128((__m128i *)cv, _mm_xor_si128(r0, r2));                                               \
  _mm_storeu_si128((__m128i *)(cv + 4), _mm_xor_si128(r1, r3));

#define RA16(x) _mm_shuffle_epi8(x, _mm_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13))
#define RA8(x) _mm_shuffle_epi8(x, _mm_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12))
#define RA12(x) _mm_or_si128(_mm_srli_epi32(x, 12), _mm_slli_epi32(x, 20))
#define RA7(x) _mm_or_si128(_mm_srli_epi32(x, 7), _mm_slli_epi32(x, 25))

__attribute__((target("sse4.1"))) void b3_compress_sse41(uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                                                          uint64_t counter, uint32_t flags) {
  COMPRESS_BODY
}

#undef RA16
#undef RA8
#undef RA12
#undef RA7
/* AVX-512VL rotates a 128-bit vector in one instruction. */
#define RA16(x) _mm_ror_epi32(x, 16)
#define RA8(x) _mm_ror_epi32(x, 8)
#define RA12(x) _mm_ror_epi32(x, 12)
#define RA7(x) _mm_ror_epi32(x, 7)

__attribute__((target("avx512f,avx512vl"))) void b3_compress_avx512(uint32_t cv[8], const uint8_t block[64],
                                                                    uint32_t block_len, uint64_t counter,
                                                                    uint32_t flags) {
  COMPRESS_BODY
}
#endif
