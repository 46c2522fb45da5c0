/* The WAL record layout of src/format.ts (keep in step) and its field access, for every kernel. */
#ifndef ROTORTREE_RECORD_LAYOUT_H
#define ROTORTREE_RECORD_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rotortree/napi_args.h" /* MAX_SAFE */

/* len u32, seq u64, flush offset u32, header CRC u32 (of the first 16 bytes); payload; record CRC u32. */
#define RECORD_HEADER 20
#define RECORD_OVERHEAD 24
#define HEADER_CRC_SPAN 16
#define MAX_PAYLOAD (1u << 30)

/* Fields are little-endian; so are the hosts these kernels build for (x86, arm64), as crc32c.c. */
static inline uint32_t read_u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline uint64_t read_u64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static inline void write_u32(uint8_t *p, uint32_t v) {
  memcpy(p, &v, 4);
}

/* A payload length a record can have when `room` bytes are left from its start (as validRecordLength). */
static inline bool plausible_len(uint32_t len, size_t room) {
  return len != 0 && (len & 31) == 0 && len <= MAX_PAYLOAD && room >= RECORD_OVERHEAD && len <= room - RECORD_OVERHEAD;
}

#endif
