/* CRC-32C kernels (the one copy in rotortree: every addon compiles this file). The x86-64 hardware one follows Mark Adler's design (zlib's author, public domain
 * answer on Stack Overflow 17645167): three independent CRC32 instruction streams over three
 * adjacent blocks hide the instruction's 3-cycle latency, and the partial CRCs are joined by
 * "shift by a block of zeros" operators precomputed as byte tables. */
#include "rotortree/crc32c.h"

#include <string.h>

#define POLY 0x82f63b78u
#define LONG_BLOCK 8192
#define SHORT_BLOCK 256

static uint32_t table[8][256];
static uint32_t shift_long[4][256];
static uint32_t shift_short[4][256];
static bool use_hardware;
static const char *kernel_name = "table";

static uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8); /* unaligned-safe; compiles to one load on x86 and arm64 */
  return v;
}

uint32_t crc32c_table(uint32_t crc, const uint8_t *buf, size_t len) {
  uint64_t c = ~crc & 0xffffffffu;
  while (len >= 8) {
    /* Little-endian hosts only (x86, arm64): the low byte of the word is the first byte. */
    uint64_t w = load64(buf) ^ c;
    c = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^ table[5][(w >> 16) & 0xff] ^ table[4][(w >> 24) & 0xff] ^
        table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^ table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
    buf += 8;
    len -= 8;
  }
  while (len--) c = table[0][(c ^ *buf++) & 0xff] ^ (c >> 8);
  return (uint32_t)~c;
}

/* GF(2) matrix (32 rows of 32 bits) times vector. */
static uint32_t gf2_times(const uint32_t *mat, uint32_t vec) {
  uint32_t sum = 0;
  while (vec) {
    if (vec & 1) sum ^= *mat;
    vec >>= 1;
    mat++;
  }
  return sum;
}

static void gf2_square(uint32_t *square, const uint32_t *mat) {
  for (int n = 0; n < 32; n++) square[n] = gf2_times(mat, mat[n]);
}

/* Tables applying `len` (a power of two >= 4) zero bytes to a CRC register, one per byte of it. */
static void build_shift(uint32_t tables[4][256], size_t len) {
  uint32_t odd[32], even[32];
  odd[0] = POLY; /* the operator for one zero bit */
  for (int n = 1; n < 32; n++) odd[n] = 1u << (n - 1);
  gf2_square(even, odd); /* 2 bits */
  gf2_square(odd, even); /* 4 bits */
  /* Squaring alternately into even and odd: 8 bits (1 byte) in even, 2 bytes in odd, ... */
  uint32_t *op = even;
  for (;;) {
    gf2_square(even, odd);
    op = even;
    len >>= 1;
    if (len == 0) break;
    gf2_square(odd, even);
    op = odd;
    len >>= 1;
    if (len == 0) break;
  }
  for (uint32_t n = 0; n < 256; n++) {
    tables[0][n] = gf2_times(op, n);
    tables[1][n] = gf2_times(op, n << 8);
    tables[2][n] = gf2_times(op, n << 16);
    tables[3][n] = gf2_times(op, n << 24);
  }
}

static uint32_t shift(uint32_t tables[4][256], uint32_t crc) {
  return tables[0][crc & 0xff] ^ tables[1][(crc >> 8) & 0xff] ^ tables[2][(crc >> 16) & 0xff] ^ tables[3][crc >> 24];
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define HAVE_HW_KERNEL 1

__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *next, size_t len) {
  uint64_t crc0 = ~crc & 0xffffffffu;
  while (len > 0 && ((uintptr_t)next & 7) != 0) {
    crc0 = _mm_crc32_u8((uint32_t)crc0, *next++);
    len--;
  }
  while (len >= 3 * LONG_BLOCK) {
    uint64_t crc1 = 0, crc2 = 0;
    const uint8_t *end = next + LONG_BLOCK;
    do {
      crc0 = _mm_crc32_u64(crc0, load64(next));
      crc1 = _mm_crc32_u64(crc1, load64(next + LONG_BLOCK));
      crc2 = _mm_crc32_u64(crc2, load64(next + 2 * LONG_BLOCK));
      next += 8;
    } while (next < end);
    crc0 = shift(shift_long, (uint32_t)crc0) ^ (uint32_t)crc1;
    crc0 = shift(shift_long, (uint32_t)crc0) ^ (uint32_t)crc2;
    next += 2 * LONG_BLOCK;
    len -= 3 * LONG_BLOCK;
  }
  while (len >= 3 * SHORT_BLOCK) {
    uint64_t crc1 = 0, crc2 = 0;
    const uint8_t *end = next + SHORT_BLOCK;
    do {
      crc0 = _mm_crc32_u64(crc0, load64(next));
      crc1 = _mm_crc32_u64(crc1, load64(next + SHORT_BLOCK));
      crc2 = _mm_crc32_u64(crc2, load64(next + 2 * SHORT_BLOCK));
      next += 8;
    } while (next < end);
    crc0 = shift(shift_short, (uint32_t)crc0) ^ (uint32_t)crc1;
    crc0 = shift(shift_short, (uint32_t)crc0) ^ (uint32_t)crc2;
    next += 2 * SHORT_BLOCK;
    len -= 3 * SHORT_BLOCK;
  }
  while (len >= 8) {
    crc0 = _mm_crc32_u64(crc0, load64(next));
    next += 8;
    len -= 8;
  }
  while (len > 0) {
    crc0 = _mm_crc32_u8((uint32_t)crc0, *next++);
    len--;
  }
  return ~(uint32_t)crc0;
}

/*
 * Folding by carry-less multiplication (Intel, "Fast CRC Computation for Generic Polynomials Using
 * PCLMULQDQ"), four 64-byte accumulators wide: each step folds every 128-bit lane 256 bytes (2048
 * bits) forward and adds the next 256 bytes. A lane X = Xlo:Xhi (reflected) times x^2048 is congruent
 * mod P to Xlo*K1 + Xhi*K2 with K1 = reflect32(x^(2048+31) mod P), K2 = reflect32(x^(2048-33) mod P)
 * (the -1 of a reflected product included). The accumulators then hold a 256-byte message with the
 * same CRC as all they replaced, so the CRC32 instruction finishes over them and the tail; no
 * reduction constants are needed. ~4x the three-stream kernel where the CPU has VPCLMULQDQ.
 */
#include <immintrin.h>
#define FOLD_K1 0xdcb17aa4ULL
#define FOLD_K2 0xb9e02b86ULL
#define FOLD_MIN 1024 /* below this the setup is not worth it */
static bool use_vpclmul;

__attribute__((target("avx512f,vpclmulqdq,sse4.2"))) static uint32_t crc32c_vpclmul(uint32_t crc, const uint8_t *next, size_t len) {
  const __m512i k = _mm512_set_epi64(FOLD_K2, FOLD_K1, FOLD_K2, FOLD_K1, FOLD_K2, FOLD_K1, FOLD_K2, FOLD_K1);
  /* The running CRC goes into the first 4 bytes: the rest is then a CRC from state 0. */
  __m512i a0 = _mm512_xor_si512(_mm512_loadu_si512(next), _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (int)~crc));
  __m512i a1 = _mm512_loadu_si512(next + 64);
  __m512i a2 = _mm512_loadu_si512(next + 128);
  __m512i a3 = _mm512_loadu_si512(next + 192);
  next += 256;
  len -= 256;
#define FOLD(a, at)                                                                                                   \
  a = _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(a, k, 0x00), _mm512_clmulepi64_epi128(a, k, 0x11),          \
                                _mm512_loadu_si512(at), 0x96)
  while (len >= 256) {
    FOLD(a0, next);
    FOLD(a1, next + 64);
    FOLD(a2, next + 128);
    FOLD(a3, next + 192);
    next += 256;
    len -= 256;
  }
#undef FOLD
  uint8_t folded[256];
  _mm512_storeu_si512(folded, a0);
  _mm512_storeu_si512(folded + 64, a1);
  _mm512_storeu_si512(folded + 128, a2);
  _mm512_storeu_si512(folded + 192, a3);
  /* A finished CRC of ~0 is the state 0. */
  return crc32c_sse42(crc32c_sse42(0xffffffffu, folded, sizeof folded), next, len);
}
#endif

#if defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#include <arm_acle.h>
#ifdef __linux__
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#endif
#define HAVE_ARM_CRC 1

/* The ARMv8 CRC32C instructions, one stream (throughput-bound on the cores measured by others:
 * several GB/s; interleaving as on x86 is left until an arm64 machine can measure it). */
__attribute__((target("+crc"))) static uint32_t crc32c_armv8(uint32_t crc, const uint8_t *next, size_t len) {
  uint32_t c = ~crc;
  while (len > 0 && ((uintptr_t)next & 7) != 0) {
    c = __crc32cb(c, *next++);
    len--;
  }
  while (len >= 8) {
    c = __crc32cd(c, load64(next));
    next += 8;
    len -= 8;
  }
  while (len > 0) {
    c = __crc32cb(c, *next++);
    len--;
  }
  return ~c;
}

static bool arm_has_crc(void) {
#if defined(__linux__)
  return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#elif defined(__APPLE__)
  return true; /* every Apple arm64 core has them */
#else
  return false;
#endif
}
#endif

/* Runs when the addon is loaded, once per process (worker threads load it again: the tables are
 * built by then). A constructor instead of pthread_once keeps the prebuilt addons off the
 * GLIBC_2.34 symbol version of pthread_once. */
__attribute__((constructor)) static void crc32c_init(void) {
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = b;
    for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
    table[0][b] = c;
  }
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = table[0][b];
    for (int k = 1; k < 8; k++) {
      c = table[0][c & 0xff] ^ (c >> 8);
      table[k][b] = c;
    }
  }
  build_shift(shift_long, LONG_BLOCK);
  build_shift(shift_short, SHORT_BLOCK);
#ifdef HAVE_HW_KERNEL
  __builtin_cpu_init();
  use_hardware = __builtin_cpu_supports("sse4.2");
  use_vpclmul = use_hardware && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq");
  if (use_hardware) kernel_name = use_vpclmul ? "vpclmulqdq" : "sse4.2";
#endif
#ifdef HAVE_ARM_CRC
  use_hardware = arm_has_crc();
  if (use_hardware) kernel_name = "armv8-crc";
#endif
}

bool crc32c_hardware(void) { return use_hardware; }

const char *crc32c_kernel(void) { return kernel_name; }

uint32_t crc32c(uint32_t crc, const uint8_t *buf, size_t len) {
#ifdef HAVE_HW_KERNEL
  if (use_vpclmul && len >= FOLD_MIN) return crc32c_vpclmul(crc, buf, len);
  if (use_hardware) return crc32c_sse42(crc, buf, len);
#endif
#ifdef HAVE_ARM_CRC
  if (use_hardware) return crc32c_armv8(crc, buf, len);
#endif
  return crc32c_table(crc, buf, len);
}
