/*
 * The climb kernel of proof verifiers: recomputes roots from a node and the siblings of its path,
 * one call for a whole path (or many paths, side by side in SIMD lanes).
 */
#ifndef B3_CLIMB_H
#define B3_CLIMB_H

#include "b3.h"

/*
 * One path. node is 32 bytes directly followed by the siblings: level 0's counts[0] nodes, then
 * level 1's, and so on. At level k the rising node is member positions[k] (<= counts[k]) of its
 * group: with counts[k] == 0 it is lifted unchanged, else it becomes
 * BLAKE3(siblings[0 .. positions[k]) || node || siblings[positions[k] .. counts[k])).
 */
typedef struct {
  const uint8_t *node;
  const uint8_t *positions;
  const uint8_t *counts;
  size_t levels;
} b3_climb_path;

/* The root of each of count paths (checked by the caller), root i to out + 32 * i. */
void b3_climb_many(b3_level level, const b3_climb_path *paths, size_t count, uint8_t *out);

#endif
