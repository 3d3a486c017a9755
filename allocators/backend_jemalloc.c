/* jemalloc backend (Debian's libjemalloc 5.3, unprefixed API).
 *
 * The same file is the backend of the je_-prefixed jemallocs built as
 * Redis builds its bundled one (allocators/redis-jemalloc/, CMakeLists.txt:
 * jemalloc-redis, jemalloc-5.3-q8): compiled with JEMALLOC_MANGLE, their
 * jemalloc.h maps mallocx, mallctl... to je_mallocx, je_mallctl..., and
 * FRAGSIM_JE_NAME names the backend.  Such a jemalloc does not replace
 * malloc: only the values go to it, as only Redis's zmalloc does.
 *
 * Values are allocated with mallocx/sdallocx rather than malloc/free: the
 * explicit API reaches jemalloc even in a sanitizer build, where malloc
 * belongs to the sanitizer, and the sized free spares jemalloc a lookup, as
 * a server that knows its sizes would.  Statistics are the process-wide
 * totals Redis's INFO memory reads: stats.allocated, active, resident,
 * mapped, retained, metadata after an `epoch` refresh. */
#include <jemalloc/jemalloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "backend_options.h"

#ifndef FRAGSIM_JE_NAME
#define FRAGSIM_JE_NAME "jemalloc"
#define FRAGSIM_JE_DESCRIPTION "jemalloc 5.x through mallocx/sdallocx and mallctl statistics"
#endif
/* A prefixed jemalloc reads its options from <PREFIX>MALLOC_CONF. */
#ifdef JEMALLOC_MANGLE
#define JE_CONF_ENV "JE_MALLOC_CONF"
#else
#define JE_CONF_ENV "MALLOC_CONF"
#endif

static int read_size(const char *name, uint64_t *out, fs_err *err) {
    size_t v, len = sizeof v;
    int rc = mallctl(name, &v, &len, NULL, 0);
    if (rc != 0) return fs_errf(err, "jemalloc mallctl('%s') failed: %s", name, strerror(rc));
    *out = v;
    return 0;
}

static int je_init(void **state, fs_err *err) {
    *state = NULL;
    bool stats_on = false;
    size_t len = sizeof stats_on;
    if (mallctl("config.stats", &stats_on, &len, NULL, 0) != 0 || !stats_on)
        return fs_errf(err, "this jemalloc was built without statistics (config.stats): "
                       "fragsim cannot measure it");
    return 0;
}

static void *je_block_alloc(void *state, size_t size, size_t *usable) {
    (void)state;
    void *p = mallocx(size, 0);
    if (p != NULL) *usable = sallocx(p, 0);
    return p;
}

static void je_block_free(void *state, void *p, size_t size) {
    (void)state;
    sdallocx(p, size, 0);
}

/* rallocx, as Redis's zrealloc reaches jemalloc: in place when the new
 * size keeps the size class (or a large extent can grow), else a move. */
static void *je_block_realloc(void *state, void *p, size_t old_size, size_t size, size_t *usable) {
    (void)state, (void)old_size;
    void *q = rallocx(p, size, 0);
    if (q != NULL) *usable = sallocx(q, 0);
    return q;
}

static void je_purge_stats(unsigned a, backend_stats *out);

static int je_stats(void *state, backend_stats *out, fs_err *err) {
    (void)state;
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    if (mallctl("epoch", &epoch, &len, &epoch, len) != 0)
        return fs_errf(err, "jemalloc mallctl('epoch') failed");
    memset(out, 0, sizeof *out);
    if (read_size("stats.allocated", &out->allocated, err) != 0 ||
        read_size("stats.active", &out->active, err) != 0 ||
        read_size("stats.resident", &out->resident, err) != 0 ||
        read_size("stats.mapped", &out->mapped, err) != 0 ||
        read_size("stats.retained", &out->retained, err) != 0 ||
        read_size("stats.metadata", &out->metadata, err) != 0)
        return -1;
    out->have = BACKEND_HAVE_ALLOCATED | BACKEND_HAVE_ACTIVE | BACKEND_HAVE_RESIDENT |
                BACKEND_HAVE_MAPPED | BACKEND_HAVE_RETAINED | BACKEND_HAVE_METADATA;
    je_purge_stats(MALLCTL_ARENAS_ALL, out);
    return 0;
}

/* Purge activity of arena a (MALLCTL_ARENAS_ALL: summed over all), into
 * *out with its have bits; nothing when jemalloc will not say.  Two page
 * gauges (size_t), then six counters (uint64_t). */
static void je_purge_stats(unsigned a, backend_stats *out) {
    static const char *const stat[] = {"pdirty",       "pmuzzy",         "dirty_purged",
                                       "muzzy_purged", "dirty_npurge",   "muzzy_npurge",
                                       "dirty_nmadvise", "muzzy_nmadvise"};
    uint64_t v[8];
    size_t page = 0, len = sizeof page;
    if (mallctl("arenas.page", &page, &len, NULL, 0) != 0) return;
    for (size_t i = 0; i < 8; i++) {
        char name[96];
        snprintf(name, sizeof name, "stats.arenas.%u.%s", a, stat[i]);
        if (i < 2) {
            size_t sv;
            len = sizeof sv;
            if (mallctl(name, &sv, &len, NULL, 0) != 0) return;
            v[i] = sv;
        } else {
            len = sizeof v[i];
            if (mallctl(name, &v[i], &len, NULL, 0) != 0) return;
        }
    }
    uint64_t pdirty = v[0], pmuzzy = v[1], dirty_purged = v[2], muzzy_purged = v[3];
    uint64_t npurge = v[4] + v[5], nmadvise = v[6] + v[7];
    out->dirty = pdirty * page;
    out->muzzy = pmuzzy * page;
    /* dirty_purged counts pages purged out of dirty (to muzzy with
     * MADV_FREE when muzzy decay is on, else straight back with
     * MADV_DONTNEED, Debian's default); muzzy_purged those purged out of
     * muzzy.  Each purge step counts, as jemalloc counts them. */
    out->purged = (dirty_purged + muzzy_purged) * page;
    out->npurge = npurge;
    out->nmadvise = nmadvise;
    out->have |= BACKEND_HAVE_DIRTY | BACKEND_HAVE_MUZZY | BACKEND_HAVE_PURGED |
                 BACKEND_HAVE_NPURGE | BACKEND_HAVE_NMADVISE;
}

/* Decay runs on the wall clock.  Scale both decay times of every arena (and
 * the default for arenas made later) so that a decay of D ms lasts D virtual
 * ms at the replay's speed.  -1 (never) and 0 (at once) stay as they are. */
static int je_time_scale(void *state, double speed, backend_setting_fn fn, void *arg, fs_err *err) {
    (void)state;
    static const char *const kinds[] = {"dirty_decay_ms", "muzzy_decay_ms"};
    unsigned narenas = 0;
    size_t len = sizeof narenas;
    if (mallctl("arenas.narenas", &narenas, &len, NULL, 0) != 0)
        return fs_errf(err, "jemalloc mallctl('arenas.narenas') failed");
    for (int k = 0; k < 2; k++) {
        char name[96], buf[32];
        ssize_t v;
        len = sizeof v;
        snprintf(name, sizeof name, "opt.%s", kinds[k]);
        if (mallctl(name, &v, &len, NULL, 0) != 0)
            return fs_errf(err, "jemalloc mallctl('%s') failed", name);
        ssize_t scaled = v <= 0 ? v : (ssize_t)((double)v / speed + 0.5);
        if (v > 0 && scaled < 1) scaled = 1; /* 0 would mean "at once" */
        snprintf(name, sizeof name, "arenas.%s", kinds[k]);
        int rc = mallctl(name, NULL, NULL, &scaled, sizeof scaled);
        if (rc != 0) return fs_errf(err, "jemalloc mallctl('%s') failed: %s", name, strerror(rc));
        for (unsigned i = 0; i < narenas; i++) {
            snprintf(name, sizeof name, "arena.%u.%s", i, kinds[k]);
            /* Arenas not yet initialised refuse (EFAULT); they will take the
             * default just set. */
            (void)mallctl(name, NULL, NULL, &scaled, sizeof scaled);
        }
        snprintf(name, sizeof name, "%s_wall", kinds[k]);
        snprintf(buf, sizeof buf, "%zd", scaled);
        fn(arg, name, buf);
    }
    return 0;
}

/* A server's cron allocates and frees on every tick, and jemalloc's decay
 * only advances when something touches the arena: without this an idle
 * trace would never see a dirty page purged.  arena.<all>.decay purges what
 * the decay curve says is due now, and nothing more. */
static void je_heaps_flush(void);

static void je_tick(void *state) {
    (void)state;
    je_heaps_flush();
    char name[64];
    snprintf(name, sizeof name, "arena.%u.decay", (unsigned)MALLCTL_ARENAS_ALL);
    (void)mallctl(name, NULL, NULL, NULL, 0);
}

/* Redis's set_jemalloc_bg_thread: `background_thread` written at run
 * time.  One thread: Redis's arenas all fall to thread 0 (arena i goes to
 * thread i mod max_background_threads), and one thread keeps its sleeps in
 * a single order on the virtual clock. */
static int je_background_thread(void *state, int on, int *nthreads, fs_err *err) {
    (void)state;
    if (on >= 0) {
        bool v = on != 0;
        size_t one = 1;
        int rc;
        if (v && (rc = mallctl("max_background_threads", NULL, NULL, &one, sizeof one)) != 0)
            return fs_errf(err, "jemalloc mallctl('max_background_threads') failed: %s",
                           strerror(rc));
        if ((rc = mallctl("background_thread", NULL, NULL, &v, sizeof v)) != 0)
            return fs_errf(err, "jemalloc mallctl('background_thread') failed: %s", strerror(rc));
    }
    bool enabled = false;
    size_t len = sizeof enabled, n = 0;
    if (mallctl("background_thread", &enabled, &len, NULL, 0) != 0) enabled = false;
    uint64_t epoch = 1;
    len = sizeof epoch;
    (void)mallctl("epoch", &epoch, &len, &epoch, len);
    len = sizeof n;
    if (!enabled || mallctl("stats.background_thread.num_threads", &n, &len, NULL, 0) != 0) n = 0;
    *nthreads = (int)n;
    return 0;
}

static int je_purge(void *state, fs_err *err) {
    (void)state;
    /* MEMORY PURGE does exactly this: every arena, dirty and muzzy pages. */
    char name[64];
    snprintf(name, sizeof name, "arena.%u.purge", (unsigned)MALLCTL_ARENAS_ALL);
    int rc = mallctl(name, NULL, NULL, NULL, 0);
    if (rc != 0) return fs_errf(err, "jemalloc mallctl('%s') failed: %s", name, strerror(rc));
    return 0;
}

/* Per-bin figures summed over all arenas (MALLCTL_ARENAS_ALL), after an
 * epoch refresh.  Types as jemalloc 5.3 declares them: nregs is uint32_t,
 * the rest size_t. */
static int je_bins(void *state, backend_bin_fn fn, void *arg, fs_err *err) {
    (void)state;
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    if (mallctl("epoch", &epoch, &len, &epoch, len) != 0)
        return fs_errf(err, "jemalloc mallctl('epoch') failed");
    unsigned nbins = 0;
    len = sizeof nbins;
    if (mallctl("arenas.nbins", &nbins, &len, NULL, 0) != 0)
        return fs_errf(err, "jemalloc mallctl('arenas.nbins') failed");
    for (unsigned j = 0; j < nbins; j++) {
        backend_bin b;
        char name[96];
        uint32_t nregs;
        len = sizeof nregs;
        snprintf(name, sizeof name, "arenas.bin.%u.nregs", j);
        if (mallctl(name, &nregs, &len, NULL, 0) != 0)
            return fs_errf(err, "jemalloc mallctl('%s') failed", name);
        b.nregs = nregs;
        static const char *const fixed[] = {"size", "slab_size"};
        static const char *const live[] = {"curslabs", "curregs", "nonfull_slabs"};
        uint64_t *fixed_out[] = {&b.size, &b.slab_size};
        uint64_t *live_out[] = {&b.curslabs, &b.curregs, &b.nonfull_slabs};
        for (int k = 0; k < 5; k++) {
            size_t v;
            len = sizeof v;
            if (k < 2)
                snprintf(name, sizeof name, "arenas.bin.%u.%s", j, fixed[k]);
            else
                snprintf(name, sizeof name, "stats.arenas.%u.bins.%u.%s",
                         (unsigned)MALLCTL_ARENAS_ALL, j, live[k - 2]);
            if (mallctl(name, &v, &len, NULL, 0) != 0)
                return fs_errf(err, "jemalloc mallctl('%s') failed", name);
            *(k < 2 ? fixed_out[k] : live_out[k - 2]) = v;
        }
        fn(arg, &b);
    }
    return 0;
}

/* ---- Active defrag: Redis's move rule ----
 *
 * Redis's patched jemalloc (JEMALLOC_FRAG_HINT: the bundled 5.2.1 of Redis
 * 7.0) decides itself, je_get_defrag_hint(p), under the bin's lock from its
 * live bin statistics: exactly Redis's decision, nothing to refresh. */
#ifdef JEMALLOC_FRAG_HINT
int je_get_defrag_hint(void *ptr);

static int je_defrag_hint_lib(void *state, const void *p) {
    (void)state;
    return je_get_defrag_hint((void *)p);
}
#define JE_DEFRAG_HINT je_defrag_hint_lib
#define JE_DEFRAG_REFRESH NULL
#define JE_DEFRAG_RULE "je_get_defrag_hint"
#else
#define JE_DEFRAG_HINT je_defrag_hint
#define JE_DEFRAG_REFRESH je_defrag_refresh
#define JE_DEFRAG_RULE "jemalloc-utilization"

/* ---- the same rule on stock jemalloc ----
 *
 * Redis 7 asks its patched jemalloc (je_get_defrag_hint) whether a block is
 * worth moving; Debian's jemalloc has no such call, so the same rule is
 * computed, as Valkey 8.1 does, from two public pieces: the block's own slab
 * from experimental.utilization.batch_query (regions and free regions of
 * the extent holding it, and its size), and its size class's totals from the
 * bin statistics (slabs, non-full slabs, live regions), read once per slice
 * of defrag work.  A block is moved when its slab is at most 12.5% fuller
 * than the average non-full slab of its class; never a large block (no
 * slab), one in a full slab, or one of a class with fewer than two
 * non-full slabs (nowhere better to go).  Batch query cannot tell the bin's
 * current slab, which the patched hint also skips: such a move lands in
 * the same slab or a fuller one, and costs a copy. */
#define JE_DEFRAG_MAX_BINS 64

typedef struct je_defrag_bin {
    size_t size;  /* bytes per region */
    uint32_t nregs;
    size_t curslabs, nonfull_slabs, curregs; /* as of the last refresh */
    size_t mib[3][6], miblen[3];             /* curslabs, nonfull_slabs, curregs */
} je_defrag_bin;

static struct {
    int ready;  /* 1: set up; -1: this jemalloc cannot say (no batch query) */
    unsigned nbins;
    je_defrag_bin bin[JE_DEFRAG_MAX_BINS];
    size_t query_mib[4], query_miblen;
    size_t epoch_mib[2], epoch_miblen;
} je_df;

static int je_defrag_setup(void) {
    unsigned nbins = 0;
    size_t len = sizeof nbins;
    je_df.query_miblen = 4;
    je_df.epoch_miblen = 2;
    if (mallctl("arenas.nbins", &nbins, &len, NULL, 0) != 0 || nbins > JE_DEFRAG_MAX_BINS ||
        mallctlnametomib("experimental.utilization.batch_query", je_df.query_mib,
                         &je_df.query_miblen) != 0 ||
        mallctlnametomib("epoch", je_df.epoch_mib, &je_df.epoch_miblen) != 0)
        return -1;
    static const char *const live[] = {"curslabs", "nonfull_slabs", "curregs"};
    for (unsigned j = 0; j < nbins; j++) {
        je_defrag_bin *b = &je_df.bin[j];
        char name[96];
        len = sizeof b->size;
        snprintf(name, sizeof name, "arenas.bin.%u.size", j);
        if (mallctl(name, &b->size, &len, NULL, 0) != 0) return -1;
        len = sizeof b->nregs;
        snprintf(name, sizeof name, "arenas.bin.%u.nregs", j);
        if (mallctl(name, &b->nregs, &len, NULL, 0) != 0) return -1;
        for (int k = 0; k < 3; k++) {
            snprintf(name, sizeof name, "stats.arenas.%u.bins.%u.%s", (unsigned)MALLCTL_ARENAS_ALL,
                     j, live[k]);
            b->miblen[k] = 6;
            if (mallctlnametomib(name, b->mib[k], &b->miblen[k]) != 0) return -1;
        }
    }
    je_df.nbins = nbins;
    return 0;
}

static void je_defrag_refresh(void *state) {
    (void)state;
    if (je_df.ready == 0) je_df.ready = je_defrag_setup() == 0 ? 1 : -1;
    if (je_df.ready < 0) return;
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    (void)mallctlbymib(je_df.epoch_mib, je_df.epoch_miblen, &epoch, &len, &epoch, len);
    for (unsigned j = 0; j < je_df.nbins; j++) {
        je_defrag_bin *b = &je_df.bin[j];
        size_t *out[3] = {&b->curslabs, &b->nonfull_slabs, &b->curregs};
        for (int k = 0; k < 3; k++) {
            len = sizeof(size_t);
            if (mallctlbymib(b->mib[k], b->miblen[k], out[k], &len, NULL, 0) != 0) *out[k] = 0;
        }
    }
}

/* The bin whose regions are `size` bytes (bins are in ascending size). */
static const je_defrag_bin *je_defrag_bin_of(size_t size) {
    unsigned lo = 0, hi = je_df.nbins;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (je_df.bin[mid].size < size) lo = mid + 1;
        else hi = mid;
    }
    return lo < je_df.nbins && je_df.bin[lo].size == size ? &je_df.bin[lo] : NULL;
}

static int je_defrag_hint(void *state, const void *p) {
    if (je_df.ready == 0) je_defrag_refresh(state);
    if (je_df.ready < 0) return 0;
    size_t out[3] = {0, 0, 0}, outlen = sizeof out; /* nfree, nregs, extent size */
    if (mallctlbymib(je_df.query_mib, je_df.query_miblen, out, &outlen, &p, sizeof p) != 0 ||
        out[1] <= 1)
        return 0; /* a large block (one region), or not jemalloc's */
    const je_defrag_bin *b = je_defrag_bin_of(out[2] / out[1]);
    if (b == NULL || out[0] == 0 || b->nonfull_slabs < 2) return 0;
    size_t used = out[1] - out[0];
    size_t full_slabs = b->curslabs > b->nonfull_slabs ? b->curslabs - b->nonfull_slabs : 0;
    size_t full_regs = full_slabs * b->nregs;
    if (b->curregs <= full_regs) return 0; /* the statistics are behind: no decision */
    size_t used_nonfull = b->curregs - full_regs;
    /* used / 1 <= 1.125 * used_nonfull / nonfull_slabs, in integers. */
    return 8 * used * b->nonfull_slabs <= 9 * used_nonfull;
}
#endif /* JEMALLOC_FRAG_HINT */

/* Past the thread cache both ways: the new block comes from the arena's
 * bins (its fullest non-full slab), and the old slot goes straight back to
 * its slab instead of waiting in the cache to be handed out again. */
static void *je_defrag_alloc(void *state, size_t size, size_t *usable) {
    (void)state;
    void *p = mallocx(size, MALLOCX_TCACHE_NONE);
    if (p != NULL) *usable = sallocx(p, 0);
    return p;
}

static void je_defrag_free(void *state, void *p, size_t size) {
    (void)state;
    sdallocx(p, size, MALLOCX_TCACHE_NONE);
}

/* ---- Heaps: one arena per shard (arenas.create) ----
 *
 * Each shard gets an arena of its own and an explicit thread cache in
 * front of it (tcache.create), as a server of its own would have its
 * thread's cache in front of its arena: a freed block waits in its shard's
 * cache and goes back out only to that shard.  jemalloc garbage-collects
 * only a thread's own cache; an explicit one would keep up to its
 * per-class limits of freed blocks for good, each pinning a slab, so the
 * cron tick flushes them (je_tick) in place of that collection. */
static struct {
    int n;
    unsigned arena[16];
    unsigned tcache[16];
} je_heaps;

static int je_heaps_create(void *state, int n, fs_err *err) {
    (void)state;
    if (n < 1 || n > (int)(sizeof je_heaps.arena / sizeof *je_heaps.arena) || je_heaps.n != 0)
        return fs_errf(err, "jemalloc: cannot make %d arenas (at most 16, once)", n);
    for (int h = 0; h < n; h++) {
        size_t len = sizeof(unsigned);
        int rc = mallctl("arenas.create", &je_heaps.arena[h], &len, NULL, 0);
        if (rc == 0) {
            len = sizeof(unsigned);
            rc = mallctl("tcache.create", &je_heaps.tcache[h], &len, NULL, 0);
        }
        if (rc != 0)
            return fs_errf(err, "jemalloc mallctl('arenas.create' / 'tcache.create') failed for "
                           "shard %d: %s", h + 1, strerror(rc));
    }
    je_heaps.n = n;
    return 0;
}

/* The shards' caches back to their arenas (on every cron tick). */
static void je_heaps_flush(void) {
    for (int h = 0; h < je_heaps.n; h++)
        (void)mallctl("tcache.flush", NULL, NULL, &je_heaps.tcache[h], sizeof(unsigned));
}

static void *je_heap_alloc(void *state, int h, size_t size, size_t *usable) {
    (void)state;
    int flags = MALLOCX_ARENA(je_heaps.arena[h]) | MALLOCX_TCACHE(je_heaps.tcache[h]);
    void *p = mallocx(size, flags);
    if (p != NULL) *usable = sallocx(p, 0);
    return p;
}

static void je_heap_free(void *state, int h, void *p, size_t size) {
    (void)state;
    sdallocx(p, size, MALLOCX_TCACHE(je_heaps.tcache[h]));
}

static void *je_heap_realloc(void *state, int h, void *p, size_t old_size, size_t size,
                             size_t *usable) {
    (void)state, (void)old_size;
    int flags = MALLOCX_ARENA(je_heaps.arena[h]) | MALLOCX_TCACHE(je_heaps.tcache[h]);
    void *q = rallocx(p, size, flags);
    if (q != NULL) *usable = sallocx(q, 0);
    return q;
}

/* Arena h's share of what je_stats reads: its small and large allocated
 * bytes, active pages, resident, mapped and retained bytes, and its
 * metadata (base + internal, which stats.metadata sums over arenas). */
static int je_heap_stats(void *state, int h, backend_stats *out, fs_err *err) {
    (void)state;
    if (h < 0 || h >= je_heaps.n) return fs_errf(err, "jemalloc: no shard arena %d", h + 1);
    static const char *const stat[] = {"small.allocated", "large.allocated", "pactive",
                                       "resident",        "mapped",          "retained",
                                       "base",            "internal"};
    uint64_t v[8];
    for (int i = 0; i < 8; i++) {
        char name[96];
        snprintf(name, sizeof name, "stats.arenas.%u.%s", je_heaps.arena[h], stat[i]);
        if (read_size(name, &v[i], err) != 0) return -1;
    }
    uint64_t page = 0; /* set by read_size; initialised for -O2 -Werror */
    if (read_size("arenas.page", &page, err) != 0) return -1;
    memset(out, 0, sizeof *out);
    out->allocated = v[0] + v[1];
    out->active = v[2] * page;
    out->resident = v[3];
    out->mapped = v[4];
    out->retained = v[5];
    out->metadata = v[6] + v[7];
    out->have = BACKEND_HAVE_ALLOCATED | BACKEND_HAVE_ACTIVE | BACKEND_HAVE_RESIDENT |
                BACKEND_HAVE_MAPPED | BACKEND_HAVE_RETAINED | BACKEND_HAVE_METADATA;
    je_purge_stats(je_heaps.arena[h], out);
    return 0;
}

static const char *je_version(void *state) {
    (void)state;
    const char *v = NULL;
    size_t len = sizeof v;
    if (mallctl("version", &v, &len, NULL, 0) != 0 || v == NULL) return "unknown";
    return v;
}

static void je_settings(void *state, backend_setting_fn fn, void *arg) {
    (void)state;
    static const char *const ssize_opts[] = {"opt.dirty_decay_ms", "opt.muzzy_decay_ms"};
    static const char *const bool_opts[] = {"opt.tcache", "opt.retain"};
    static const char *const uint_opts[] = {"opt.narenas"};
    char buf[64];
    for (size_t i = 0; i < sizeof ssize_opts / sizeof *ssize_opts; i++) {
        ssize_t v;
        size_t len = sizeof v;
        if (mallctl(ssize_opts[i], &v, &len, NULL, 0) == 0) {
            snprintf(buf, sizeof buf, "%zd", v);
            fn(arg, ssize_opts[i] + 4, buf);
        }
    }
    for (size_t i = 0; i < sizeof bool_opts / sizeof *bool_opts; i++) {
        bool v;
        size_t len = sizeof v;
        if (mallctl(bool_opts[i], &v, &len, NULL, 0) == 0) fn(arg, bool_opts[i] + 4, v ? "true" : "false");
    }
    /* The thread as it runs now: the start-up option, or Redis's switch. */
    bool bg;
    size_t bglen = sizeof bg;
    if (mallctl("background_thread", &bg, &bglen, NULL, 0) == 0)
        fn(arg, "background_thread", bg ? "true" : "false");
    for (size_t i = 0; i < sizeof uint_opts / sizeof *uint_opts; i++) {
        unsigned v;
        size_t len = sizeof v;
        if (mallctl(uint_opts[i], &v, &len, NULL, 0) == 0) {
            snprintf(buf, sizeof buf, "%u", v);
            fn(arg, uint_opts[i] + 4, buf);
        }
    }
    /* MALLOC_CONF as jemalloc read it at start-up (the front end passes it). */
    const char *conf = getenv(JE_CONF_ENV);
    if (conf != NULL) fn(arg, JE_CONF_ENV, conf);
}

/* ---- options: MALLOC_CONF syntax, checked before jemalloc sees it ----
 *
 * jemalloc itself only warns about a bad pair ("<jemalloc>: Invalid conf
 * pair") and runs on with its default, which would silently measure the wrong
 * configuration.  So every pair is checked here against the options of
 * jemalloc 5.3 that a fragmentation study may want, by value type. */
typedef enum je_opt_type { JE_BOOL, JE_DECAY, JE_UINT, JE_SIZE, JE_ENUM } je_opt_type;

typedef struct je_opt {
    const char *name;
    je_opt_type type;
    const char *choices; /* JE_ENUM: "|a|b|c|" */
} je_opt;

static const je_opt je_opts[] = {
    {"dirty_decay_ms", JE_DECAY, NULL},
    {"muzzy_decay_ms", JE_DECAY, NULL},
    {"background_thread", JE_BOOL, NULL},
    {"max_background_threads", JE_UINT, NULL},
    {"narenas", JE_UINT, NULL},
    {"tcache", JE_BOOL, NULL},
    {"tcache_max", JE_SIZE, NULL},
    {"lg_tcache_max", JE_UINT, NULL},
    {"retain", JE_BOOL, NULL},
    {"oversize_threshold", JE_SIZE, NULL},
    {"lg_extent_max_active_fit", JE_UINT, NULL},
    {"percpu_arena", JE_ENUM, "|disabled|percpu|phycpu|"},
    {"thp", JE_ENUM, "|default|always|never|"},
    {"metadata_thp", JE_ENUM, "|disabled|auto|always|"},
    {"dss", JE_ENUM, "|disabled|primary|secondary|"},
    {"junk", JE_ENUM, "|true|false|alloc|free|"},
    {"zero", JE_BOOL, NULL},
    {"abort", JE_BOOL, NULL},
    {"abort_conf", JE_BOOL, NULL},
    {"confirm_conf", JE_BOOL, NULL},
    {"stats_print", JE_BOOL, NULL},
};

static int je_value_ok(const je_opt *o, const char *v, size_t n) {
    char buf[64];
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, v, n);
    buf[n] = '\0';
    char *end;
    switch (o->type) {
    case JE_BOOL: return strcmp(buf, "true") == 0 || strcmp(buf, "false") == 0;
    case JE_DECAY: {
        long long x = strtoll(buf, &end, 10);
        return *end == '\0' && x >= -1;
    }
    case JE_UINT:
    case JE_SIZE: {
        if (buf[0] < '0' || buf[0] > '9') return 0;
        (void)strtoull(buf, &end, 10);
        return *end == '\0';
    }
    case JE_ENUM: {
        char needle[72];
        snprintf(needle, sizeof needle, "|%s|", buf);
        return strstr(o->choices, needle) != NULL;
    }
    }
    return 0;
}

static const char *je_type_words(const je_opt *o) {
    switch (o->type) {
    case JE_BOOL: return "true or false";
    case JE_DECAY: return "milliseconds, or -1 (never decay)";
    case JE_UINT: return "a whole number";
    case JE_SIZE: return "a whole number of bytes";
    case JE_ENUM: return o->choices;
    }
    return "";
}

static int je_option_item(void *arg, const char *name, const char *value, fs_err *err) {
    (void)arg;
    const je_opt *o = NULL;
    for (size_t i = 0; i < sizeof je_opts / sizeof *je_opts && o == NULL; i++)
        if (strcmp(je_opts[i].name, name) == 0) o = &je_opts[i];
    if (o == NULL)
        return fs_errf(err, "unknown jemalloc option '%s' (known: dirty_decay_ms, "
                       "muzzy_decay_ms, background_thread, narenas, tcache, tcache_max, "
                       "retain, oversize_threshold, percpu_arena, thp, metadata_thp, ...)", name);
    if (!je_value_ok(o, value, strlen(value)))
        return fs_errf(err, "jemalloc option %s: '%s' is not %s", o->name, value, je_type_words(o));
    return 0;
}

/* MALLOC_CONF is passed on as given, once every pair has been checked. */
static int je_options_env(const char *spec, backend_setting_fn fn, void *arg, fs_err *err) {
    if (backend_options_split(spec, ':', "jemalloc", "dirty_decay_ms:1000,muzzy_decay_ms:0",
                              je_option_item, NULL, err) != 0)
        return -1;
    fn(arg, JE_CONF_ENV, spec);
    return 0;
}

static const backend_ops jemalloc_ops = {
    .name = FRAGSIM_JE_NAME,
    .description = FRAGSIM_JE_DESCRIPTION,
    .options_env = je_options_env,
    .options_help = "MALLOC_CONF syntax, e.g. dirty_decay_ms:1000,muzzy_decay_ms:0,"
                    "background_thread:true,narenas:1,tcache:false",
    .init = je_init,
    .alloc = je_block_alloc,
    .free = je_block_free,
    .realloc = je_block_realloc,
    .stats = je_stats,
    .purge = je_purge,
    .time_scale = je_time_scale,
    .tick = je_tick,
    .background_thread = je_background_thread,
    .version = je_version,
    .settings = je_settings,
    .fini = NULL,
    .bins = je_bins,
    .defrag_alloc = je_defrag_alloc,
    .defrag_free = je_defrag_free,
    .defrag_hint = JE_DEFRAG_HINT,
    .defrag_hint_rule = JE_DEFRAG_RULE,
    .defrag_refresh = JE_DEFRAG_REFRESH,
    .heaps_create = je_heaps_create,
    .heap_alloc = je_heap_alloc,
    .heap_free = je_heap_free,
    .heap_realloc = je_heap_realloc,
    .heap_stats = je_heap_stats,
    .heap_kind = "arena",
};

const backend_ops *const backend_self = &jemalloc_ops;
