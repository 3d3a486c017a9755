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
    return strncmp(name, "jemalloc", 8) == 0 || strcmp(name, "mimalloc") == 0 ||
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

/* The size classes below 64 bytes: jemalloc built as Redis builds it
 * (--with-lg-quantum=3: jemalloc-redis, jemalloc-5.3-q8) has the 24, 40 and
 * 56-byte classes that Redis's dictEntry and small strings land in;
 * Debian's (16-byte quantum) rounds them up to 32, 48 and 64.  Both the
 * usable size of a block and the bins table must say so. */
static uint64_t bin_size_seen;
static int bin_24_seen;
static void note_bin(void *arg, const backend_bin *bin) {
    (void)arg;
    bin_size_seen = bin->size;
    if (bin->size == 24) bin_24_seen = 1;
}

Test(alloc_stats, jemalloc_quantum_and_the_24_byte_class) {
    const backend_ops *be = backend_self;
    if (strncmp(be->name, "jemalloc", 8) != 0) return; /* jemalloc's classes only */
    int q8 = strcmp(be->name, "jemalloc") != 0;
    void *st = NULL;
    fs_err err;
    cr_assert_eq(be->init(&st, &err), 0, "%s", err.msg);
    static const size_t ask[] = {24, 40, 56};
    for (size_t i = 0; i < 3; i++) {
        size_t usable = 0;
        void *p = be->alloc(st, ask[i], &usable);
        cr_assert_not_null(p);
        cr_assert_eq(usable, q8 ? ask[i] : ask[i] + 8, "%s: %zu bytes asked, %zu usable", be->name,
                     ask[i], usable);
        be->free(st, p, ask[i]);
    }
    cr_assert_not_null(be->bins);
    cr_assert_eq(be->bins(st, note_bin, NULL, &err), 0, "%s", err.msg);
    cr_assert_gt(bin_size_seen, 0, "the bins were reported");
    cr_assert_eq(bin_24_seen, q8, "%s: a 24-byte bin %s", be->name, q8 ? "expected" : "unexpected");
}

/* The defrag hint (the library's je_get_defrag_hint on jemalloc-redis, the
 * same rule from public statistics on the others): no block of a class
 * whose slabs are all full is worth moving; once nine blocks in ten are
 * freed, some of the survivors are. */
Test(alloc_stats, jemalloc_defrag_hint_follows_slab_use, .timeout = 60) {
    const backend_ops *be = backend_self;
    if (be->defrag_hint == NULL) return; /* the engine's generic rule; tested elsewhere */
    void *st = NULL;
    fs_err err;
    cr_assert_eq(be->init(&st, &err), 0, "%s", err.msg);
    enum { N = 20000 };
    void **p = emem_map(N * sizeof *p);
    cr_assert_not_null(p);
    size_t usable;
    for (int i = 0; i < N; i++) cr_assert_not_null(p[i] = be->alloc(st, 48, &usable));
    if (be->defrag_refresh) be->defrag_refresh(st);
    int full_moves = 0;
    for (int i = 0; i < N - 1000; i++) full_moves += be->defrag_hint(st, p[i]);
    cr_assert_eq(full_moves, 0, "%s: %d blocks of full slabs judged worth moving", be->name,
                 full_moves);
    for (int i = 0; i < N; i++)
        if (i % 10 != 0) be->free(st, p[i], 48);
    be->tick(st); /* a cron tick: the thread cache goes back to the slabs */
    if (be->purge) (void)be->purge(st, &err);
    if (be->defrag_refresh) be->defrag_refresh(st);
    int moves = 0;
    for (int i = 0; i < N; i += 10) moves += be->defrag_hint(st, p[i]);
    cr_log_info("%s: %d of %d survivors worth moving", be->name, moves, N / 10);
    cr_assert_gt(moves, 0, "%s: no survivor of a 90%% emptied class judged worth moving", be->name);
    for (int i = 0; i < N; i += 10) be->free(st, p[i], 48);
    emem_unmap(p, N * sizeof *p);
}
