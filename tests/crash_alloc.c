/* A deliberately broken allocator for the compare tests: glibc's malloc
 * behind the standard names, which raises SIGSEGV at the Nth allocation
 * (FRAGSIM_TEST_CRASH_AFTER, default 20000), so that a test can watch
 * fragsim report a crashed allocator while the others' results stand. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static unsigned long calls, limit;

static void count(void) {
    if (limit == 0) {
        const char *s = getenv("FRAGSIM_TEST_CRASH_AFTER");
        limit = s ? strtoul(s, NULL, 10) : 20000;
    }
    if (++calls == limit) raise(SIGSEGV);
}

void *malloc(size_t n) {
    count();
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t m) { return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }

size_t malloc_usable_size(void *p) {
    static size_t (*next)(void *);
    if (next == NULL) next = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
    return next(p);
}
