/* trace_stats: what a trace holds, before any allocator sees it.
 *
 * One pass over any trace fragsim reads: events by operation, distinct
 * keys, and a replay of the trace's keyspace without an allocator (the same
 * rules as the engine: conditions, APPEND, expiry, DEL, --fill-on-miss) that
 * gives the live bytes over time and their peak, the churn, and the sizes
 * and TTLs of every value the replay stores.  Each value size is put in the
 * jemalloc size class it would land in, so the internal waste of the size
 * classes shows before any run.
 *
 * This runs in the front end, where no allocator is under test: the
 * histograms and the key set use malloc; the replayed keyspace is the
 * engine's own (keyspace.h). */
#ifndef FRAGSIM_TRACE_STATS_H
#define FRAGSIM_TRACE_STATS_H

#include <stdint.h>

#include "../sim/base/outbuf.h"
#include "../traces/trace_reader.h"

/* The usable size jemalloc 5.3 gives a request of `size` bytes with a
 * 16-byte quantum and 4 KiB pages (Debian's build; what nallocx() returns):
 * 8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320 ... four
 * classes per doubling; small classes end at 14336, larger sizes take the
 * same spacing in whole pages.  0 for 0: an empty value allocates nothing. */
uint64_t trace_stats_jemalloc_class(uint64_t size);

/* TTL buckets of stored values: none, then up to 1 s, 10 s, 1 min, 10 min,
 * 1 h, 1 day, and longer. */
enum { TS_TTL_NONE, TS_TTL_1S, TS_TTL_10S, TS_TTL_1M, TS_TTL_10M, TS_TTL_1H, TS_TTL_1D,
       TS_TTL_LONGER, TS_TTL__COUNT };

typedef struct ts_class {
    uint64_t size;       /* the class's usable size, bytes */
    uint64_t values;     /* values stored in it */
    uint64_t requested;  /* their bytes as asked */
} ts_class;

/* The replayed keyspace at one instant. */
typedef struct ts_point {
    double time;           /* virtual seconds since the first event */
    uint64_t events;       /* events up to this instant */
    uint64_t keys;         /* live keys */
    uint64_t live_bytes;   /* requested bytes of live values */
    uint64_t class_bytes;  /* the same in jemalloc size classes (used_memory on jemalloc) */
} ts_point;

typedef struct trace_stats {
    char format[16];
    int64_t first_us, last_us;         /* trace times of the first and last event */
    uint64_t events;
    uint64_t ops[TRACE_OP__COUNT];
    uint64_t cond_nx, cond_xx;         /* SET/APPEND events with a condition */
    uint64_t gets_with_size;           /* GETs that carry the value's size */
    uint64_t distinct_keys;            /* keys named by any event */
    /* the replay */
    int fill_on_miss;
    uint64_t hits, misses, fills, skipped_writes;
    uint64_t values_stored, written_bytes, freed_bytes;
    uint64_t overwrites, deleted_keys, expired_keys;
    ts_point peak;                     /* at the largest live_bytes */
    ts_point final;                    /* after the last event */
    ts_class *classes;                 /* every class, ascending; unused ones have 0 values */
    size_t nclasses;
    uint64_t ttl[TS_TTL__COUNT];       /* stored values by TTL bucket */
    double interval;                   /* seconds between series points */
    ts_point *series;                  /* one point per interval from the first event, and
                                          one at the last event's time; an idle stretch
                                          (no event, no expiry) keeps only its first and
                                          last points, so work and size follow the
                                          trace's events, not its duration */
    size_t nseries;
    uint64_t idle_points;              /* points of idle stretches not written */
} trace_stats;

/* Reads every event of r (already open).  interval: seconds between series
 * points (> 0).  Returns 0, or -1 with err set (a reader's error or out of
 * memory); *st is then freed. */
int trace_stats_compute(trace_reader *r, double interval, int fill_on_miss, trace_stats *st,
                        fs_err *err);
void trace_stats_free(trace_stats *st);

/* Writes the statistics as text tables, or as one JSON document. */
void trace_stats_print(const trace_stats *st, const char *path, int json, outbuf *ob);

#endif
