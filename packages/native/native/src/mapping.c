/*
 * Read-only memory maps of write-once files (checkpoint segments), as ArrayBuffers.
 *
 *   mapReadOnly(fd, offset, length) -> ArrayBuffer   over mmap(PROT_READ, MAP_SHARED)
 *   mapFile(path, length) -> ArrayBuffer | number    maps a whole file of exactly `length` bytes, else its size
 *   unmap(buffer) -> boolean                          munmap + detach; false if already detached
 *   release(buffer) -> boolean                        madvise(MADV_DONTNEED): pages leave the RSS
 *   useUntracked(table) -> boolean                    adopt the companion addon's V8 calls (untracked.h)
 *   untracked -> boolean (via untrackedInUse())       whether new mappings are untracked
 *
 * Safety rules this file keeps:
 * - A window is at most 1 GiB: Node 20 refuses external buffers > 4 GiB and runs the finalizer
 *   while refusing (a later free would be a double free).
 * - The file must be at least offset + length bytes long when mapped: reading a mapped page past
 *   the end of file raises SIGBUS. Callers never truncate a mapped file (segments are write-once).
 * - unmap detaches the ArrayBuffer before the pages go away, so JS sees an empty (detached) buffer
 *   instead of touching unmapped memory. The finalizer then skips munmap.
 * - With the companion addon the ArrayBuffer is not counted as V8 external memory (untracked.cc);
 *   without it (another Node major and no compiler) it is an N-API external buffer: the same bytes,
 *   only the garbage collector sees the mapped size.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include "mapping.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rotortree/napi_args.h"
#include "rotortree/untracked.h"

#define MAX_WINDOW ((size_t)1 << 30)

typedef struct {
  void *base;     /* page-aligned start of the mapping */
  size_t len;     /* bytes mapped from base */
  bool unmapped;
  bool untracked; /* made by the companion's make(): only its detach() detaches it */
} mapping;

/* The size of the open file `fd`, or -1 with errno. statx rather than fstat: glibc 2.33 made fstat
 * an exported symbol of that version, statx needs only 2.28 (Node 20's own floor), and the prebuilt
 * addons must load wherever Node does. */
static int64_t file_size(int fd) {
  struct statx stx;
  if (statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &stx) != 0) return -1;
  return (int64_t)stx.stx_size;
}

/* Set once (any thread's first load), read by every environment: a process-wide table. */
static const rt_untracked_table *untracked_table;

/* The finalizer of the ArrayBuffer object (its napi_wrap): owns the mapping record. */
static void finalize_mapping(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  mapping *m = (mapping *)data;
  if (!m->unmapped) munmap(m->base, m->len);
  free(m);
}

/* Hands `maplen` mapped bytes from `base` to JS as an ArrayBuffer of `length` bytes from base + delta
 * (wrapped with the record that unmap() and the finalizer use). Unmaps on failure. */
static napi_value wrap_mapping(napi_env env, void *base, size_t maplen, size_t delta, size_t length) {
  /* Tree reads are random (proofs, getNode): without this hint each fault maps and reads ahead a
   * whole window around the page, and resident memory grows far past what was touched. */
  (void)madvise(base, maplen, MADV_RANDOM);

  mapping *m = (mapping *)malloc(sizeof *m);
  if (m == NULL) {
    munmap(base, maplen);
    return throw_errno(env, "malloc", ENOMEM);
  }
  m->base = base;
  m->len = maplen;
  m->unmapped = false;
  m->untracked = untracked_table != NULL;

  napi_value ab = NULL;
  if (m->untracked) ab = untracked_table->make((uint8_t *)base + delta, length);
  else if (napi_create_external_arraybuffer(env, (uint8_t *)base + delta, length, NULL, NULL, &ab) != napi_ok) ab = NULL;
  if (ab == NULL) {
    munmap(base, maplen);
    free(m);
    napi_throw_error(env, "ERR_NAPI", "could not create an ArrayBuffer over the mapping");
    return NULL;
  }
  /* The wrap lets unmap() find the mapping, and its finalizer unmaps when the buffer is collected. */
  if (napi_wrap(env, ab, m, finalize_mapping, NULL, NULL) != napi_ok) {
    munmap(base, maplen);
    free(m);
    napi_throw_error(env, "ERR_NAPI", "could not tag the mapping");
    return NULL;
  }
  return ab;
}

static napi_value map_read_only(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int fd;
  double offset, length;
  if (!arg_list(env, info, 3, argv, NULL, "expected (fd, offset, length)") || !arg_fd(env, argv[0], &fd) ||
      !arg_named_integer(env, argv[1], "offset", 0, MAX_SAFE, &offset) ||
      !arg_named_integer(env, argv[2], "length", 1, (double)MAX_WINDOW, &length))
    return NULL;
  int64_t size = file_size(fd);
  if (size < 0) return throw_errno(env, "statx", errno);
  if ((double)size < offset + length) {
    /* Mapping past the end of the file would turn a later read into SIGBUS. */
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "the window reaches past the end of the file");
    return NULL;
  }
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  uint64_t aligned = (uint64_t)offset - (uint64_t)offset % page;
  size_t delta = (size_t)((uint64_t)offset - aligned);
  size_t maplen = (size_t)length + delta;
  void *base = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, (off_t)aligned);
  if (base == MAP_FAILED) return throw_errno(env, "mmap", errno);
  return wrap_mapping(env, base, maplen, delta, (size_t)length);
}

/* mapFile(path, length): open + statx + mmap + close in one call. Returns the ArrayBuffer when the
 * file has exactly `length` bytes, else the file's size (a number) without mapping anything. */
static napi_value map_file(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  double length;
  char path[4096];
  size_t path_len = 0;
  if (!arg_list(env, info, 2, argv, NULL, "expected (path, length)")) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "path must be a string");
    return NULL;
  }
  if (path_len >= sizeof path - 1) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "path is too long");
    return NULL;
  }
  if (!arg_named_integer(env, argv[1], "length", 1, (double)MAX_WINDOW, &length)) return NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open", errno);
  int64_t size = file_size(fd);
  if (size < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "statx", err);
  }
  if ((double)size != length) {
    close(fd);
    napi_value actual;
    napi_create_double(env, (double)size, &actual);
    return actual;
  }
  void *base = mmap(NULL, (size_t)length, PROT_READ, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd); /* the mapping stays valid */
  if (base == MAP_FAILED) return throw_errno(env, "mmap", err);
  return wrap_mapping(env, base, (size_t)length, 0, (size_t)length);
}

/* The mapping record of a buffer returned by mapReadOnly/mapFile; NULL (and *detached) when the
 * buffer is detached already (its record may be freed by now: never touch it). Throws TypeError
 * (returning NULL, *detached false) for anything else. */
static mapping *mapping_of(napi_env env, napi_value value, const char *fn, bool *detached) {
  bool is_ab = false;
  *detached = false;
  if (napi_is_arraybuffer(env, value, &is_ab) != napi_ok || !is_ab) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", fn);
    return NULL;
  }
  if (napi_is_detached_arraybuffer(env, value, detached) != napi_ok || *detached) return NULL;
  void *hint = NULL;
  if (napi_unwrap(env, value, &hint) != napi_ok || hint == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", fn);
    return NULL;
  }
  return (mapping *)hint;
}

static napi_value unmap(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool detached;
  if (!arg_list(env, info, 1, argv, NULL, "expected (buffer)")) return NULL;
  mapping *m = mapping_of(env, argv[0], "unmap takes an ArrayBuffer returned by mapReadOnly or mapFile", &detached);
  if (m == NULL) return detached ? bool_result(env, false) : NULL;
  /* Mark first: once detached, the finalizer may run at any later point and must skip munmap. */
  m->unmapped = true;
  bool ok = m->untracked ? untracked_table->detach(argv[0]) : napi_detach_arraybuffer(env, argv[0]) == napi_ok;
  if (!ok) {
    m->unmapped = false;
    napi_throw_error(env, "ERR_NAPI", "could not detach the mapped ArrayBuffer");
    return NULL;
  }
  munmap(m->base, m->len);
  return bool_result(env, true);
}

/* release(buffer) -> boolean: madvise(MADV_DONTNEED) over the whole mapping. Its pages leave this
 * process's resident set (they stay in the page cache: the next read faults them back in, with the
 * same bytes, as the file is read-only and never modified). False if the buffer was unmapped. */
static napi_value release(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool detached;
  if (!arg_list(env, info, 1, argv, NULL, "expected (buffer)")) return NULL;
  mapping *m = mapping_of(env, argv[0], "release takes an ArrayBuffer returned by mapReadOnly or mapFile", &detached);
  if (m == NULL) return detached ? bool_result(env, false) : NULL;
  return bool_result(env, !m->unmapped && madvise(m->base, m->len, MADV_DONTNEED) == 0);
}

/* useUntracked(table: External) -> boolean: later mappings are made by the companion addon. */
static napi_value use_untracked(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data = NULL;
  napi_valuetype type;
  if (!arg_list(env, info, 1, argv, NULL, "expected (table)")) return NULL;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "table must be the companion addon's External");
    return NULL;
  }
  const rt_untracked_table *table = (const rt_untracked_table *)data;
  bool fits = table->magic == RT_UNTRACKED_MAGIC && table->version == RT_UNTRACKED_VERSION;
  if (fits) untracked_table = table;
  return bool_result(env, fits);
}

static napi_value untracked_in_use(napi_env env, napi_callback_info info) {
  (void)info;
  return bool_result(env, untracked_table != NULL);
}

bool mapping_exports(napi_env env, napi_value exports) {
  return export_function(env, exports, "mapReadOnly", map_read_only, NULL) &&
         export_function(env, exports, "mapFile", map_file, NULL) && export_function(env, exports, "unmap", unmap, NULL) &&
         export_function(env, exports, "release", release, NULL) &&
         export_function(env, exports, "useUntracked", use_untracked, NULL) &&
         export_function(env, exports, "untrackedInUse", untracked_in_use, NULL) &&
         export_number(env, exports, "pageSize", (double)sysconf(_SC_PAGESIZE)) &&
         export_number(env, exports, "maxWindow", (double)MAX_WINDOW);
}
