/* The engine's clock, expiry order, sampling and value bookkeeping, on the
 * plain-malloc test backend. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sim/engine.h"
#include "test_backend.h"

#define S(x) ((int64_t)((x) * TRACE_US_PER_S))

typedef struct seen {
    int n;
    double vtime[64];
    uint64_t keys[64], used[64], requested[64], expired[64];
} seen;

static int record(void *arg, engine *e, fs_err *err) {
    (void)err;
    seen *s = arg;
    if (s->n < 64) {
        s->vtime[s->n] = engine_virtual_time(e);
        s->keys[s->n] = e->ks.count;
        s->used[s->n] = e->c.used_memory;
        s->requested[s->n] = e->c.requested_bytes;
        s->expired[s->n] = e->c.expired_keys;
        s->n++;
    }
    return 0;
}

static engine eng;
static seen got;
static void *be_state;

static void setup(void) {
    memset(&got, 0, sizeof got);
    fs_err err;
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = S(10), .on_sample = record, .arg = &got};
    cr_assert_eq(engine_init(&eng, &test_backend, be_state, &cfg, &err), 0);
}

static void teardown(void) { engine_destroy(&eng); }

static void apply(int64_t t, trace_op op, const char *key, uint64_t size, int64_t ttl) {
    trace_event ev = {.time_us = t, .op = op, .key = key, .keylen = key ? (uint32_t)strlen(key) : 0,
                      .size = size, .ttl_us = ttl};
    fs_err err;
    int rc = engine_apply(&eng, &ev, &err);
    cr_assert_eq(rc, 0, "engine_apply: %s", err.msg);
}

static int exists(const char *key) {
    return ks_find(&eng.ks, key, (uint32_t)strlen(key)) != KS_NONE;
}

TestSuite(engine, .init = setup, .fini = teardown);

Test(engine, keys_expire_in_time_order_before_later_events) {
    apply(S(0), TRACE_OP_SET, "a", 100, S(5));
    apply(S(0), TRACE_OP_SET, "b", 100, S(3));
    apply(S(2.999999), TRACE_OP_GET, "a", 0, TRACE_TTL_NONE);
    cr_assert(exists("a") && exists("b"), "nothing has expired before 3 s");
    apply(S(3), TRACE_OP_GET, "b", 0, TRACE_TTL_NONE);
    cr_assert(!exists("b"), "b (expiry 3 s) is gone for an event at exactly 3 s");
    cr_assert(exists("a"));
    cr_assert_eq(eng.c.keyspace_misses, 1);
    apply(S(5), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE);
    cr_assert(!exists("a"));
    cr_assert_eq(eng.c.expired_keys, 2);
    cr_assert_eq(eng.c.used_memory, 0);
    cr_assert_eq(eng.c.requested_bytes, 0);
    cr_assert_eq(test_counts.frees, 2);
}

Test(engine, samples_fall_on_interval_boundaries_and_at_the_end) {
    apply(S(100), TRACE_OP_SET, "a", 10, TRACE_TTL_NONE);   /* the clock starts here */
    apply(S(105), TRACE_OP_SET, "b", 10, TRACE_TTL_NONE);
    apply(S(110), TRACE_OP_SET, "c", 10, TRACE_TTL_NONE);   /* at the 10 s boundary */
    apply(S(125), TRACE_OP_SET, "d", 10, TRACE_TTL_NONE);
    fs_err err;
    cr_assert_eq(engine_finish(&eng, &err), 0);
    cr_assert_eq(got.n, 4, "samples at 0, 10, 20 and the end (25); got %d", got.n);
    double want_t[] = {0, 10, 20, 25};
    uint64_t want_keys[] = {1, 3, 3, 4}; /* a sample shows every event at time <= s */
    for (int i = 0; i < 4; i++) {
        cr_assert_float_eq(got.vtime[i], want_t[i], 1e-9, "sample %d at %f", i, got.vtime[i]);
        cr_assert_eq(got.keys[i], want_keys[i], "sample %d keys %llu", i,
                     (unsigned long long)got.keys[i]);
    }
}

Test(engine, no_extra_sample_when_the_end_is_on_a_boundary) {
    apply(S(0), TRACE_OP_SET, "a", 10, TRACE_TTL_NONE);
    apply(S(20), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE);
    fs_err err;
    cr_assert_eq(engine_finish(&eng, &err), 0);
    cr_assert_eq(got.n, 3);
    cr_assert_float_eq(got.vtime[2], 20, 1e-9);
}

Test(engine, a_sample_sees_expiries_up_to_its_time) {
    apply(S(0), TRACE_OP_SET, "a", 10, S(10));
    apply(S(0), TRACE_OP_SET, "b", 10, S(10.5));
    apply(S(30), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE);
    cr_assert_eq(got.n, 3); /* 0, 10, 20 */
    cr_assert_eq(got.keys[1], 1, "a (expiry 10 s) is gone at the 10 s sample");
    cr_assert_eq(got.expired[1], 1);
    cr_assert_eq(got.keys[2], 0);
}

Test(engine, overwrite_frees_the_old_value_and_clears_its_ttl) {
    apply(S(0), TRACE_OP_SET, "k", 100, S(5));
    apply(S(1), TRACE_OP_SET, "k", 40, TRACE_TTL_NONE);
    cr_assert_eq(test_counts.allocs, 2);
    cr_assert_eq(test_counts.frees, 1);
    cr_assert_eq(eng.c.requested_bytes, 40);
    cr_assert_eq(eng.c.used_memory, 48, "usable size of 40 B on the test backend is 48");
    apply(S(10), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE);
    cr_assert(exists("k"), "SET without a ttl removed the old expiry");
}

Test(engine, del_expire_persist) {
    apply(S(0), TRACE_OP_SET, "a", 10, TRACE_TTL_NONE);
    apply(S(0), TRACE_OP_SET, "b", 10, TRACE_TTL_NONE);
    apply(S(0), TRACE_OP_SET, "c", 10, S(2));
    apply(S(1), TRACE_OP_DEL, "a", 0, TRACE_TTL_NONE);
    apply(S(1), TRACE_OP_DEL, "missing", 0, TRACE_TTL_NONE);
    apply(S(1), TRACE_OP_EXPIRE, "b", 0, 0);      /* ttl 0: deleted at once */
    apply(S(1), TRACE_OP_PERSIST, "c", 0, TRACE_TTL_NONE);
    apply(S(1), TRACE_OP_EXPIRE, "missing", 0, S(1));
    cr_assert(!exists("a") && !exists("b") && exists("c"));
    cr_assert_eq(eng.c.deleted_keys, 2);
    apply(S(100), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE);
    cr_assert(exists("c"), "PERSIST removed the expiry");
    apply(S(100), TRACE_OP_EXPIRE, "c", 0, S(1));
    apply(S(101), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE);
    cr_assert(!exists("c"));
    cr_assert_eq(eng.c.expired_keys, 1);
    cr_assert_eq(eng.c.used_memory, 0);
}

Test(engine, empty_values_allocate_nothing) {
    apply(S(0), TRACE_OP_SET, "e", 0, TRACE_TTL_NONE);
    cr_assert(exists("e"));
    cr_assert_eq(test_counts.allocs, 0);
    cr_assert_eq(eng.c.used_memory, 0);
}

Test(engine, purge_reaches_the_backend) {
    apply(S(0), TRACE_OP_PURGE, NULL, 0, TRACE_TTL_NONE);
    cr_assert_eq(test_counts.purges, 1);
    cr_assert_eq(eng.c.purges, 1);
}

Test(engine, allocation_failure_is_an_error_not_a_crash) {
    test_counts.fail_next_alloc = 1;
    trace_event ev = {.time_us = 0, .op = TRACE_OP_SET, .key = "k", .keylen = 1, .size = 64,
                      .ttl_us = TRACE_TTL_NONE};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &ev, &err), -1);
    cr_assert(strstr(err.msg, "out of memory") != NULL, "%s", err.msg);
}

Test(engine, an_empty_trace_is_an_error) {
    fs_err err;
    cr_assert_eq(engine_finish(&eng, &err), -1);
    cr_assert(strstr(err.msg, "no events") != NULL);
}

Test(engine, time_never_runs_backwards) {
    apply(S(5), TRACE_OP_SET, "a", 1, TRACE_TTL_NONE);
    trace_event ev = {.time_us = S(4), .op = TRACE_OP_GET, .key = "a", .keylen = 1,
                      .ttl_us = TRACE_TTL_NONE};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &ev, &err), -1);
}

Test(engine, many_keys_drain_to_exactly_zero) {
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "key:%d", i);
        apply(S(i * 0.01), TRACE_OP_SET, key, (uint64_t)(1 + i % 700), S(1 + i % 97));
    }
    cr_assert_eq(eng.ks.count + eng.c.expired_keys, 5000);
    apply(S(200), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE);
    cr_assert_eq(eng.ks.count, 0);
    cr_assert_eq(eng.c.expired_keys, 5000);
    cr_assert_eq(eng.c.used_memory, 0);
    cr_assert_eq(eng.c.requested_bytes, 0);
    cr_assert_eq(test_counts.live_bytes, 0);
}

/* ---- conditions, APPEND and fill on miss (events from cache traces) ---- */

static void apply_ev(trace_event ev) {
    fs_err err;
    if (ev.key != NULL) ev.keylen = (uint32_t)strlen(ev.key);
    cr_assert_eq(engine_apply(&eng, &ev, &err), 0, "engine_apply: %s", err.msg);
}

static uint64_t requested_of(const char *key) {
    uint32_t slot = ks_find(&eng.ks, key, (uint32_t)strlen(key));
    cr_assert_neq(slot, KS_NONE, "%s is missing", key);
    return ks_get(&eng.ks, slot)->requested;
}

Test(engine, set_nx_applies_only_to_a_missing_key) {
    apply_ev((trace_event){.time_us = 0, .op = TRACE_OP_SET, .key = "k", .size = 100,
                           .ttl_us = TRACE_TTL_NONE, .cond = TRACE_COND_NX});
    cr_assert_eq(requested_of("k"), 100);
    apply_ev((trace_event){.time_us = 1, .op = TRACE_OP_SET, .key = "k", .size = 300,
                           .ttl_us = TRACE_TTL_NONE, .cond = TRACE_COND_NX});
    cr_assert_eq(requested_of("k"), 100, "NX on a present key stores nothing");
    cr_assert_eq(eng.c.skipped_writes, 1);
    cr_assert_eq(test_counts.allocs, 1);
    cr_assert_eq(eng.c.ops[TRACE_OP_SET], 2, "a skipped write still counts as an event");
}

Test(engine, set_xx_applies_only_to_a_present_key) {
    apply_ev((trace_event){.time_us = 0, .op = TRACE_OP_SET, .key = "k", .size = 100,
                           .ttl_us = TRACE_TTL_NONE, .cond = TRACE_COND_XX});
    cr_assert(!exists("k"), "XX on a missing key creates nothing");
    cr_assert_eq(eng.c.skipped_writes, 1);
    apply(S(1), TRACE_OP_SET, "k", 10, TRACE_TTL_NONE);
    apply_ev((trace_event){.time_us = S(2), .op = TRACE_OP_SET, .key = "k", .size = 50,
                           .ttl_us = S(5), .cond = TRACE_COND_XX});
    cr_assert_eq(requested_of("k"), 50);
    cr_assert_eq(eng.c.requested_bytes, 50);
    apply(S(7), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE);
    cr_assert(!exists("k"), "the XX write set its TTL");
    cr_assert_eq(eng.c.skipped_writes, 1);
}

Test(engine, append_grows_the_value_and_keeps_the_ttl) {
    apply(S(0), TRACE_OP_SET, "k", 100, S(10));
    apply_ev((trace_event){.time_us = S(1), .op = TRACE_OP_APPEND, .key = "k", .size = 28,
                           .ttl_us = TRACE_TTL_NONE, .cond = TRACE_COND_XX});
    cr_assert_eq(requested_of("k"), 128);
    cr_assert_eq(eng.c.requested_bytes, 128);
    cr_assert_eq(eng.c.used_memory, 128);
    cr_assert_eq(test_counts.allocs, 2, "a new block of the joined size");
    cr_assert_eq(test_counts.frees, 1, "the old block is freed");
    cr_assert_eq(test_counts.live_bytes, 128);
    apply(S(10), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE);
    cr_assert(!exists("k"), "APPEND kept the expiry at 10 s");
}

Test(engine, append_to_a_missing_key) {
    apply_ev((trace_event){.time_us = 0, .op = TRACE_OP_APPEND, .key = "m", .size = 20,
                           .ttl_us = TRACE_TTL_NONE, .cond = TRACE_COND_XX});
    cr_assert(!exists("m"), "memcached's append (XX) needs the key");
    cr_assert_eq(eng.c.skipped_writes, 1);
    apply_ev((trace_event){.time_us = 0, .op = TRACE_OP_APPEND, .key = "m", .size = 20,
                           .ttl_us = TRACE_TTL_NONE});
    cr_assert_eq(requested_of("m"), 20, "Redis's APPEND creates the key");
}

Test(engine, append_past_the_size_limit_is_an_error) {
    apply(S(0), TRACE_OP_SET, "k", TRACE_SIZE_MAX, TRACE_TTL_NONE);
    trace_event ev = {.time_us = S(1), .op = TRACE_OP_APPEND, .key = "k", .keylen = 1,
                      .size = 1, .ttl_us = TRACE_TTL_NONE};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &ev, &err), -1);
    cr_assert(strstr(err.msg, "APPEND") != NULL, "%s", err.msg);
    cr_assert_eq(requested_of("k"), TRACE_SIZE_MAX);
}

Test(engine, a_get_miss_allocates_nothing_without_fill_on_miss) {
    apply_ev((trace_event){.time_us = 0, .op = TRACE_OP_GET, .key = "g", .size = 500,
                           .ttl_us = TRACE_TTL_NONE});
    cr_assert(!exists("g"));
    cr_assert_eq(eng.c.keyspace_misses, 1);
    cr_assert_eq(eng.c.fills, 0);
    cr_assert_eq(test_counts.allocs, 0);
}

Test(engine, fill_on_miss_stores_the_missed_size) {
    engine_destroy(&eng);
    fs_err err;
    engine_config cfg = {.sample_interval_us = S(10), .on_sample = record, .arg = &got,
                         .fill_on_miss = 1};
    cr_assert_eq(engine_init(&eng, &test_backend, be_state, &cfg, &err), 0);
    apply(S(0), TRACE_OP_SET, "ttl", 10, S(1));
    apply_ev((trace_event){.time_us = S(0), .op = TRACE_OP_GET, .key = "g", .size = 500,
                           .ttl_us = TRACE_TTL_NONE});
    cr_assert_eq(requested_of("g"), 500);
    cr_assert_eq(eng.c.fills, 1);
    cr_assert_eq(eng.c.keyspace_misses, 1);
    cr_assert_eq(eng.c.ops[TRACE_OP_GET], 1);
    cr_assert_eq(eng.c.ops[TRACE_OP_SET], 1, "a fill is not counted as a SET event");
    apply_ev((trace_event){.time_us = S(0), .op = TRACE_OP_GET, .key = "g", .size = 900,
                           .ttl_us = TRACE_TTL_NONE});
    cr_assert_eq(requested_of("g"), 500, "a hit changes nothing");
    cr_assert_eq(eng.c.keyspace_hits, 1);
    apply_ev((trace_event){.time_us = S(0), .op = TRACE_OP_GET, .key = "unknown-size",
                           .ttl_us = TRACE_TTL_NONE});
    cr_assert(!exists("unknown-size"), "a miss of unknown size (0) is not filled");
    cr_assert_eq(eng.c.fills, 1);
    apply(S(100), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE);
    cr_assert(exists("g"), "a fill has no TTL");
    cr_assert_eq(eng.c.requested_bytes, 500);
}
