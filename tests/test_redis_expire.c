/* --expiry redis: lazy expiry on access and the cron's active expire cycle
 * (sim/redis_expire.h), on the plain-malloc test backend. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sim/engine.h"
#include "../sim/redis_expire.h"
#include "test_backend.h"

#define S(x) ((int64_t)((x) * TRACE_US_PER_S))
#define NOTTL TRACE_TTL_NONE

static engine eng;
static void *be_state;

static void start(int64_t tick_us) {
    fs_err err;
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = S(1000), .tick_interval_us = tick_us,
                         .expiry = ENGINE_EXPIRY_REDIS};
    cr_assert_eq(engine_init(&eng, &test_backend, be_state, &cfg, &err), 0);
}

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
    apply(S(1.05), TRACE_OP_GET, "p0", 0, NOTTL); /* after the tick at 1.0 s */
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

Test(redis_expire, a_tick_samples_at_most_its_budget) {
    start(S(0.1)); /* hz 10: 25,000 keys a tick */
    uint64_t budget = (uint64_t)S(0.1) * RX_BUDGET_KEYS_PER_SECOND / 1000000 * RX_CYCLE_PERCENT / 100;
    cr_assert_eq(budget, 25000);
    set_keys(S(0), "t", 30000, S(1));
    apply(S(1.05), TRACE_OP_TICK, NULL, 0, NOTTL);
    cr_assert_eq(eng.c.expired_keys, budget, "all stale: one key per sample, up to the budget");
    apply(S(1.15), TRACE_OP_TICK, NULL, 0, NOTTL);
    cr_assert_eq(eng.c.expired_keys, 30000);
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
