/*
 * startWriteback(fd) -> Promise<void>: sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) on the libuv
 * pool. It starts the write-out of every dirty page of the file that is not under write-out already,
 * and does not wait for it: the device works on a long record while the rest of it is still being
 * written, so the fdatasync at the end finds little left to do. Unlike an fdatasync it commits no
 * journal and flushes no device cache, and it makes nothing durable; it does not consume a write-back
 * error either (the fdatasync after it still reports one). Exported on Linux only. A failed call
 * rejects with an Error whose `code` is the errno name.
 */
#define _GNU_SOURCE
#include "writeback.h"

#ifdef __linux__
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  int err;
} writeback_job;

static void run(napi_env env, void *data) {
  (void)env;
  writeback_job *job = data;
  job->err = sync_file_range(job->fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0 ? 0 : errno;
}

static void settle(napi_env env, napi_status status, void *data) {
  writeback_job *job = data;
  if (status == napi_ok && job->err == 0) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, job->deferred, undefined);
  } else {
    napi_value error = errno_error(env, "sync_file_range", status == napi_ok ? job->err : EIO);
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value start_writeback(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!arg_list(env, info, 1, argv, NULL, "expected (fd)") || !arg_fd(env, argv[0], &fd)) return NULL;
  writeback_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  job->fd = fd;
  napi_value promise, name;
  if (napi_create_string_utf8(env, "rotortree:startWriteback", NAPI_AUTO_LENGTH, &name) == napi_ok &&
      napi_create_promise(env, &job->deferred, &promise) == napi_ok) {
    if (napi_create_async_work(env, NULL, name, run, settle, job, &job->work) == napi_ok) {
      if (napi_queue_async_work(env, job->work) == napi_ok) return promise;
      napi_delete_async_work(env, job->work);
    }
  }
  /* Not queued: the caller gets the thrown error (a promise made is left pending, unreachable). */
  free(job);
  napi_throw_error(env, "ERR_NAPI", "cannot queue startWriteback");
  return NULL;
}

bool writeback_exports(napi_env env, napi_value exports) {
  return export_function(env, exports, "startWriteback", start_writeback, NULL);
}
#else
bool writeback_exports(napi_env env, napi_value exports) {
  (void)env;
  (void)exports;
  return true;
}
#endif
