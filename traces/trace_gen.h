/* trace_gen: the synthetic workload generator, a trace reader like any file.
 *
 * The workload: `keys` keys, each SET once (or made a hash of `fields`
 * fields, or a set of as many members) at a steady `rate` (keys per virtual second) with a size and a TTL
 * drawn from their distributions, then
 * `observe` virtual seconds with no traffic (a TICK ends the trace), so that
 * the expiries play out.  Sorted sets and lists are worked on in rounds
 * instead (trace_gen_types.h).  Everything follows from `seed`. */
#ifndef FRAGSIM_TRACE_GEN_H
#define FRAGSIM_TRACE_GEN_H

#include "dist.h"
#include "trace_reader.h"

typedef struct gen_params {
    uint64_t seed;
    uint64_t keys;
    double rate;           /* keys per virtual second; 0: keys / insert_seconds */
    double insert_seconds; /* length of the insert phase when rate is 0 */
    dist sizes;            /* value sizes, bytes */
    dist ttl;              /* seconds; DIST_NONE: keys never expire */
    double observe;        /* virtual seconds after the last insert */
    char key_prefix[64];   /* keys are PREFIX + index */
    /* A second wave, straight after the first at the same rate (Redis's
     * test loads, which fill with one size and then another): keys2 keys
     * (0: none) of sizes2, named key_prefix2 + index; TTLs as the first. */
    uint64_t keys2;
    dist sizes2;
    char key_prefix2[64];
    /* Hashes: DIST_NONE (the default) makes the first wave's keys strings;
     * else each is a hash of that many fields (at least 1), f0, f1 ...,
     * written by one HSET each at the key's time with a value size from
     * sizes, then given its TTL by an EXPIRE.  The count is drawn per key
     * from its own stream, so that gen_events can count without replaying. */
    dist fields;
    /* Sets: with fields, each key is a set instead, of that many SADDs
     * (none of them HSETs), each of a member drawn uniformly from 0 to
     * member_max - 1 (> 0) and written in decimal, so that a set is an
     * intset until it passes set-max-intset-entries (a member drawn twice
     * is an SADD that adds nothing, as on a server). */
    int sets;
    uint64_t member_max;
    /* Sorted sets or lists (GEN_ONE_PASS, the default: the above), worked
     * on in `rounds` rounds over the insert phase (trace_gen_types.h);
     * fields then draws a board's members or a queue's pushes a round,
     * and a share ttl_share of the keys (drawn per key) get a TTL. */
    enum { GEN_ONE_PASS, GEN_ZSETS, GEN_LISTS } type;
    uint32_t rounds;
    double ttl_share;
} gen_params;

typedef struct gen_preset {
    const char *name;
    const char *description;
    void (*init)(gen_params *p); /* sets every field */
    /* What the workload needs of the run besides its events, as `run`
     * options without their dashes, "name value; name value" (object-model,
     * expiry, hz, sample-interval, activedefrag-from, and any redis.conf
     * directive): applied under --config and the command line.  A
     * maxmemory is scaled with --keys.  NULL: none. */
    const char *run_defaults;
} gen_preset;

/* The neutral defaults `fragsim gen` starts from without a preset. */
void gen_params_default(gen_params *p);
const gen_preset *gen_preset_find(const char *name);
const gen_preset *gen_presets(size_t *count);

/* The rate actually used (keys per virtual second). */
double gen_effective_rate(const gen_params *p);
/* Events the generator gives (both waves and the closing TICK), and the
 * virtual seconds from the first to the last. */
uint64_t gen_events(const gen_params *p);
double gen_duration(const gen_params *p);

/* Checks the parameters; returns 0 or -1 naming the bad one. */
int gen_params_check(const gen_params *p, fs_err *err);

/* Opens the generator as a reader; p is copied. */
int trace_gen_open(trace_reader *r, const gen_params *p, fs_err *err);

#endif
