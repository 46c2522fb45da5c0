/*
 * lockExclusive(fd) -> boolean: flock(fd, LOCK_EX | LOCK_NB). True when taken; false when another
 * open file description holds it (in this process or another); throws with the errno name as
 * `code` otherwise. `fd` may be a directory opened read-only: the lock then guards something that
 * cannot be deleted while the tree exists (a deleted lock FILE would let a second opener lock a
 * new file of the same name). The lock goes with the open file description: closing the fd (or the
 * process dying) releases it; Node opens fds O_CLOEXEC, so children do not inherit it.
 *
 * The same call as fs-ext's flockSync(fd, 'exnb'): fs-ext stays the provider where it built, this
 * one stands in where it did not (see src/lock.ts).
 */
#include "flock.h"

#include <errno.h>
#include <sys/file.h>

static napi_value lock_exclusive(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!arg_list(env, info, 1, argv, NULL, "expected (fd)") || !arg_fd(env, argv[0], &fd)) return NULL;
  int rc;
  do {
    rc = flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EWOULDBLOCK) return throw_errno(env, "flock", errno);
  return bool_result(env, rc == 0);
}

bool flock_exports(napi_env env, napi_value exports) {
  return export_function(env, exports, "lockExclusive", lock_exclusive, NULL);
}
