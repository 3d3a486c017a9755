/* preload backend: any allocator, by LD_PRELOAD, through the standard API.
 *
 * `fragsim run --allocator preload:/path/liballoc.so` execs the worker
 * fragsim-preload with LD_PRELOAD=/path/liballoc.so (cli.c).  The worker is
 * linked with no allocator, so malloc in this process is whatever the
 * preloaded library provides: values go through malloc, free and
 * malloc_usable_size, and nothing else is asked of the library.
 *
 * The library's own statistics are unknown to fragsim, so none of the
 * allocator_* fields is reported: the run measures used_memory (usable
 * sizes) and the kernel's RSS, which is what a stranger allocator can
 * honestly be judged by.  init() checks that malloc and malloc_usable_size
 * really come from the preloaded library: if the library does not replace
 * them, the run would silently measure glibc instead. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* The first object in LD_PRELOAD: the allocator under test. */
static const char *preload_path(void) {
    static char path[PATH_MAX];
    const char *env = getenv("LD_PRELOAD");
    if (env == NULL || *env == '\0') return NULL;
    size_t n = strcspn(env, ": ");
    if (n >= sizeof path) n = sizeof path - 1;
    memcpy(path, env, n);
    path[n] = '\0';
    return path;
}

/* Does the function at addr live in the object at want (compared by real
 * path, so symlinks like libjemalloc.so -> libjemalloc.so.2 agree)? */
static int defined_in(void *addr, const char *want) {
    Dl_info info;
    char a[PATH_MAX], b[PATH_MAX];
    if (dladdr(addr, &info) == 0 || info.dli_fname == NULL) return 0;
    if (realpath(info.dli_fname, a) == NULL || realpath(want, b) == NULL) return 0;
    return strcmp(a, b) == 0;
}

static int pl_init(void **state, fs_err *err) {
    *state = NULL;
    const char *path = preload_path();
    if (path == NULL)
        return fs_errf(err, "the preload backend needs LD_PRELOAD: use --allocator preload:PATH.so");
    void *m = dlsym(RTLD_DEFAULT, "malloc"), *u = dlsym(RTLD_DEFAULT, "malloc_usable_size");
    if (!defined_in(m, path))
        return fs_errf(err, "%s does not replace malloc in this process: fragsim would measure "
                       "glibc's allocator instead", path);
    if (!defined_in(u, path))
        return fs_errf(err, "%s replaces malloc but not malloc_usable_size: fragsim cannot count "
                       "used_memory (usable sizes) for it", path);
    return 0;
}

static void *pl_alloc(void *state, size_t size, size_t *usable) {
    (void)state;
    void *p = malloc(size);
    if (p != NULL) *usable = malloc_usable_size(p);
    return p;
}

static void pl_free(void *state, void *p, size_t size) {
    (void)state, (void)size;
    free(p);
}

static void *pl_realloc(void *state, void *p, size_t old_size, size_t size, size_t *usable) {
    (void)state, (void)old_size;
    void *q = realloc(p, size);
    if (q != NULL) *usable = malloc_usable_size(q);
    return q;
}

static int pl_stats(void *state, backend_stats *out, fs_err *err) {
    (void)state, (void)err;
    memset(out, 0, sizeof *out); /* nothing known: every field stays empty */
    return 0;
}

static const char *pl_version(void *state) {
    (void)state;
    const char *p = preload_path();
    return p ? p : "";
}

static void pl_settings(void *state, backend_setting_fn fn, void *arg) {
    (void)state;
    const char *p = getenv("LD_PRELOAD");
    if (p != NULL) fn(arg, "LD_PRELOAD", p);
}

static const backend_ops preload_ops = {
    .name = "preload",
    .description = "any allocator by LD_PRELOAD, through malloc/free/malloc_usable_size; "
                   "RSS and used_memory only",
    .init = pl_init,
    .alloc = pl_alloc,
    .free = pl_free,
    .realloc = pl_realloc,
    .stats = pl_stats,
    .purge = NULL,
    .version = pl_version,
    .settings = pl_settings,
};

const backend_ops *const backend_self = &preload_ops;
