/* shards: the figures of each shard of a run whose shards share one
 * process (--shard arenas): the shard's keys and bytes from the engine, its
 * heap's statistics from the backend, measured at every sample (just after
 * the run's own, so both describe the same moment) into shards.csv, and
 * kept for summary.json.
 *
 * The process's RSS is one number and is counted once, in series.csv; a
 * shard's nearest equivalent is its arena's allocator_resident. */
#ifndef FRAGSIM_SHARDS_H
#define FRAGSIM_SHARDS_H

#include "../allocators/backend.h"
#include "../traces/trace_transform.h"
#include "engine.h"
#include "base/outbuf.h"

typedef struct shard_figures {
    uint64_t keys, requested_bytes, used_memory;
    backend_stats alloc;         /* the shard's heap alone */
    double allocator_frag_ratio; /* alloc.active / alloc.allocated; NAN at 0 */
} shard_figures;

typedef struct shard_summary {
    char label[16];      /* "1/3" */
    char cls[48];        /* its class: "<1024" */
    shard_figures final; /* the last sample */
    shard_figures peak;  /* each byte and key count's maximum (not the ratio) */
} shard_summary;

typedef struct shards_writer {
    outbuf ob;
    int n;
    shard_summary *sum; /* n of them, the caller's */
    uint64_t samples;
} shards_writer;

/* Creates dir/shards.csv for the engine's heaps, labelled from t's classes,
 * and fills sum[0..nheaps) with their labels.  Returns 0 or -1. */
int shards_open(shards_writer *w, const char *dir, const engine *e, const transform_spec *t,
                shard_summary *sum, fs_err *err);
/* One row per shard at virtual time vt; the backend's stats() must have
 * just been read.  Returns 0 or -1. */
int shards_sample(shards_writer *w, const engine *e, double vt, fs_err *err);
/* Finishes the file.  Returns 0 or -1. */
int shards_close(shards_writer *w, fs_err *err);

#endif
