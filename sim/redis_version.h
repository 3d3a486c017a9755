/* redis_version: what a run's INFO memory stands for.  Two things set it:
 * the Redis version whose formulas INFO uses (--redis-version), and the
 * server build whose start-up memory the emulated server holds besides the
 * data (chosen by the allocator: Debian's redis-server links Debian's
 * jemalloc, upstream's links its own bundled one).
 *
 * Formulas, from Redis's object.c getMemoryOverheadData (the cron's copies
 * of RSS and jemalloc's statistics):
 *   7.0, 7.2  allocator_frag_bytes = allocator_active - allocator_allocated
 *   7.4       allocator_frag_bytes = frag_smallbins_bytes: over jemalloc's
 *             small bins, (nregs * curslabs - curregs) * region size (PR 12996)
 *   all       allocator_frag_ratio = 1 + allocator_frag_bytes / allocator_allocated
 *             (in 7.0/7.2 that is active / allocated)
 *             mem_fragmentation_ratio = used_memory_rss / used_memory
 *             allocator_rss = resident / active, rss_overhead = rss / resident */
#ifndef FRAGSIM_REDIS_VERSION_H
#define FRAGSIM_REDIS_VERSION_H

#include <stdint.h>

#include "../allocators/backend.h"
#include "base/fs_err.h"

typedef enum redis_version {
    REDIS_VERSION_7_0, /* the default: the servers fragsim is checked against */
    REDIS_VERSION_7_2,
    REDIS_VERSION_7_4,
} redis_version;

/* "7.0", "7.2" or "7.4" into *out.  Returns 0, or -1 with err naming what
 * was expected. */
int redis_version_parse(const char *s, redis_version *out, fs_err *err);
/* "7.0", "7.2", "7.4". */
const char *redis_version_name(redis_version v);
/* 1 when the version's allocator_frag comes from the small bins (7.4). */
int redis_version_frag_from_bins(redis_version v);

/* An empty redis-server of one build, as measured: INFO memory's
 * used_memory and used_memory_rss, read over one client connection 2 s
 * after start (allocators/redis-jemalloc/measure_startup.sh, the median of
 * three starts). */
typedef struct redis_startup {
    const char *allocator;     /* the backend replaying that build's allocator */
    const char *server;        /* the build measured */
    const char *mem_allocator; /* its INFO mem_allocator */
    uint64_t used_memory;      /* bytes */
    uint64_t rss;              /* bytes */
    int measured;              /* 0: no such build was measured; the row
                                  named in `server` stands in */
} redis_startup;

/* The start-up memory of the server the allocator stands for, at the
 * version.  Only 7.0.15 builds were measured: at 7.2 and 7.4 their figures
 * stand in (measured 0), as do Debian's server's for an allocator no Redis
 * build here uses. */
redis_startup redis_version_startup(const char *allocator, redis_version v);

/* frag_smallbins_bytes of Redis 7.4's zmalloc_get_frag_smallbins, from the
 * backend's bins, into *out.  Returns 1 when done, 0 when the backend has
 * no bins to read (the figure is not available), -1 on error. */
int redis_version_smallbins_frag(const backend_ops *be, void *state, uint64_t *out, fs_err *err);

#endif
