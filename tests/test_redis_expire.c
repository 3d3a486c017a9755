/* --expiry redis: lazy expiry on access and the cron's active expire cycle
 * (sim/redis_expire.h), on the plain-malloc test backend. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/engine.h"
#include "../sim/redis_expire.h"
#include "test_backend.h"

#define S(x) ((int64_t)((x) * TRACE_US_PER_S))
#define NOTTL TRACE_TTL_NONE

static engine eng;
static void *be_state;

static void start_seeded(int64_t tick_us, uint32_t key_ns, uint32_t hash_seed) {
    fs_err err;
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = S(1000), .tick_interval_us = tick_us,
                         .expiry = ENGINE_EXPIRY_REDIS, .expire_key_ns = key_ns,
                         .expire_hash_seed = hash_seed};
    cr_assert_eq(engine_init(&eng, &test_backend, be_state, &cfg, &err), 0);
}

static void start_cost(int64_t tick_us, uint32_t key_ns) { start_seeded(tick_us, key_ns, 0); }

static void start(int64_t tick_us) { start_cost(tick_us, 0); }

static void teardown(void) {
    engine_destroy(&eng);
    cr_assert_eq(test_counts.live_bytes, 0);
}

static void apply(int64_t t, trace_op op, const char *key, uint64_t size, int64_t ttl) {
    trace_event ev = {.time_us = t, .op = op, .key = key, .keylen = key ? (uint32_t)strlen(key) : 0,
                      .size = size, .ttl_us = ttl};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &ev, &err), 0, "engine_apply: %s", err.msg);
}

static int present(const char *key) { return ks_find(&eng.ks, key, (uint32_t)strlen(key)) != KS_NONE; }

static void set_keys(int64_t t, const char *prefix, int n, int64_t ttl) {
    char k[32];
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof k, "%s%d", prefix, i);
        apply(t, TRACE_OP_SET, k, 100, ttl);
    }
}

TestSuite(redis_expire, .fini = teardown);

Test(redis_expire, a_key_past_its_ttl_stays_until_touched) {
    start(0); /* no cron: lazy expiry only */
    apply(S(0), TRACE_OP_SET, "a", 100, S(1));
    apply(S(0), TRACE_OP_SET, "b", 100, S(1));
    apply(S(0), TRACE_OP_SET, "c", 100, S(1));
    apply(S(5), TRACE_OP_SET, "x", 100, NOTTL);
    cr_assert(present("a") && present("b") && present("c"), "nothing looked at them");
    cr_assert_eq(eng.c.expired_keys, 0);
    cr_assert_eq(eng.c.used_memory, 4 * 112);
    apply(S(5), TRACE_OP_GET, "a", 0, NOTTL);
    cr_assert(!present("a"));
    cr_assert_eq(eng.c.keyspace_misses, 1);
    apply(S(6), TRACE_OP_DEL, "b", 0, NOTTL); /* expired, not deleted: DEL finds nothing */
    cr_assert_eq(eng.c.deleted_keys, 0);
    apply(S(7), TRACE_OP_SET, "c", 50, NOTTL); /* a new key: the old one expired first */
    cr_assert_eq(eng.c.expired_keys, 3);
    cr_assert(present("c"));
    cr_assert_eq(ks_expire_us(&eng.ks, ks_find(&eng.ks, "c", 1)), KS_NO_EXPIRE);
}

Test(redis_expire, the_cron_samples_again_while_the_sample_is_stale) {
    start(S(0.1));
    set_keys(S(0), "t", 1000, S(1));
    set_keys(S(0), "p", 1000, NOTTL);
    apply(S(0.95), TRACE_OP_GET, "p0", 0, NOTTL);
    cr_assert_eq(eng.c.expired_keys, 0);
    apply(S(1.05), TRACE_OP_GET, "p0", 0, NOTTL);
    cr_assert_eq(eng.c.expired_keys, 0, "at the tick of 1.0 s, now_ms is not yet past when_ms");
    apply(S(1.15), TRACE_OP_GET, "p0", 0, NOTTL); /* after the tick at 1.1 s */
    cr_assert_eq(eng.c.expired_keys, 1000, "every sample was stale: the cycle went on to the end");
    cr_assert_eq(eng.ks.count, 1000);
}

Test(redis_expire, a_few_stale_keys_among_many_wait_for_later_ticks) {
    start(S(0.1));
    set_keys(S(0), "t", 50, S(1));
    set_keys(S(0), "l", 950, S(1000));
    apply(S(1.05), TRACE_OP_GET, "l0", 0, NOTTL);
    /* 5% of the keys with a TTL are stale: a sample of 20 finds one or two
     * and the cycle stops there. */
    cr_assert(eng.c.expired_keys < 10, "%llu expired in one tick",
              (unsigned long long)eng.c.expired_keys);
    uint64_t after_one = eng.c.expired_keys;
    apply(S(60), TRACE_OP_GET, "l0", 0, NOTTL); /* 589 more ticks */
    cr_assert(eng.c.expired_keys > after_one);
    cr_assert_eq(eng.c.expired_keys, 50, "the stale keys are all found in time");
}

/* 10 us a key: the slow cycle's 25 ms at hz 10 is 2,500 keys, checked
 * every 16 loops of 20 or more keys, so it stops after the 128th loop
 * (2,560 keys or a few more: a bucket's keys are taken together). */
Test(redis_expire, a_slow_cycle_stops_at_its_time_limit_and_lets_a_fast_one_run) {
    start_cost(S(0.1), 10000);
    set_keys(S(0), "t", 30000, S(1));
    apply(S(1.15), TRACE_OP_TICK, NULL, 0, NOTTL); /* ticks at 0.1 ... 1.1 */
    /* The slow cycle at 1.1 s, a fast one on the turn after the tick and
     * another on the turn of the event at 1.15 s, each at its limit. */
    cr_assert_eq(eng.rx.time_cap_reached, 3);
    cr_assert_eq(eng.rx.cycles_fast, 2);
    /* A fast cycle starts at db 1: db 0's first loop is its 16th
     * iteration, then 16 more loops to the next check (1 ms = 100 keys). */
    uint64_t x = eng.c.expired_keys;
    cr_assert(x >= 2560 + 2 * 340 && x < 2560 + 2 * 340 + 600, "%llu expired",
              (unsigned long long)x);
    /* More event-loop turns: a fast cycle at most every 2 ms. */
    for (int k = 1; k <= 8; k++) apply(S(1.15) + k * 500, TRACE_OP_GET, "none", 0, NOTTL);
    cr_assert_eq(eng.rx.cycles_fast, 4, "turns at +0.5 ... +4 ms: fast cycles at +2 and +4 ms");
}

Test(redis_expire, no_fast_cycle_while_the_slow_one_keeps_up) {
    start(S(0.1));
    set_keys(S(0), "t", 2000, S(1));
    for (int k = 0; k < 100; k++) apply(S(1) + k * S(0.01), TRACE_OP_GET, "none", 0, NOTTL);
    cr_assert_eq(eng.c.expired_keys, 2000);
    cr_assert_eq(eng.rx.time_cap_reached, 0);
    cr_assert_eq(eng.rx.cycles_fast, 0, "Redis 7.0 compares the stale fraction with 10");
}

Test(redis_expire, the_expires_dict_grows_and_the_cron_shrinks_it) {
    start(S(0.1));
    set_keys(S(0), "t", 1000, S(1));
    cr_assert_eq(eng.rx.size, 1024);
    cr_assert_eq(eng.rx.used, 1000);
    set_keys(S(0), "l", 50, S(100));
    cr_assert_eq(eng.rx.size, 2048, "the 1025th key doubles it");
    apply(S(1.25), TRACE_OP_GET, "none", 0, NOTTL);
    cr_assert_eq(eng.rx.used, 50);
    cr_assert_eq(eng.rx.size, 64, "under 10%% full: the power of two above the keys");
}

Test(redis_expire, costs) {
    start(0);
    fs_err err;
    uint32_t ns, seed;
    cr_assert_eq(rx_parse_cost("redis", &ns, &seed, &err), 1);
    cr_assert_eq(ns, 0);
    cr_assert_eq(seed, 0);
    cr_assert_eq(rx_parse_cost("redis:2.5", &ns, &seed, &err), 1);
    cr_assert_eq(ns, 2500);
    cr_assert_eq(seed, 0);
    cr_assert_eq(rx_parse_cost("redis:2.5:4294967295", &ns, &seed, &err), 1);
    cr_assert_eq(ns, 2500);
    cr_assert_eq(seed, 4294967295u);
    cr_assert_eq(rx_parse_cost("redis:0", &ns, &seed, &err), -1);
    cr_assert_eq(rx_parse_cost("redis:x", &ns, &seed, &err), -1);
    cr_assert_eq(rx_parse_cost("redis:4:", &ns, &seed, &err), -1);
    cr_assert_eq(rx_parse_cost("redis:4:-1", &ns, &seed, &err), -1);
    cr_assert_eq(rx_parse_cost("redis:4:7x", &ns, &seed, &err), -1);
    cr_assert_eq(rx_parse_cost("redis:4:4294967296", &ns, &seed, &err), -1);
    cr_assert(strstr(err.msg, "SEED") != NULL, "%s", err.msg);
    cr_assert_eq(rx_parse_cost("exact", &ns, &seed, &err), 0);
    engine_expiry x;
    cr_assert_eq(engine_expiry_parse("redis:3", &x, &err), 0);
    cr_assert_eq(x, ENGINE_EXPIRY_REDIS);
}

Test(redis_expire, names) {
    start(0);
    fs_err err;
    engine_expiry x;
    cr_assert_eq(engine_expiry_parse("redis", &x, &err), 0);
    cr_assert_eq(x, ENGINE_EXPIRY_REDIS);
    cr_assert_eq(engine_expiry_parse("lazy", &x, &err), -1);
    cr_assert_str_eq(engine_expiry_name(ENGINE_EXPIRY_EXACT), "exact");
}

/* Which keys of a dict over the slow cycle's budget stay after one cycle:
 * the cycle walks buckets in order, so the seed (the bucket order) picks
 * them, and about as many go whatever the seed. */
static int survivors(uint32_t seed, char *alive, int n) {
    start_seeded(S(0.1), 4000, seed); /* hz 10; 4 us a key: ~6,000 keys a cycle */
    set_keys(S(0), "k", n, S(1));
    apply(S(1.15), TRACE_OP_SET, "tick", 100, NOTTL); /* past the TTLs, one tick */
    int left = 0;
    char k[32];
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof k, "k%d", i);
        alive[i] = (char)present(k);
        left += alive[i];
    }
    engine_destroy(&eng);
    cr_assert_eq(test_counts.live_bytes, 0);
    return left;
}

Test(redis_expire, the_hash_seed_orders_the_buckets) {
    enum { N = 20000 };
    static char a[N], b[N];
    int left0 = survivors(0, a, N), left7 = survivors(7, b, N);
    int differ = 0;
    for (int i = 0; i < N; i++) differ += a[i] != b[i];
    cr_assert(left0 > 0 && left0 < N, "one cycle removes some keys, not all: %d left", left0);
    cr_assert(abs(left0 - left7) < N / 20, "about as many keys go: %d and %d left", left0, left7);
    cr_assert_gt(differ, N / 10, "other keys go with another seed (%d differ)", differ);
    start(0); /* for the suite's teardown */
}
