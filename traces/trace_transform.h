/* trace_transform: remedies applied at replay time, as a reader that wraps
 * another reader.  The user's trace is never rewritten: padding,
 * compression, uniform TTLs and shard filtering change the events as they
 * pass, so the same trace file answers every what-if question.
 *
 * Each key's shard and each prefix's TTL live in a small table in the
 * engine's own memory (sim/emem.h): the wrapper runs inside the worker,
 * where malloc is the allocator under test. */
#ifndef FRAGSIM_TRACE_TRANSFORM_H
#define FRAGSIM_TRACE_TRANSFORM_H

#include <stdint.h>

#include "trace_reader.h"

#define TRANSFORM_MAX_BOUNDS 15

typedef enum transform_pad {
    TRANSFORM_PAD_NONE,
    TRANSFORM_PAD_POW2,     /* up to the next power of two */
    TRANSFORM_PAD_MULTIPLE, /* up to a multiple of pad_multiple */
} transform_pad;

typedef enum transform_shard_by {
    TRANSFORM_SHARD_NONE,
    TRANSFORM_SHARD_SIZE, /* class of the value size at the key's first write */
    TRANSFORM_SHARD_TTL,  /* class of the TTL (seconds) at the key's first write */
} transform_shard_by;

/* Which TTL a prefix's keys share under --uniform-ttl.  Every statistic
 * but the first needs the whole trace before the replay starts: a pre-pass
 * over a second reading of the source (transform_ttl_prepass), so a trace
 * on standard input can only use the first.  Statistics are over the SETs
 * of the prefix; a SET without a TTL counts as an infinitely long one for
 * min, max and median (max is none when any SET had none; min only when
 * all did), and is left out of the mean (none when no SET had a TTL). */
typedef enum transform_ttl_stat {
    TRANSFORM_TTL_FIRST, /* the first SET's TTL, streaming */
    TRANSFORM_TTL_MIN,
    TRANSFORM_TTL_MAX,
    TRANSFORM_TTL_MEAN,   /* rounded to the microsecond */
    TRANSFORM_TTL_MEDIAN, /* the lower median: a TTL some SET had */
} transform_ttl_stat;

/* What a replay's transform did, counted as the events pass (for the
 * summary).  Owned by whoever set spec.stats. */
typedef struct transform_stats {
    uint64_t compressed_values; /* writes at or above compress_min */
    uint64_t compress_in_bytes; /* their sizes before compression (after padding) */
    uint64_t compress_out_bytes; /* and after */
    uint64_t padded_values;     /* writes whose size padding raised */
    uint64_t pad_bytes;         /* bytes padding added */
    uint64_t ttl_changed;       /* SETs whose TTL --uniform-ttl changed */
    uint64_t sample_kept_events;    /* --sample-keys: events of kept keys */
    uint64_t sample_dropped_events; /* and of the others, left out */
    uint64_t hash_pack_events;  /* --hash-pack: string events rewritten to their hash */
    uint64_t hash_pack_ttl_events; /* and the EXPIREs / PERSISTs of a hash its fields made */
    double setup_cpu_seconds;   /* CPU spent before the replay: the zstd measurement,
                                   the uniform-ttl pre-pass (part of the run's cpu_time) */
} transform_stats;

typedef struct transform_ttl_table transform_ttl_table;

typedef struct transform_spec {
    transform_pad pad;
    uint64_t pad_multiple;
    double compress_ratio;    /* 0: no compression; else in (0, 1] */
    uint64_t compress_min;    /* values smaller than this are left alone */
    char uniform_ttl_sep;     /* '\0': off; else keys up to this byte share a TTL */
    transform_ttl_stat uniform_ttl_stat;
    /* The pre-pass's TTL per prefix (every statistic but the first); NULL
     * until transform_ttl_prepass fills it.  Owned by the spec's maker:
     * transform_ttl_free. */
    transform_ttl_table *ttl_table;
    /* --compress-sample: the file whose zstd ratio became compress_ratio
     * (NULL: the ratio was given), its level, and the CPU seconds zstd took
     * per input byte (compress_sample.h). */
    const char *compress_sample;
    int compress_level;
    int compress_from_sample; /* compress_ratio waits for the measurement */
    double compress_cost;     /* CPU seconds per input byte; 0: not measured */
    double compress_measured; /* the sample's own ratio (above 1 when it grew) */
    transform_shard_by shard_by;
    /* Class boundaries, ascending: class i holds values below bounds[i]
     * (and at or above bounds[i-1]); the last class holds the rest.  For
     * TTLs, in seconds; keys without a TTL fall in the last class. */
    uint64_t bounds[TRANSFORM_MAX_BOUNDS];
    int nbounds;
    int shard;                /* the shard this replay keeps, 0-based; -1: all */
    /* --shard arenas: every event is kept and marked with its key's shard
     * (trace_event.shard), for an engine that gives each shard an
     * allocator arena of its own (engine_config.nheaps). */
    int shard_arenas;
    /* --sample-keys R: spatial sampling (SHARDS; libCacheSim's --sample-ratio).
     * A key is kept when a hash of its bytes, seeded by sample_seed, falls
     * under R: every event of a kept key passes, none of the others'.
     * 0 or 1: every key. */
    double sample_keys;
    uint64_t sample_seed;
    /* --hash-pack N[:ttl=bucket]: string keys become fields of hashes of at
     * most N fields (transform_hashpack.h); 0: off.  ttl_bucket: a hash
     * keeps its fields' longest TTL; else a TTL in the trace is refused. */
    uint32_t hash_pack;
    int hash_pack_ttl_bucket;
    transform_stats *stats;   /* counted into as the events pass; NULL: not counted */
} transform_spec;

/* The spec does nothing: no wrapper needed. */
int transform_spec_empty(const transform_spec *s);

/* Parsers for the command line's forms; each returns 0 or -1 with err set. */
int transform_parse_pad(transform_spec *s, const char *arg, fs_err *err);        /* pow2 | N */
/* R[:MIN], or sample[:MIN]: the ratio --compress-sample measures. */
int transform_parse_compress(transform_spec *s, const char *arg, fs_err *err);
/* SEP[:first|min|max|mean|median]: SEP one byte (so "::max" is SEP ':'). */
int transform_parse_uniform_ttl(transform_spec *s, const char *arg, fs_err *err);
int transform_parse_shard_by(transform_spec *s, transform_shard_by by, const char *arg,
                             fs_err *err);                                       /* B1,B2,... */
/* K/N (1-based), or arenas; after transform_parse_shard_by. */
int transform_parse_shard(transform_spec *s, const char *arg, fs_err *err);

/* --hash-pack N[:ttl=bucket], or ttl=bucket alone (N 100). */
int transform_parse_hash_pack(transform_spec *s, const char *arg, fs_err *err);

/* --sample-keys R: a rate above 0 and at most 1.  Returns 0 or -1. */
int transform_parse_sample_keys(transform_spec *s, const char *arg, fs_err *err);
/* Whether key (n bytes) is among the sampled keys: always when sampling is
 * off; else by the seeded hash against the rate, the same answer for the
 * same key, seed and rate in every run. */
int transform_sample_keep(const transform_spec *s, const char *key, uint32_t n);
/* Sampling is on: 0 < sample_keys < 1. */
int transform_sampling(const transform_spec *s);

/* "first", "min", ... */
const char *transform_ttl_stat_name(transform_ttl_stat st);

/* The pre-pass of a uniform-TTL statistic: reads every event of r (open,
 * the same trace the replay will read; closed here) and fills s->ttl_table
 * with each prefix's TTL.  Memory is the engine's own (sim/emem.h): one
 * entry per distinct (prefix, TTL) pair of the trace's SETs.  Returns 0 or
 * -1 with err set. */
int transform_ttl_prepass(transform_spec *s, trace_reader *r, fs_err *err);
void transform_ttl_free(transform_spec *s);
/* The pre-pass's TTL for a prefix hash: 1 (and *ttl_us set) or 0 when the
 * trace had no SET under that prefix. */
int transform_ttl_lookup(const transform_ttl_table *t, uint64_t prefix, int64_t *ttl_us);
/* The hash keys and prefixes are known by (64-bit FNV-1a, mixed; never 0). */
uint64_t transform_key_hash(const char *p, uint32_t n);

/* The spec in the command line's words ("--pad pow2 --compress 0.5:1024"),
 * "" when it does nothing: what a summary records as replayed. */
void transform_describe(const transform_spec *s, char *buf, size_t n);

/* The CPU seconds compressing the replay's values would have cost: the
 * bytes fed to compression times the measured cost per byte (0 when the
 * ratio was given rather than measured, or nothing was counted). */
double transform_compress_cpu_seconds(const transform_spec *s);

/* The number of shards the boundaries make (nbounds + 1; 1 unsharded). */
int transform_nshards(const transform_spec *s);

/* Shard k's class in words, "<1024", "1024-10240", ">=10240" (TTLs:
 * "<300s" ... ">=3600s or none"); "all" when unsharded. */
void transform_shard_class(const transform_spec *s, int k, char *buf, size_t n);

/* The size a write of `size` bytes becomes under padding then compression. */
uint64_t transform_size(const transform_spec *s, uint64_t size);

/* Wraps *inner (moved into the wrapper; do not use or close it again) so
 * that *r reads the transformed stream.  Returns 0, or -1 with err set (and
 * *inner closed). */
int trace_transform_wrap(trace_reader *r, trace_reader *inner, const transform_spec *s,
                         fs_err *err);

#endif
