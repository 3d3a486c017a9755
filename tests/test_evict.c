/* maxmemory eviction (sim/evict.h): each policy picks sensible victims, on
 * the plain-malloc test backend (a 100-byte value uses 112 bytes). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sim/engine.h"
#include "test_backend.h"

#define S(x) ((int64_t)((x) * TRACE_US_PER_S))
#define NOTTL TRACE_TTL_NONE
#define FIT 100 /* keys of 100 bytes under maxmemory */

static engine eng;
static void *be_state;

static void start(redis_policy p) {
    fs_err err;
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = S(100000), .maxmemory = FIT * 112,
                         .maxmemory_policy = p, .maxmemory_samples = 5};
    cr_assert_eq(engine_init(&eng, &test_backend, be_state, &cfg, &err), 0);
}

static void teardown(void) {
    engine_destroy(&eng);
    cr_assert_eq(test_counts.live_bytes, 0);
}

TestSuite(evict, .fini = teardown);

static void apply(int64_t t, trace_op op, int i, int64_t ttl) {
    char k[32];
    snprintf(k, sizeof k, "key:%d", i);
    trace_event ev = {.time_us = t, .op = op, .key = k, .keylen = (uint32_t)strlen(k), .size = 100,
                      .ttl_us = ttl};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &ev, &err), 0, "engine_apply: %s", err.msg);
}

static int present(int i) {
    char k[32];
    snprintf(k, sizeof k, "key:%d", i);
    return ks_find(&eng.ks, k, (uint32_t)strlen(k)) != KS_NONE;
}

static int count_present(int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) n += present(i);
    return n;
}

Test(evict, lru_evicts_mostly_the_oldest_keys) {
    start(REDIS_POLICY_ALLKEYS_LRU);
    for (int i = 0; i < 300; i++) apply(S(i), TRACE_OP_SET, i, NOTTL);
    cr_assert_eq(eng.c.evicted_keys, 300 - eng.ks.count);
    cr_assert(eng.ks.count >= FIT && eng.ks.count <= FIT + 1);
    cr_assert(eng.c.used_memory <= FIT * 112 + 112);
    /* The newest hundred mostly survive, the oldest hundred hardly. */
    int oldest = count_present(0, 100), newest = count_present(200, 300);
    cr_assert(oldest < 10 && newest > 60, "oldest %d, newest %d kept", oldest, newest);
}

Test(evict, lru_keeps_keys_that_are_read) {
    start(REDIS_POLICY_ALLKEYS_LRU);
    int t = 0;
    for (int i = 0; i < 300; i++) {
        apply(S(t++), TRACE_OP_SET, i, NOTTL);
        for (int h = 0; h < 10 && i >= 10; h++) apply(S(t), TRACE_OP_GET, h, NOTTL);
    }
    cr_assert_eq(count_present(0, 10), 10, "the ten keys read every second stay");
}

Test(evict, lfu_keeps_frequently_read_keys) {
    start(REDIS_POLICY_ALLKEYS_LFU);
    for (int i = 0; i < FIT; i++) apply(S(0), TRACE_OP_SET, i, NOTTL);
    for (int r = 0; r < 50; r++)
        for (int i = 0; i < 20; i++) apply(S(1), TRACE_OP_GET, i, NOTTL);
    for (int i = FIT; i < 3 * FIT; i++) apply(S(2), TRACE_OP_SET, i, NOTTL);
    int hot = count_present(0, 20), cold = count_present(20, FIT);
    cr_assert(hot >= 18 && cold < 40, "hot %d of 20, cold %d of 80 kept", hot, cold);
}

Test(evict, volatile_policies_never_evict_keys_without_a_ttl) {
    redis_policy ps[] = {REDIS_POLICY_VOLATILE_LRU, REDIS_POLICY_VOLATILE_LFU,
                         REDIS_POLICY_VOLATILE_RANDOM, REDIS_POLICY_VOLATILE_TTL};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        start(ps[k]);
        /* 50 keys without a TTL, then 200 with, then more without. */
        int t = 0;
        for (int i = 0; i < 50; i++) apply(S(t++), TRACE_OP_SET, i, NOTTL);
        for (int i = 50; i < 250; i++) apply(S(t++), TRACE_OP_SET, i, S(1e6 + i));
        for (int i = 250; i < 400; i++) apply(S(t++), TRACE_OP_SET, i, NOTTL);
        for (int i = 0; i < 50; i++)
            cr_assert(present(i), "%s evicted key:%d, which has no TTL", redis_policy_name(ps[k]), i);
        cr_assert_eq(count_present(50, 250), 0, "every key with a TTL went first");
        cr_assert_gt(eng.c.evicted_keys, 0);
        cr_assert_gt(eng.c.rejected_writes, 0, "%s: with only persistent keys left, writes are refused",
                     redis_policy_name(ps[k]));
        if (k + 1 < sizeof ps / sizeof ps[0]) engine_destroy(&eng);
    }
}

Test(evict, volatile_ttl_evicts_the_soonest_to_expire) {
    start(REDIS_POLICY_VOLATILE_TTL);
    /* Key i expires at 1000 + i seconds for the first 100, far later for the rest. */
    for (int i = 0; i < FIT; i++) apply(S(0), TRACE_OP_SET, i, S(1000 + i));
    for (int i = FIT; i < 2 * FIT; i++) apply(S(0), TRACE_OP_SET, i, S(1e6 + i));
    cr_assert(count_present(0, FIT) < 10, "%d of the soonest kept", count_present(0, FIT));
    cr_assert(count_present(FIT, 2 * FIT) > 90);
}

Test(evict, random_evicts_from_everywhere) {
    start(REDIS_POLICY_ALLKEYS_RANDOM);
    for (int i = 0; i < 3 * FIT; i++) apply(S(i), TRACE_OP_SET, i, NOTTL);
    int oldest = count_present(0, FIT), newest = count_present(2 * FIT, 3 * FIT);
    cr_assert(oldest > 0 && newest < FIT, "oldest %d, newest %d kept", oldest, newest);
    cr_assert_eq(eng.c.evicted_keys + eng.ks.count, 3 * FIT);
}

Test(evict, noeviction_refuses_writes_and_keeps_every_key) {
    start(REDIS_POLICY_NOEVICTION);
    for (int i = 0; i < 2 * FIT; i++) apply(S(i), TRACE_OP_SET, i, NOTTL);
    cr_assert_eq(eng.c.evicted_keys, 0);
    cr_assert_eq(eng.ks.count, FIT + 1, "writes go on until used_memory is over, as in Redis");
    cr_assert_eq(eng.c.rejected_writes, FIT - 1);
    apply(S(500), TRACE_OP_GET, 0, NOTTL);
    cr_assert_eq(eng.c.keyspace_hits, 1, "reads still work");
    apply(S(501), TRACE_OP_DEL, 0, NOTTL);
    apply(S(502), TRACE_OP_SET, 5000, NOTTL);
    cr_assert(present(5000), "a DEL made room");
}
