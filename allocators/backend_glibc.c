/* glibc backend: the C library's own malloc (ptmalloc, glibc 2.36).
 *
 * Values go through malloc/free/malloc_usable_size: glibc has no separate
 * allocation API, so this backend only works where malloc is glibc's.  In
 * the sanitizer build it is AddressSanitizer's, and init() refuses rather
 * than measure ASan's allocator under glibc's name; with another allocator
 * preloaded it refuses too (that one is --allocator preload:PATH).
 *
 * Statistics come from mallinfo2(), which sums every arena (the man page's
 * "main arena only" is out of date: __libc_mallinfo2 walks the arena list)
 * plus the chunks served by mmap.  The engine is single-threaded, so there
 * is one arena anyway: the brk heap.  What mallinfo2 can say honestly:
 *
 *   allocated = uordblks + hblkhd: chunks in use in the arenas, each with
 *               its 8-byte header, plus the mmapped chunks, page-rounded.
 *               Free chunks parked in the per-thread tcache count as in use
 *               (glibc does not know them free): 7 per size class up to
 *               1032 bytes by default.
 *   mapped    = arena + hblkhd: bytes obtained from the kernel (sbrk and
 *               mmap), resident or not.
 *
 * What it cannot: glibc keeps no notion of pages holding live chunks (a
 * free chunk may share its pages with live ones, or span many), so there is
 * no active; nor of which free pages are resident (malloc_trim madvises the
 * inside of free chunks but keeps counting them in fordblks), so there is no
 * resident, retained or dirty; chunk headers live inside the chunks, so
 * there is no metadata.  Those fields stay empty. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "backend_options.h"

#if defined(__SANITIZE_ADDRESS__)
#define GLB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GLB_ASAN 1
#endif
#endif

/* ---- the allocator ---- */

static int glb_init(void **state, fs_err *err) {
    *state = NULL;
#ifdef GLB_ASAN
    return fs_errf(err, "glibc's malloc is replaced by AddressSanitizer in this build; use a normal build");
#else
    /* malloc must be the one in the C library itself: an LD_PRELOADed
     * allocator would be measured under glibc's name. */
    Dl_info m, libc;
    void *malloc_addr = dlsym(RTLD_DEFAULT, "malloc");
    void *libc_addr = dlsym(RTLD_DEFAULT, "gnu_get_libc_version");
    if (malloc_addr == NULL || libc_addr == NULL || dladdr(malloc_addr, &m) == 0 ||
        dladdr(libc_addr, &libc) == 0 || m.dli_fname == NULL || libc.dli_fname == NULL)
        return fs_errf(err, "cannot tell which library malloc comes from in this process (dlsym/dladdr "
                       "failed), so cannot check that it is glibc's");
    if (strcmp(m.dli_fname, libc.dli_fname) != 0)
        return fs_errf(err, "malloc in this process comes from %s, not from glibc (%s): fragsim would "
                       "measure that allocator under glibc's name; use --allocator preload:PATH for it",
                       m.dli_fname, libc.dli_fname);
    return 0;
#endif
}

static void *glb_alloc(void *state, size_t size, size_t *usable) {
    (void)state;
    void *p = malloc(size);
    if (p != NULL) *usable = malloc_usable_size(p);
    return p;
}

static void glb_free(void *state, void *p, size_t size) {
    (void)state;
    (void)size; /* glibc 2.36 has no sized free */
    free(p);
}

static void *glb_realloc(void *state, void *p, size_t old_size, size_t size, size_t *usable) {
    (void)state, (void)old_size;
    void *q = realloc(p, size);
    if (q != NULL) *usable = malloc_usable_size(q);
    return q;
}

static int glb_stats(void *state, backend_stats *out, fs_err *err) {
    (void)state;
    (void)err;
    /* mallinfo2 walks every free chunk of every arena under its lock: tens
     * of milliseconds once the heap holds hundreds of thousands of free
     * chunks (83 ms for 500,000 here), paid once per sample. */
    struct mallinfo2 mi = mallinfo2();
    memset(out, 0, sizeof *out);
    out->allocated = (uint64_t)mi.uordblks + mi.hblkhd;
    out->mapped = (uint64_t)mi.arena + mi.hblkhd;
    out->have = BACKEND_HAVE_ALLOCATED | BACKEND_HAVE_MAPPED;
    return 0;
}

static int glb_purge(void *state, fs_err *err) {
    (void)state;
    (void)err;
    /* Gives back the top of the brk heap beyond 0 bytes of padding and, since
     * glibc 2.8, madvises(MADV_DONTNEED) the whole pages inside every free
     * chunk of every arena: the nearest thing to MEMORY PURGE.  It returns
     * whether anything was released, which is no error either way. */
    (void)malloc_trim(0);
    return 0;
}

static const char *glb_version(void *state) {
    (void)state;
    return gnu_get_libc_version();
}

/* ---- options: glibc.malloc tunables, checked before glibc sees them ----
 *
 * glibc reads GLIBC_TUNABLES when the process starts and drops, without a
 * word, a value outside the tunable's range (perturb above 255, arena_max
 * 0) or one malloc then refuses (mxfast above 160, tcache_max above 1032,
 * tcache_count above 65535): the run would measure the defaults.  So every
 * value is checked here against glibc 2.36's limits (ld.so --list-tunables
 * and malloc.c's do_set_* functions, checked with mallopt and
 * mallinfo2 on this glibc). */

typedef struct glb_tunable {
    const char *name;  /* glibc.malloc.<name> */
    uint64_t min, max; /* inclusive */
    const char *words; /* what is expected, for errors */
} glb_tunable;

static const glb_tunable glb_tunables[] = {
    {"trim_threshold", 0, SIZE_MAX,
     "bytes of free memory at the top of the heap before it is trimmed (a whole number; default "
     "128 KiB, adjusted as large chunks are freed)"},
    {"mmap_threshold", 0, SIZE_MAX,
     "bytes from which a request is served by mmap (a whole number; default 128 KiB, adjusted up to "
     "32 MiB as mmapped chunks are freed)"},
    {"top_pad", 0, SIZE_MAX, "bytes of padding added to each heap extension (a whole number)"},
    {"mmap_max", 0, INT32_MAX, "the most chunks served by mmap at once, 0 to 2147483647"},
    {"arena_max", 1, SIZE_MAX, "the most arenas, at least 1"},
    {"arena_test", 1, SIZE_MAX, "arenas created before arena_max is checked, at least 1"},
    {"tcache_max", 0, 1032, "the largest request (bytes) the per-thread cache keeps, 0 to 1032"},
    {"tcache_count", 0, 65535, "chunks the per-thread cache keeps per size, 0 to 65535 (default 7)"},
    {"tcache_unsorted_limit", 0, SIZE_MAX,
     "unsorted chunks examined to refill the per-thread cache, a whole number (0: no limit)"},
    {"mxfast", 0, 160, "the largest request (bytes) served from fastbins, 0 to 160 (default 128)"},
    {"perturb", 0, 255, "a byte, 0 to 255, that fills new and freed chunks (0: off)"},
    {"hugetlb", 0, 2, "0 (off), 1 (transparent huge pages by madvise) or 2 (hugetlb pages)"},
};
#define GLB_NTUNABLES (sizeof glb_tunables / sizeof *glb_tunables)

static const char glb_options_help[] =
    "glibc options: name=value,... for GLIBC_TUNABLES=glibc.malloc.<name>=<value>:... (e.g. "
    "trim_threshold=0,mmap_threshold=65536,arena_max=1); whole numbers, no suffix; known: "
    "trim_threshold, mmap_threshold, top_pad, mmap_max, arena_max, arena_test, tcache_max (<= 1032), "
    "tcache_count (<= 65535), tcache_unsorted_limit, mxfast (<= 160), perturb (<= 255), hugetlb (0-2)";

static const glb_tunable *glb_find_tunable(const char *name) {
    for (size_t i = 0; i < GLB_NTUNABLES; i++)
        if (strcmp(name, glb_tunables[i].name) == 0) return &glb_tunables[i];
    return NULL;
}

/* The tunables parsed so far, joined into one GLIBC_TUNABLES value; every
 * one is checked before the variable is set, so a bad spec sets nothing. */
typedef struct glb_parsed {
    const glb_tunable *seen[GLB_NTUNABLES];
    size_t n;
    char out[GLB_NTUNABLES * 64];
    size_t outlen;
} glb_parsed;

static int glb_option_item(void *arg, const char *name, const char *value, fs_err *err) {
    glb_parsed *g = arg;
    /* The full tunable name is accepted too. */
    if (strncmp(name, "glibc.malloc.", 13) == 0) name += 13;
    if (strcmp(name, "check") == 0)
        return fs_errf(err, "glibc option 'check' is not accepted: since glibc 2.34 it only works "
                       "with libc_malloc_debug.so preloaded, and it measures the debugging "
                       "allocator, not glibc's");
    const glb_tunable *t = glb_find_tunable(name);
    if (t == NULL)
        return fs_errf(err, "unknown glibc option '%s'; glibc 2.36's malloc tunables are "
                       "trim_threshold, mmap_threshold, top_pad, mmap_max, arena_max, arena_test, "
                       "tcache_max, tcache_count, tcache_unsorted_limit, mxfast, perturb, hugetlb",
                       name);
    for (size_t i = 0; i < g->n; i++)
        if (g->seen[i] == t) return fs_errf(err, "glibc option '%s' is given twice", t->name);
    /* Decimal digits only: glibc would also read 0x hex and ignore what
     * follows the number. */
    char *end = NULL;
    errno = 0;
    unsigned long long v = isdigit((unsigned char)value[0]) ? strtoull(value, &end, 10) : 0;
    if (end == NULL || *end != '\0' || errno != 0 || v < t->min || v > t->max)
        return fs_errf(err, "glibc option %s=%s: expected %s", t->name, value, t->words);
    g->seen[g->n++] = t;
    g->outlen += (size_t)snprintf(g->out + g->outlen, sizeof g->out - g->outlen,
                                  "%sglibc.malloc.%s=%llu", g->outlen ? ":" : "", t->name, v);
    return 0;
}

static int glb_options_env(const char *spec, backend_setting_fn fn, void *arg, fs_err *err) {
    glb_parsed g = {.n = 0, .outlen = 0};
    g.out[0] = '\0';
    if (backend_options_split(spec, '=', "glibc", "trim_threshold=0", glb_option_item, &g, err) != 0)
        return -1;
    if (g.n == 0)
        return fs_errf(err, "glibc options: nothing set; expected name=value,..., e.g. trim_threshold=0");
    fn(arg, "GLIBC_TUNABLES", g.out);
    return 0;
}

/* ---- settings ----
 *
 * glibc cannot report its malloc parameters back (mallopt only sets them,
 * and two of them move on their own), so the settings are what the process
 * was started with: GLIBC_TUNABLES and the older MALLOC_* variables glibc
 * still reads as aliases of the tunables. */
static void glb_settings(void *state, backend_setting_fn fn, void *arg) {
    (void)state;
    static const char *const vars[] = {
        "GLIBC_TUNABLES",         "MALLOC_ARENA_MAX",      "MALLOC_ARENA_TEST", "MALLOC_TOP_PAD_",
        "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_MMAP_MAX_",  "MALLOC_PERTURB_",
        "MALLOC_CHECK_",
    };
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v != NULL) fn(arg, vars[i], v);
    }
}

static const backend_ops glibc_ops = {
    .name = "glibc",
    .description = "glibc's malloc (ptmalloc) through malloc/free, statistics from mallinfo2",
    .options_env = glb_options_env,
    .options_help = glb_options_help,
    .init = glb_init,
    .alloc = glb_alloc,
    .free = glb_free,
    .realloc = glb_realloc,
    .stats = glb_stats,
    .purge = glb_purge,
    .time_scale = NULL,
    .tick = NULL,
    .version = glb_version,
    .settings = glb_settings,
    .fini = NULL,
    .defrag_region = 4096, /* the kernel's page: what free chunks give back by madvise or trim */
};

const backend_ops *const backend_self = &glibc_ops;
