/*
 * BLAKE3-256 (unkeyed hash mode) for many equal-length messages at once.
 *
 * The lane kernels compress W independent inputs of the same shape side by side, one input per
 * SIMD lane; the tree code in b3.c feeds them either W whole messages (messages of at most one
 * 1 KiB chunk) or W chunks of one long message.
 */
#ifndef B3_H
#define B3_H

#include <stddef.h>
#include <stdint.h>

/* SIMD kernels exist for x86 only; they are compiled with function-level target attributes. */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define B3_X86 1
#endif

enum { B3_BLOCK_LEN = 64, B3_CHUNK_LEN = 1024, B3_OUT_LEN = 32 };
enum { B3_CHUNK_START = 1, B3_CHUNK_END = 2, B3_PARENT = 4, B3_ROOT = 8 };

/* SIMD levels, narrowest first; a level may use every narrower one for remainders. */
typedef enum { B3_SCALAR = 0, B3_SSE41 = 1, B3_AVX2 = 2, B3_AVX512 = 3, B3_LEVELS = 4 } b3_level;

extern const uint32_t b3_iv[8];

/*
 * Compresses lanes independent inputs side by side. Input l starts at inputs[l] and has
 * nblocks >= 1 blocks; every block is 64 bytes except the last, which has last_len bytes
 * (0..64; read from inputs[l] + 64 * (nblocks - 1), zero padded). Each lane starts from the IV
 * with chunk counter counter + l * counter_step. Block b gets flags
 * (b == 0 ? flags_start : 0) | (b == nblocks - 1 ? flags_end : 0).
 * The 32-byte chaining value (or root digest) of lane l goes to out + 32 * l.
 */
typedef void (*b3_lanes_fn)(const uint8_t *const *inputs, size_t nblocks, size_t last_len, uint64_t counter,
                            unsigned counter_step, uint8_t flags_start, uint8_t flags_end, uint8_t *out);

void b3_lanes_scalar(const uint8_t *const *inputs, size_t nblocks, size_t last_len, uint64_t counter,
                     unsigned counter_step, uint8_t flags_start, uint8_t flags_end, uint8_t *out);
#if defined(B3_X86)
void b3_lanes_sse41(const uint8_t *const *inputs, size_t nblocks, size_t last_len, uint64_t counter,
                    unsigned counter_step, uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void b3_lanes_avx2(const uint8_t *const *inputs, size_t nblocks, size_t last_len, uint64_t counter,
                   unsigned counter_step, uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void b3_lanes_avx512(const uint8_t *const *inputs, size_t nblocks, size_t last_len, uint64_t counter,
                     unsigned counter_step, uint8_t flags_start, uint8_t flags_end, uint8_t *out);
#endif

/*
 * One compression of one block: cv (8 words, in and out) becomes the next chaining value.
 * block_len is the number of message bytes in block (the rest is zero padding).
 */
typedef void (*b3_compress_fn)(uint32_t cv[8], const uint8_t block[64], uint32_t block_len, uint64_t counter,
                               uint32_t flags);
void b3_compress_portable(uint32_t cv[8], const uint8_t block[64], uint32_t block_len, uint64_t counter,
                          uint32_t flags);
#if defined(B3_X86)
/* The state as 4 rows in 4 xmm registers (b3_one.c); the AVX-512 one needs AVX-512VL. */
void b3_compress_sse41(uint32_t cv[8], const uint8_t block[64], uint32_t block_len, uint64_t counter, uint32_t flags);
void b3_compress_avx512(uint32_t cv[8], const uint8_t block[64], uint32_t block_len, uint64_t counter, uint32_t flags);
#endif
/* The fastest one-lane compression of a level (all give identical bytes). */
b3_compress_fn b3_compress_for(b3_level level);

/*
 * The chaining value (or, with B3_ROOT in flags_end, the digest) of one chunk of len <= 1024
 * bytes with chunk counter counter, one block at a time.
 */
void b3_chunk_one(b3_compress_fn compress, const uint8_t *input, size_t len, uint64_t counter, uint8_t flags_end,
                  uint8_t out[32]);

/* Lanes of a level (1, 4, 8, 16). */
size_t b3_level_width(b3_level level);
/* Short name of a level: "scalar", "sse41", "avx2", "avx512". */
const char *b3_level_name(b3_level level);
/* The widest level this CPU (and this build) supports. */
b3_level b3_best_level(void);

/*
 * BLAKE3-256 of count messages of msg_len bytes each, stored back to back at input; digest i
 * goes to out + 32 * i. The reads of each group of lanes finish before its digests are
 * written, so out may overlap input as long as digest i does not land on a message > i.
 */
void b3_hash_many(b3_level level, const uint8_t *input, size_t msg_len, size_t count, uint8_t *out);

/* BLAKE3-256 of one message of any length. */
void b3_hash_one(b3_level level, const uint8_t *input, size_t len, uint8_t out[32]);

#endif
