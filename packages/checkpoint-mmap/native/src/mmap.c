/*
 * N-API addon of @rotortree/checkpoint-mmap: read-only memory maps of write-once checkpoint
 * segments, an exclusive flock, and a hardware CRC-32C.
 *
 * Exports:
 *   mapReadOnly(fd, offset, length) -> ArrayBuffer   external buffer over mmap(PROT_READ, MAP_SHARED)
 *   mapFile(path, length) -> ArrayBuffer | number    maps a whole file of exactly `length` bytes, else its size
 *   unmap(buffer) -> boolean                          munmap + detach; false if already detached
 *   release(buffer) -> boolean                        madvise(MADV_DONTNEED): pages leave the RSS
 *   lockExclusive(fd) -> boolean                      flock(LOCK_EX | LOCK_NB); false if held elsewhere
 *   crc32c(bytes, crc) -> number                      CRC-32C continuing from crc (0 to start)
 *   pageSize, maxWindow, crcHardware
 *
 * Safety rules this file keeps:
 * - A window is at most 1 GiB: Node 20 refuses external buffers > 4 GiB and runs the finalizer
 *   while refusing (a later free would be a double free).
 * - The file must be at least offset + length bytes long when mapped: reading a mapped page past
 *   the end of file raises SIGBUS. Callers never truncate a mapped file (segments are write-once).
 * - unmap detaches the ArrayBuffer before the pages go away, so JS sees an empty (detached) buffer
 *   instead of touching unmapped memory. The finalizer then skips munmap.
 * - The ArrayBuffer is not counted as external memory by V8 (untracked.cc): mapping a segment
 *   must not make the garbage collector run.
 */
#define _FILE_OFFSET_BITS 64
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <nmmintrin.h>
#define HAVE_X86 1
#endif

#define MAX_WINDOW ((size_t)1 << 30)

typedef struct {
  void *base;   /* page-aligned start of the mapping */
  size_t len;   /* bytes mapped from base */
  bool unmapped;
} mapping;

/* untracked.cc: an ArrayBuffer over `data` that V8 does not count as external memory (no deleter),
 * and its detach (the only way to detach it). */
napi_value rt_untracked_arraybuffer(void *data, size_t length);
bool rt_detach_untracked(napi_value value);

/* The finalizer of the ArrayBuffer object (its napi_wrap): owns the mapping record. */
static void finalize_mapping(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  mapping *m = (mapping *)data;
  if (!m->unmapped) munmap(m->base, m->len);
  free(m);
}

static const char *errno_code(int err) {
  switch (err) {
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case ENODEV: return "ENODEV";
    case EOVERFLOW: return "EOVERFLOW";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    case ENOLCK: return "ENOLCK";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EMFILE: return "EMFILE";
    default: return "EIO";
  }
}

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[128];
  snprintf(msg, sizeof msg, "%s: %s (%s)", errno_code(err), strerror(err), syscall);
  napi_throw_error(env, errno_code(err), msg);
  return NULL;
}

static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "missing arguments");
    return false;
  }
  return true;
}

/* A non-negative safe integer no greater than max. */
static bool get_uint(napi_env env, napi_value v, const char *name, double max, uint64_t *out) {
  double d;
  char msg[96];
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    snprintf(msg, sizeof msg, "%s must be a number", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return false;
  }
  if (!(d >= 0 && d <= max) || d != floor(d)) {
    snprintf(msg, sizeof msg, "%s must be an integer in 0..%.0f", name, max);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
    return false;
  }
  *out = (uint64_t)d;
  return true;
}

static napi_value wrap_mapping(napi_env env, void *base, size_t maplen, size_t delta, size_t length);

static napi_value map_read_only(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint64_t fd, offset, length;
  if (!get_args(env, info, 3, argv) || !get_uint(env, argv[0], "fd", 2147483647.0, &fd) ||
      !get_uint(env, argv[1], "offset", 9007199254740991.0, &offset) ||
      !get_uint(env, argv[2], "length", (double)MAX_WINDOW, &length))
    return NULL;
  if (length == 0) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "length must be at least 1");
    return NULL;
  }
  struct stat st;
  if (fstat((int)fd, &st) != 0) return throw_errno(env, "fstat", errno);
  if ((uint64_t)st.st_size < offset + length) {
    /* Mapping past the end of the file would turn a later read into SIGBUS. */
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "the window reaches past the end of the file");
    return NULL;
  }
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  uint64_t aligned = offset - offset % page;
  size_t delta = (size_t)(offset - aligned);
  size_t maplen = (size_t)length + delta;
  void *base = mmap(NULL, maplen, PROT_READ, MAP_SHARED, (int)fd, (off_t)aligned);
  if (base == MAP_FAILED) return throw_errno(env, "mmap", errno);
  return wrap_mapping(env, base, maplen, delta, (size_t)length);
}

/* Hands `maplen` mapped bytes from `base` to JS as an ArrayBuffer of `length` bytes from base + delta
 * (untracked, wrapped with the record that unmap() and the finalizer use). Unmaps on failure. */
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

  napi_value ab = rt_untracked_arraybuffer((uint8_t *)base + delta, length);
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

/* mapFile(path, length): open + fstat + mmap + close in one call. Returns the ArrayBuffer when the
 * file has exactly `length` bytes, else the file's size (a number) without mapping anything. */
static napi_value map_file(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint64_t length;
  char path[4096];
  size_t path_len = 0;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "path must be a string");
    return NULL;
  }
  if (path_len >= sizeof path - 1) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "path is too long");
    return NULL;
  }
  if (!get_uint(env, argv[1], "length", (double)MAX_WINDOW, &length)) return NULL;
  if (length == 0) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "length must be at least 1");
    return NULL;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open", errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "fstat", err);
  }
  if ((uint64_t)st.st_size != length) {
    close(fd);
    napi_value size;
    napi_create_double(env, (double)st.st_size, &size);
    return size;
  }
  void *base = mmap(NULL, (size_t)length, PROT_READ, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd); /* the mapping stays valid */
  if (base == MAP_FAILED) return throw_errno(env, "mmap", err);
  return wrap_mapping(env, base, (size_t)length, 0, (size_t)length);
}

static napi_value unmap(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value result;
  if (!get_args(env, info, 1, argv)) return NULL;
  bool is_ab = false;
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "unmap takes an ArrayBuffer returned by mapReadOnly");
    return NULL;
  }
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, argv[0], &detached) != napi_ok) return NULL;
  if (detached) {
    /* Already unmapped (its mapping record may be freed by now: never touch it). */
    napi_get_boolean(env, false, &result);
    return result;
  }
  void *hint = NULL;
  if (napi_unwrap(env, argv[0], &hint) != napi_ok || hint == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "this ArrayBuffer was not returned by mapReadOnly");
    return NULL;
  }
  mapping *m = (mapping *)hint;
  void *base = m->base;
  size_t len = m->len;
  /* Mark first: once detached, the finalizer may run at any later point and must skip munmap. */
  m->unmapped = true;
  if (!rt_detach_untracked(argv[0])) {
    m->unmapped = false;
    napi_throw_error(env, "ERR_NAPI", "could not detach the mapped ArrayBuffer");
    return NULL;
  }
  munmap(base, len);
  napi_get_boolean(env, true, &result);
  return result;
}

/* release(buffer) -> boolean: madvise(MADV_DONTNEED) over the whole mapping. Its pages leave this
 * process's resident set (they stay in the page cache: the next read faults them back in, with the
 * same bytes, as the file is read-only and never modified). False if the buffer was unmapped. */
static napi_value release(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value result;
  if (!get_args(env, info, 1, argv)) return NULL;
  bool is_ab = false;
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "release takes an ArrayBuffer returned by mapReadOnly");
    return NULL;
  }
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, argv[0], &detached) != napi_ok) return NULL;
  void *hint = NULL;
  if (!detached && (napi_unwrap(env, argv[0], &hint) != napi_ok || hint == NULL)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "this ArrayBuffer was not returned by mapReadOnly");
    return NULL;
  }
  mapping *m = (mapping *)hint;
  bool done = !detached && !m->unmapped && madvise(m->base, m->len, MADV_DONTNEED) == 0;
  napi_get_boolean(env, done, &result);
  return result;
}

static napi_value lock_exclusive(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value result;
  uint64_t fd;
  if (!get_args(env, info, 1, argv) || !get_uint(env, argv[0], "fd", 2147483647.0, &fd)) return NULL;
  int rc;
  do {
    rc = flock((int)fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EWOULDBLOCK) return throw_errno(env, "flock", errno);
  napi_get_boolean(env, rc == 0, &result);
  return result;
}

/* ---- CRC-32C ---- */

static uint32_t crc_table[8][256];
static bool crc_hw;

static void crc_init(void) {
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = b;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    crc_table[0][b] = c;
  }
  for (uint32_t b = 0; b < 256; b++)
    for (int k = 1; k < 8; k++) crc_table[k][b] = crc_table[0][crc_table[k - 1][b] & 0xff] ^ (crc_table[k - 1][b] >> 8);
#ifdef HAVE_X86
  unsigned a, bx, c, d;
  crc_hw = __get_cpuid(1, &a, &bx, &c, &d) && (c & bit_SSE4_2);
#endif
}

static uint32_t crc_sw(uint32_t c, const uint8_t *p, size_t n) {
  while (n >= 8) {
    uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
    c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^
        crc_table[4][lo >> 24] ^ crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n--) c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)
/* One stream of the SSE4.2 crc32 instruction (~8 GB/s here): plenty for checkpoint segments. */
__attribute__((target("sse4.2"))) static uint32_t crc_hw_run(uint32_t c, const uint8_t *p, size_t n) {
  uint64_t c64 = c;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    c64 = _mm_crc32_u64(c64, w);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = (uint32_t)c64;
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
#endif

static napi_value crc32c(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "bytes must be a Uint8Array");
    return NULL;
  }
  uint64_t crc;
  if (!get_uint(env, argv[1], "crc", 4294967295.0, &crc)) return NULL;
  uint32_t c = ~(uint32_t)crc;
  if (length > 0) {
#if defined(__x86_64__)
    c = crc_hw ? crc_hw_run(c, (const uint8_t *)data, length) : crc_sw(c, (const uint8_t *)data, length);
#else
    c = crc_sw(c, (const uint8_t *)data, length);
#endif
  }
  napi_value result;
  napi_create_uint32(env, ~c, &result);
  return result;
}

static bool set_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

static bool set_num(napi_env env, napi_value exports, const char *name, double v) {
  napi_value num;
  return napi_create_double(env, v, &num) == napi_ok && napi_set_named_property(env, exports, name, num) == napi_ok;
}

NAPI_MODULE_INIT() {
  crc_init();
  napi_value hw;
  if (!set_fn(env, exports, "mapReadOnly", map_read_only) || !set_fn(env, exports, "mapFile", map_file) ||
      !set_fn(env, exports, "unmap", unmap) || !set_fn(env, exports, "release", release) ||
      !set_fn(env, exports, "lockExclusive", lock_exclusive) || !set_fn(env, exports, "crc32c", crc32c) ||
      !set_num(env, exports, "pageSize", (double)sysconf(_SC_PAGESIZE)) ||
      !set_num(env, exports, "maxWindow", (double)MAX_WINDOW) || napi_get_boolean(env, crc_hw, &hw) != napi_ok ||
      napi_set_named_property(env, exports, "crcHardware", hw) != napi_ok)
    return NULL;
  return exports;
}
