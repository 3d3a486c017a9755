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

typedef struct transform_spec {
    transform_pad pad;
    uint64_t pad_multiple;
    double compress_ratio;    /* 0: no compression; else in (0, 1] */
    uint64_t compress_min;    /* values smaller than this are left alone */
    char uniform_ttl_sep;     /* '\0': off; else keys up to this byte share a TTL */
    transform_shard_by shard_by;
    /* Class boundaries, ascending: class i holds values below bounds[i]
     * (and at or above bounds[i-1]); the last class holds the rest.  For
     * TTLs, in seconds; keys without a TTL fall in the last class. */
    uint64_t bounds[TRANSFORM_MAX_BOUNDS];
    int nbounds;
    int shard;                /* the shard this replay keeps, 0-based; -1: all */
} transform_spec;

/* The spec does nothing: no wrapper needed. */
int transform_spec_empty(const transform_spec *s);

/* Parsers for the command line's forms; each returns 0 or -1 with err set. */
int transform_parse_pad(transform_spec *s, const char *arg, fs_err *err);        /* pow2 | N */
int transform_parse_compress(transform_spec *s, const char *arg, fs_err *err);   /* R[:MIN] */
int transform_parse_uniform_ttl(transform_spec *s, const char *arg, fs_err *err); /* one byte */
int transform_parse_shard_by(transform_spec *s, transform_shard_by by, const char *arg,
                             fs_err *err);                                       /* B1,B2,... */
int transform_parse_shard(transform_spec *s, const char *arg, fs_err *err);      /* K/N, 1-based */

/* The number of shards the boundaries make (nbounds + 1; 1 unsharded). */
int transform_nshards(const transform_spec *s);

/* The size a write of `size` bytes becomes under padding then compression. */
uint64_t transform_size(const transform_spec *s, uint64_t size);

/* Wraps *inner (moved into the wrapper; do not use or close it again) so
 * that *r reads the transformed stream.  Returns 0, or -1 with err set (and
 * *inner closed). */
int trace_transform_wrap(trace_reader *r, trace_reader *inner, const transform_spec *s,
                         fs_err *err);

#endif
