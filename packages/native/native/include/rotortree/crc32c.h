/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the fastest kernel this CPU has, picked at
 * run time (x86-64: VPCLMULQDQ folding, three SSE4.2 streams; arm64: the ARMv8 CRC32 instructions),
 * and the portable table kernel. Both continue from `crc` (0 to start) and return the finished CRC,
 * like crc32c() in @rotortree/core/fs.
 *
 * Shared by every addon of rotortree (compiled into each from @rotortree/native's sources). */
#ifndef ROTORTREE_CRC32C_H
#define ROTORTREE_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tables are built and the CPU detected when the addon is loaded (a constructor in crc32c.c). */
/* True when crc32c() uses the CPU's CRC instructions. */
bool crc32c_hardware(void);
/* The kernel crc32c() uses for long inputs: "vpclmulqdq", "sse4.2", "armv8-crc" or "table". */
const char *crc32c_kernel(void);
/* The fastest kernel available. */
uint32_t crc32c(uint32_t crc, const uint8_t *buf, size_t len);
/* The portable slice-by-8 kernel (for tests and CPUs without CRC instructions). */
uint32_t crc32c_table(uint32_t crc, const uint8_t *buf, size_t len);

#endif
