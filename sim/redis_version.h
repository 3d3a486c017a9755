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

/* INFO memory's fields, as each version's genRedisInfoString (src/server.c)
 * prints them: one table in print order, each row with the versions that
 * print it and where fragsim takes its value from.  A new version is one
 * more bit in the rows' masks (and a row for each field it adds), not code.
 * The sources read for each version are in redis_version.c. */
#define REDIS_VERSION_BIT(v) (1u << (v))
#define REDIS_VERSIONS_ALL (REDIS_VERSION_BIT(REDIS_VERSION_7_0) | \
                            REDIS_VERSION_BIT(REDIS_VERSION_7_2) | \
                            REDIS_VERSION_BIT(REDIS_VERSION_7_4))

typedef enum redis_info_source {
    RIS_USED_MEMORY,      /* the data's used_memory + used_memory_startup */
    RIS_USED_MEMORY_HUMAN,
    RIS_RSS,              /* the emulated server's used_memory_rss */
    RIS_RSS_HUMAN,
    RIS_PEAK,             /* used_memory_peak + used_memory_startup */
    RIS_PEAK_HUMAN,
    RIS_PEAK_PERC,        /* used_memory / used_memory_peak, percent */
    RIS_STARTUP,          /* the empty server's used_memory */
    RIS_ALLOCATED,        /* the replayed heap's allocator statistics */
    RIS_ACTIVE,
    RIS_RESIDENT,
    RIS_MUZZY,
    RIS_SYSTEM_MEMORY,    /* this machine's, as Redis reads it (sysconf) */
    RIS_SYSTEM_MEMORY_HUMAN,
    RIS_MAXMEMORY,        /* the run's redis.conf settings */
    RIS_MAXMEMORY_HUMAN,
    RIS_MAXMEMORY_POLICY,
    RIS_FRAG_RATIO,       /* the ratios and bytes of the version's formulas */
    RIS_FRAG_BYTES,
    RIS_RSS_RATIO,
    RIS_RSS_BYTES,
    RIS_OVERHEAD_RATIO,
    RIS_OVERHEAD_BYTES,
    RIS_MEM_FRAG_RATIO,
    RIS_MEM_FRAG_BYTES,
    RIS_MEM_ALLOCATOR,    /* the library replayed, named as Redis names it */
    RIS_DEFRAG_RUNNING,
    RIS_REHASHING,        /* the keyspace dicts' old bucket arrays (objmodel.h) */
    RIS_IDLE_ZERO,        /* 0, what a server prints that has none of it */
    RIS_LEFT_OUT,         /* not modelled: not printed, named in a comment */
} redis_info_source;

typedef struct redis_info_field {
    const char *name;
    unsigned versions;       /* REDIS_VERSION_BITs of the versions printing it */
    redis_info_source source;
    const char *note;        /* RIS_IDLE_ZERO, RIS_LEFT_OUT: why; a field
                                newer than 7.0: what it is; else NULL */
} redis_info_field;

extern const redis_info_field redis_info_memory[];
extern const size_t redis_info_memory_count;

/* 1 when version v's INFO memory prints the field. */
int redis_version_prints(const redis_info_field *f, redis_version v);
/* Where the version's field list was read: repository, path, version. */
const char *redis_version_info_source(redis_version v);

#endif
