/*
 * sealRecords(bytes, start, end) -> offset
 *   The records in bytes[start, end) (layout in src/format.ts) were written with their length,
 *   seq and flush offset only: writes each header CRC-32C (of bytes [0, 16)) and record CRC-32C
 *   (of bytes [0, 20 + len), continuing the header CRC) in place, walking record by record. Stops
 *   before a record whose len is implausible or that does not fit in [start, end), and returns
 *   the offset where it stopped (`end` when every record was sealed).
 *
 * The writer (record-buffer.ts) calls this once per flush instead of computing two CRCs per
 * record in JS at append time. Every length is checked against the range before a byte is touched.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rotortree/crc32c.h"
#include "rotortree/napi_args.h"
#include "record_layout.h"
#include "record_seal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define HAVE_HW_SEAL 1

/*
 * One record with the CRC32 instruction, inline (the general kernel's setup costs more than
 * these few words). The register after the 16 header bytes is the complement of the header
 * CRC; continuing from it over the CRC field and the payload gives the record CRC.
 */
__attribute__((target("sse4.2"))) static void seal_hw(uint8_t *r, uint32_t len) {
  uint64_t c = 0xffffffffu;
  c = _mm_crc32_u64(c, read_u64(r));
  c = _mm_crc32_u64(c, read_u64(r + 8));
  write_u32(r + HEADER_CRC_SPAN, ~(uint32_t)c);
  c = _mm_crc32_u32((uint32_t)c, read_u32(r + HEADER_CRC_SPAN));
  const uint8_t *p = r + RECORD_HEADER;
  const uint8_t *end = p + len;
  /* len is a multiple of 32: whole 8-byte words. */
  for (; p < end; p += 8) c = _mm_crc32_u64(c, read_u64(p));
  write_u32(r + RECORD_HEADER + len, ~(uint32_t)c);
}
#endif

/* Longer payloads go through the general (three-stream) kernel. */
#define INLINE_MAX_PAYLOAD 256

static void seal_one(uint8_t *r, uint32_t len, bool hw) {
#ifdef HAVE_HW_SEAL
  if (hw && len <= INLINE_MAX_PAYLOAD) {
    seal_hw(r, len);
    return;
  }
#else
  (void)hw;
#endif
  uint32_t header = crc32c(0, r, HEADER_CRC_SPAN);
  write_u32(r + HEADER_CRC_SPAN, header);
  write_u32(r + RECORD_HEADER + len, crc32c(header, r + HEADER_CRC_SPAN, 4 + (size_t)len));
}

static napi_value seal_records(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!arg_list(env, info, 3, argv, NULL, "expected (bytes, start, end)")) return NULL;
  uint8_t *bytes;
  size_t pos, end;
  if (!arg_byte_range(env, argv, &bytes, &pos, &end)) return NULL;
  const bool hw = crc32c_hardware();
  while (end - pos >= RECORD_OVERHEAD) {
    uint32_t len = read_u32(bytes + pos);
    if (!plausible_len(len, end - pos)) break;
    seal_one(bytes + pos, len, hw);
    pos += (size_t)len + RECORD_OVERHEAD;
  }
  napi_value result;
  napi_create_double(env, (double)pos, &result);
  return result;
}

bool record_seal_exports(napi_env env, napi_value exports) {
  return export_function(env, exports, "sealRecords", seal_records, NULL);
}
