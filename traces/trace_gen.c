#include "trace_gen.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../sim/base/emem.h"
#include "trace_gen_types.h"

/* ---- presets: one row each ---- */

/* The seed's experiment: values uniform 100-10,000 B, TTL uniform 60-300 s.
 * The insert phase lasts 180 virtual seconds whatever the key count, so it
 * overlaps the first expiries (about 17% of the keys are gone by its end, the
 * overlap in which the seed's phase 1 saw the ratio rise to 1.18), then ten
 * virtual minutes of observation. */
static void preset_seed_blog(gen_params *p) {
    gen_params_default(p);
    p->keys = 1000000;
    p->insert_seconds = 180;
    dist_parse(&p->sizes, "uniform:100,10000", 1, "sizes", NULL);
    dist_parse(&p->ttl, "uniform:60,300", 0, "ttl", NULL);
    p->observe = 600;
}

/* Redis's own test of active defrag (tests/unit/memefficiency.tcl, "Active
 * defrag", 7.2): under maxmemory 100mb and allkeys-lru, 700,000 keys of
 * 150 B then 170,000 of 300 B, so that the second wave evicts keys all over
 * the first's slabs; then activedefrag is switched on with the test's
 * settings.  The load runs at 100,000 keys a virtual second (8.7 s, about
 * a server's pace for pipelined SETs; with --keys the rate follows, so the
 * load still ends before 10 s), defrag comes on at 10 s, and 60 s of
 * observation let the passes and jemalloc's decay play out, on the virtual
 * clock as fast as the engine goes. */
static void preset_redis_defrag_test(gen_params *p) {
    gen_params_default(p);
    p->keys = 700000;
    p->insert_seconds = 7; /* 100,000 keys a second; --keys keeps the load's length */
    dist_parse(&p->sizes, "fixed:150", 1, "sizes", NULL);
    p->observe = 61.3;
    snprintf(p->key_prefix, sizeof p->key_prefix, "asdf1");
    p->keys2 = 170000;
    dist_parse(&p->sizes2, "fixed:300", 1, "sizes", NULL);
    snprintf(p->key_prefix2, sizeof p->key_prefix2, "asdf2");
}

/* Per-user session hashes: 100,000 users, each a hash of 10-100 small
 * fields (values of 5-60 bytes, so every hash stays a listpack that grows by
 * realloc), with a session TTL of 10-30 minutes, logged in over 10 minutes;
 * then 30 minutes of observation, as the sessions expire. */
static void preset_session_hashes(gen_params *p) {
    gen_params_default(p);
    p->keys = 100000;
    p->insert_seconds = 600;
    dist_parse(&p->sizes, "uniform:5,60", 1, "sizes", NULL);
    dist_parse(&p->ttl, "uniform:600,1800", 0, "ttl", NULL);
    dist_parse(&p->fields, "uniform:10,100", 0, "fields", NULL);
    p->observe = 1800;
    snprintf(p->key_prefix, sizeof p->key_prefix, "session:");
}

/* Who follows whom: 20,000 users, each a set of 5-1000 follower ids (below
 * 10,000,000, so an intset of 4-byte members that grows by a realloc per
 * SADD), added over 10 minutes; about half the sets pass 512 members and
 * become hashtables.  No TTL; a minute of observation. */
static void preset_follower_sets(gen_params *p) {
    gen_params_default(p);
    p->keys = 20000;
    p->insert_seconds = 600;
    dist_parse(&p->fields, "uniform:5,1000", 0, "fields", NULL);
    p->sets = 1;
    p->member_max = 10000000;
    p->observe = 60;
    snprintf(p->key_prefix, sizeof p->key_prefix, "followers:");
}

/* Sorted sets or lists worked on in rounds over 600 s (trace_gen_types.h):
 * `keys` of them, each drawing its count from `fields`. */
static void preset_rounds(gen_params *p, int type, uint64_t keys, uint32_t rounds,
                          const char *fields, double observe, const char *prefix) {
    gen_params_default(p);
    p->type = type;
    p->keys = keys;
    p->insert_seconds = 600;
    p->rounds = rounds;
    dist_parse(&p->fields, fields, 0, "fields", NULL);
    p->observe = observe;
    snprintf(p->key_prefix, sizeof p->key_prefix, "%s", prefix);
}

/* Game leaderboards: 1,000 sorted sets of lognormal(50, 1) players (about
 * one board in six passes 128 and becomes a skiplist), grown over the first
 * half of 30 rounds in 600 s with rescores and a few removals each round;
 * three boards in ten have a TTL of 2-15 minutes (a daily or weekly board
 * ending), which the 600 s of observation see out. */
static void preset_leaderboard(gen_params *p) {
    preset_rounds(p, GEN_ZSETS, 1000, 30, "lognormal:50,1", 600, "board:");
    dist_parse(&p->ttl, "uniform:120,900", 0, "ttl", NULL);
    p->ttl_share = 0.3;
}

/* Job queues: 500 lists, each producer RPUSHing lognormal(4, 1) elements
 * of 50-500 B a round for 40 of 60 rounds over 600 s, consumers LPOPping
 * (most keep up, so queues empty and go; a quarter fall behind into
 * backlogs of many nodes), some queues capped logs trimmed by LTRIM; a
 * minute of observation. */
static void preset_queues(gen_params *p) {
    preset_rounds(p, GEN_LISTS, 500, 60, "lognormal:4,1", 60, "queue:");
    dist_parse(&p->sizes, "uniform:50,500", 1, "sizes", NULL);
}

static const gen_preset presets[] = {
    {"seed-blog", "1M keys, values uniform 100-10000 B, TTL uniform 60-300 s, inserted over "
                  "180 s, then 600 s of observation",
     preset_seed_blog, NULL},
    {"redis-defrag-test", "Redis's active-defrag test: maxmemory 100mb allkeys-lru, 700k x 150 B "
                          "then 170k x 300 B, activedefrag on at 10 s (hz 100, cycle 65-75%)",
     preset_redis_defrag_test,
     "object-model redis; sample-interval 1; hz 100; maxmemory 100mb; "
     "maxmemory-policy allkeys-lru; activedefrag yes; activedefrag-from 10; "
     "active-defrag-threshold-lower 5; active-defrag-cycle-min 65; "
     "active-defrag-cycle-max 75; active-defrag-ignore-bytes 2mb"},
    {"session-hashes", "100k per-user hashes of 10-100 fields of 5-60 B, TTL uniform "
                       "600-1800 s, logged in over 600 s, then 1800 s of observation",
     preset_session_hashes, "object-model redis"},
    {"follower-sets", "20k sets of 5-1000 integer members (follower ids below 10^7; intsets, "
                      "about half past 512 become hashtables), added over 600 s, then 60 s",
     preset_follower_sets, "object-model redis"},
    {"leaderboard", "1k sorted sets of ~50 players (lognormal; about 1 in 6 past 128 become "
                    "skiplists), rescored and trimmed in 30 rounds over 600 s, 30% with a TTL "
                    "of 120-900 s, then 600 s",
     preset_leaderboard, "object-model redis"},
    {"queues", "500 lists: RPUSH producers (50-500 B) and LPOP consumers in 60 rounds over "
               "600 s, producers stopping at 400 s; queues empty and go, a quarter back up "
               "over many nodes, some capped by LTRIM; then 60 s",
     preset_queues, "object-model redis"},
};

const gen_preset *gen_presets(size_t *count) {
    *count = sizeof presets / sizeof presets[0];
    return presets;
}

const gen_preset *gen_preset_find(const char *name) {
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0) return &presets[i];
    return NULL;
}

void gen_params_default(gen_params *p) {
    memset(p, 0, sizeof *p);
    p->seed = 1;
    p->keys = 100000;
    p->rate = 0;
    p->insert_seconds = 60;
    dist_parse(&p->sizes, "uniform:100,1000", 1, "sizes", NULL);
    dist_parse(&p->ttl, "none", 0, "ttl", NULL);
    dist_parse(&p->fields, "none", 0, "fields", NULL);
    p->observe = 0;
    snprintf(p->key_prefix, sizeof p->key_prefix, "key:");
    p->ttl_share = 1;
}

double gen_effective_rate(const gen_params *p) {
    return p->rate > 0 ? p->rate : (double)p->keys / p->insert_seconds;
}

/* Key i's fields (0: a string key), from a stream of its own. */
static uint64_t fields_of(const gen_params *p, uint64_t i) {
    if (p->fields.kind == DIST_NONE || i >= p->keys) return 0;
    rng r;
    rng_seed(&r, p->seed ^ (0x9E3779B97F4A7C15ull * (i + 1)));
    double f = dist_draw(&p->fields, &r);
    return f < 1 ? 1 : (uint64_t)llround(f);
}

uint64_t gen_events(const gen_params *p) {
    if (p->type != GEN_ONE_PASS) return gen_types_events(p);
    if (p->fields.kind == DIST_NONE) return p->keys + p->keys2 + 1;
    uint64_t n = p->keys2 + 1;
    for (uint64_t i = 0; i < p->keys; i++) n += fields_of(p, i) + (p->ttl.kind != DIST_NONE);
    return n;
}

double gen_duration(const gen_params *p) {
    if (p->type != GEN_ONE_PASS) return (double)p->keys / gen_effective_rate(p) + p->observe;
    return (double)(p->keys + p->keys2 - 1) / gen_effective_rate(p) + p->observe;
}

int gen_params_check(const gen_params *p, fs_err *err) {
    if (p->keys == 0 || p->keys > 4000000000ULL)
        return fs_errf(err, "--keys %llu: expected 1 to 4000000000",
                       (unsigned long long)p->keys);
    if (p->rate == 0 && !(p->insert_seconds > 0))
        return fs_errf(err, "the insert phase must last more than 0 s");
    if (p->keys2 > 4000000000ULL) return fs_errf(err, "the second wave: expected at most 4000000000 keys");
    if (!(gen_duration(p) < 1e9))
        return fs_errf(err, "the generated trace would last %.0f s: expected under 1e9 s "
                       "(raise --rate or lower --observe)", gen_duration(p));
    if (p->sizes.kind == DIST_NONE) return fs_errf(err, "--sizes cannot be none");
    /* Out of range is an error, not a clamp (a lognormal's tail is still cut
     * at the trace's limits: it is a draw, not a value the user wrote). */
    const double ttl_max = (double)TRACE_TTL_MAX_US / TRACE_US_PER_S;
    if (dist_check_range(&p->sizes, 0, (double)TRACE_SIZE_MAX, "--sizes", "bytes", err) != 0 ||
        dist_check_range(&p->sizes2, 0, (double)TRACE_SIZE_MAX, "the second wave's sizes",
                         "bytes", err) != 0 ||
        dist_check_range(&p->ttl, 0.001, ttl_max, "--ttl", "s", err) != 0)
        return -1;
    if (p->sets && (p->fields.kind == DIST_NONE || p->member_max == 0))
        return fs_errf(err, "sets need a member count per key and member ids above 0");
    if (p->type != GEN_ONE_PASS &&
        (p->rounds == 0 || p->fields.kind == DIST_NONE || p->keys2 > 0 || p->sets ||
         !(p->ttl_share >= 0 && p->ttl_share <= 1)))
        return fs_errf(err, "sorted sets and lists need rounds, a count a key, one wave and a "
                       "TTL share from 0 to 1");
    if (p->type != GEN_ONE_PASS && p->keys > GEN_TYPES_KEYS_MAX)
        return fs_errf(err, "--keys %llu: sorted sets and lists take at most %llu",
                       (unsigned long long)p->keys, GEN_TYPES_KEYS_MAX);
    if (p->keys2 > 0 && p->sizes2.kind == DIST_NONE)
        return fs_errf(err, "the second wave's sizes cannot be none");
    return 0;
}

/* ---- the generator as a reader ---- */

typedef struct gen_state {
    gen_params p;
    rng r;
    uint64_t next_key;  /* index of the next key to insert */
    uint64_t field, nfields; /* a hash key's next field and its fields;
                                field == nfields + 1: its EXPIRE is done */
    int done;           /* the final TICK was returned */
    double rate;
    char key[96];
    char fieldname[32];
} gen_state;

static int64_t seconds_to_us(double s) { return (int64_t)llround(s * TRACE_US_PER_S); }

/* Draws a TTL in microseconds (milliseconds, as PX writes them; at least
 * 1 ms), or TRACE_TTL_NONE. */
static int64_t draw_ttl(gen_state *s) {
    if (s->p.ttl.kind == DIST_NONE) return TRACE_TTL_NONE;
    int64_t ms = llround(dist_draw(&s->p.ttl, &s->r) * 1000.0);
    int64_t us = (ms < 1 ? 1 : ms) * 1000;
    return us > TRACE_TTL_MAX_US ? TRACE_TTL_MAX_US : us;
}

/* The next event of the hash or set key next_key: its HSETs or SADDs,
 * then its EXPIRE. */
static int hash_next(gen_state *s, trace_event *ev) {
    uint64_t i = s->next_key;
    ev->time_us = seconds_to_us((double)i / s->rate);
    int n = snprintf(s->key, sizeof s->key, "%s%llu", s->p.key_prefix, (unsigned long long)i);
    ev->key = s->key;
    ev->keylen = (uint32_t)n;
    if (s->field < s->nfields) {
        ev->op = s->p.sets ? TRACE_OP_SADD : TRACE_OP_HSET;
        if (s->p.sets) {
            n = snprintf(s->fieldname, sizeof s->fieldname, "%llu",
                         (unsigned long long)rng_below(&s->r, s->p.member_max));
            s->field++;
        } else {
            n = snprintf(s->fieldname, sizeof s->fieldname, "f%llu",
                         (unsigned long long)s->field++);
            uint64_t size = dist_draw_bytes(&s->p.sizes, &s->r);
            ev->size = size > TRACE_SIZE_MAX ? TRACE_SIZE_MAX : size;
        }
        ev->field = s->fieldname;
        ev->fieldlen = (uint32_t)n;
        if (s->field < s->nfields || s->p.ttl.kind != DIST_NONE) return 1;
    } else {
        ev->op = TRACE_OP_EXPIRE;
        ev->ttl_us = draw_ttl(s);
    }
    s->nfields = 0; /* the key is done */
    s->next_key++;
    return 1;
}

static int gen_next(trace_reader *r, trace_event *ev, fs_err *err) {
    (void)err;
    gen_state *s = r->state;
    memset(ev, 0, sizeof *ev);
    ev->ttl_us = TRACE_TTL_NONE;
    if (s->nfields > 0) return hash_next(s, ev);
    if (s->next_key < s->p.keys && s->p.fields.kind != DIST_NONE) {
        s->nfields = fields_of(&s->p, s->next_key);
        s->field = 0;
        return hash_next(s, ev);
    }
    if (s->next_key < s->p.keys + s->p.keys2) {
        uint64_t i = s->next_key++;
        int second = i >= s->p.keys;
        ev->time_us = seconds_to_us((double)i / s->rate);
        ev->op = TRACE_OP_SET;
        int n = snprintf(s->key, sizeof s->key, "%s%llu",
                         second ? s->p.key_prefix2 : s->p.key_prefix,
                         (unsigned long long)(second ? i - s->p.keys : i));
        ev->key = s->key;
        ev->keylen = (uint32_t)n;
        uint64_t size = dist_draw_bytes(second ? &s->p.sizes2 : &s->p.sizes, &s->r);
        ev->size = size > TRACE_SIZE_MAX ? TRACE_SIZE_MAX : size;
        ev->ttl_us = draw_ttl(s);
        return 1;
    }
    if (s->done) return 0;
    s->done = 1;
    ev->op = TRACE_OP_TICK;
    ev->time_us = seconds_to_us(gen_duration(&s->p));
    return 1;
}

static void gen_where(trace_reader *r, char *buf, size_t n) {
    gen_state *s = r->state;
    snprintf(buf, n, "generator event %llu", (unsigned long long)s->next_key);
}

static void gen_close(trace_reader *r) { emem_unmap(r->state, sizeof(gen_state)); }

static const trace_reader_ops gen_ops = {"gen", gen_next, gen_where, gen_close};

int trace_gen_open(trace_reader *r, const gen_params *p, fs_err *err) {
    memset(r, 0, sizeof *r);
    r->last_time_us = INT64_MIN;
    if (p->type != GEN_ONE_PASS) return trace_gen_types_open(r, p, err);
    if (gen_params_check(p, err) != 0) return -1;
    gen_state *s = emem_map(sizeof *s);
    if (s == NULL) return fs_errf(err, "cannot map generator state");
    s->p = *p;
    s->rate = gen_effective_rate(p);
    rng_seed(&s->r, p->seed);
    r->ops = &gen_ops;
    r->state = s;
    return 0;
}
