/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): a hardware kernel (SSE4.2) picked at
 * run time, and a portable table kernel. Both continue from `crc` (0 to start) and return the
 * finished CRC, like crc32c() in @rotortree/core/fs. */
#ifndef ROTORTREE_CRC32C_H
#define ROTORTREE_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Builds the tables and detects the CPU; call once before anything else. */
void crc32c_init(void);
/* True when crc32c() uses the CPU's CRC32 instruction. */
bool crc32c_hardware(void);
/* The fastest kernel available. */
uint32_t crc32c(uint32_t crc, const uint8_t *buf, size_t len);
/* The portable slice-by-8 kernel (for tests and CPUs without SSE4.2). */
uint32_t crc32c_table(uint32_t crc, const uint8_t *buf, size_t len);

#endif
