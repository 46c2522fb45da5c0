/* Stands in for glibc's <sys/single_threaded.h> when the build tool compiles C++ (tool/build.mjs).
 * libstdc++'s shared_ptr reads glibc's __libc_single_threaded when this header exists, and that
 * symbol (GLIBC_2.32) would keep a prebuilt addon from loading on glibc 2.28..2.31, where Node 20
 * runs. Here the process is never taken for single-threaded: reference counts stay atomic, as they
 * must in Node anyway. */
#ifndef ROTORTREE_COMPAT_SINGLE_THREADED_H
#define ROTORTREE_COMPAT_SINGLE_THREADED_H
#define __libc_single_threaded rotortree_never_single_threaded
static const char rotortree_never_single_threaded = 0;
#endif
