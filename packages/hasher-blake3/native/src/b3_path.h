/*
 * The bound path kernel: recomputes the root path of one append from per-level group buffers that
 * live as long as the tree, so a single insert gathers no siblings and copies no message.
 */
#ifndef B3_PATH_H
#define B3_PATH_H

#include "b3.h"

/* Most levels a bound path kernel takes (its maxLevels; the binding checks it). */
#define B3_PATH_MAX_LEVELS 64

/*
 * One tree's path state. groups holds (max_levels + 1) groups of width nodes: level k's group at
 * groups + k * width * 32, the nodes before the path's node of that level first (they are final).
 * The cache keeps, per level, the chaining value after the group's leading sibling-only blocks
 * and those blocks' bytes: a later append to the same group compares the bytes (cheap) instead of
 * compressing them again. A stale entry (another group, or groups rewritten by the caller) fails
 * the comparison, so the cache never needs to be told about changes.
 */
typedef struct {
  b3_level level;
  b3_compress_fn compress;
  size_t width;
  size_t max_levels;
  size_t prefix_max; /* bytes of cached blocks per level: a multiple of 64, at most 960 */
  uint32_t *cache_cv;      /* max_levels * 8 words */
  size_t *cache_blocks;    /* max_levels entries; 0 = nothing cached */
  uint8_t *cache_bytes;    /* max_levels * prefix_max */
} b3_path;

/* Sets up a path state (all of it zeroed by the caller); false when out of memory. */
int b3_path_init(b3_path *p, b3_level level, size_t width, size_t max_levels);
void b3_path_free(b3_path *p);

/*
 * The path's level-0 node is at group 0 position digits[0] (written by the caller). For k < levels,
 * the node at group k position digits[k]
 * rises to group k + 1 position digits[k + 1]: lifted when digits[k] == 0, else
 * BLAKE3(group k nodes 0..digits[k]). The caller has checked levels <= max_levels and
 * 0 <= digits[k] < width for k <= levels. The root ends at group levels position digits[levels].
 */
void b3_path_run(b3_path *p, uint8_t *groups, const int32_t *digits, size_t levels);

#endif
