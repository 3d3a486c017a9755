/* The statistics test every backend gets (CMakeLists.txt builds this file
 * once per allocator, linked with that allocator alone): allocate about
 * 100 MB of small values, then free three of every four, and check that
 * each statistic the backend reports moves the way its meaning says.
 *
 *  - allocated grows by about the bytes handed out, and falls to about a
 *    quarter of that after the frees;
 *  - active (pages holding live allocations) grows by about as much, and on
 *    the slab allocators stays high after the frees: one live value in four
 *    keeps nearly every slab page in use;
 *  - resident is at least active (dirty pages and metadata come on top);
 *  - fields the backend does not report are not reported at all. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../allocators/backend.h"
#include "../sim/base/emem.h"
#include "../sim/base/rng.h"

#define TOTAL ((size_t)100 << 20)
#define MIB (1024.0 * 1024.0)

typedef struct block {
    void *p;
    size_t size;
} block;

static int is_slab_allocator(const char *name) {
    return strcmp(name, "jemalloc") == 0 || strcmp(name, "mimalloc") == 0 ||
           strcmp(name, "tcmalloc") == 0;
}

Test(alloc_stats, statistics_follow_allocations_and_frees, .timeout = 120) {
    const backend_ops *be = backend_self;
    void *st = NULL;
    fs_err err;
    cr_assert_eq(be->init(&st, &err), 0, "%s", err.msg);
    backend_stats s0, s1, s2;
    cr_assert_eq(be->stats(st, &s0, &err), 0, "%s", err.msg);

    /* Values of 16..256 bytes, the slab allocators' home ground; the list
     * of blocks lives in engine memory, out of the allocator's sight. */
    size_t cap = TOTAL / 16 + 1, n = 0, bytes = 0;
    block *b = emem_map(cap * sizeof *b);
    cr_assert_not_null(b);
    rng r;
    rng_seed(&r, 42);
    while (bytes < TOTAL) {
        size_t size = 16 + rng_below(&r, 241), usable = 0;
        void *p = be->alloc(st, size, &usable);
        cr_assert_not_null(p);
        cr_assert_geq(usable, size);
        memset(p, 'x', size);
        b[n++] = (block){p, size};
        bytes += usable;
    }
    cr_assert_eq(be->stats(st, &s1, &err), 0, "%s", err.msg);
    for (size_t i = 0; i < n; i++)
        if (i % 4 != 0) be->free(st, b[i].p, b[i].size);
    cr_assert_eq(be->stats(st, &s2, &err), 0, "%s", err.msg);

    double handed = (double)bytes;
    cr_log_info("%s: %zu blocks, %.1f MiB usable; allocated %.1f -> %.1f -> %.1f MiB, "
                "active %.1f -> %.1f -> %.1f MiB",
                be->name, n, handed / MIB, s0.allocated / MIB, s1.allocated / MIB,
                s2.allocated / MIB, s0.active / MIB, s1.active / MIB, s2.active / MIB);
    cr_assert_eq(s0.have, s1.have, "the set of reported fields is fixed");
    if (s1.have & BACKEND_HAVE_ALLOCATED) {
        double grew = (double)s1.allocated - (double)s0.allocated;
        cr_assert(grew > 0.9 * handed && grew < 1.15 * handed,
                  "allocated grew %.1f MiB for %.1f MiB handed out", grew / MIB, handed / MIB);
        double left = (double)s2.allocated - (double)s0.allocated;
        cr_assert(left > 0.2 * handed && left < 0.32 * handed,
                  "allocated after freeing 3/4: %.1f MiB of %.1f", left / MIB, handed / MIB);
    } else {
        cr_assert_eq(s1.allocated, 0, "an unreported field stays 0");
    }
    if (s1.have & BACKEND_HAVE_ACTIVE) {
        double grew = (double)s1.active - (double)s0.active;
        cr_assert(grew > 0.9 * handed && grew < 1.3 * handed,
                  "active grew %.1f MiB for %.1f MiB handed out", grew / MIB, handed / MIB);
        if (is_slab_allocator(be->name))
            cr_assert((double)s2.active - (double)s0.active > 0.8 * grew,
                      "on a slab allocator one live value in four keeps the pages active: "
                      "%.1f of %.1f MiB", ((double)s2.active - (double)s0.active) / MIB, grew / MIB);
    } else {
        cr_assert_eq(s1.active, 0, "an unreported field stays 0");
    }
    if ((s1.have & BACKEND_HAVE_RESIDENT) && (s1.have & BACKEND_HAVE_ACTIVE))
        cr_assert_geq(s1.resident, s1.active);
    if (be->purge != NULL) cr_assert_eq(be->purge(st, &err), 0, "%s", err.msg);
    for (size_t i = 0; i < n; i += 4) be->free(st, b[i].p, b[i].size);
    emem_unmap(b, cap * sizeof *b);
    if (be->fini) be->fini(st);
}
