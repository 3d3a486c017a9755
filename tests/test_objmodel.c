/* The redis object model's allocations (sim/objmodel.h), byte for byte, on
 * the plain-malloc test backend (usable sizes rounded up to 16). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sim/engine.h"
#include "test_backend.h"

#define S(x) ((int64_t)((x) * TRACE_US_PER_S))
#define U16(n) (((uint64_t)(n) + 15) & ~(uint64_t)15)

static engine eng;
static void *be_state;

static void start(int64_t tick_us) {
    fs_err err;
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = S(1000), .tick_interval_us = tick_us,
                         .object_model = OM_REDIS};
    cr_assert_eq(engine_init(&eng, &test_backend, be_state, &cfg, &err), 0);
}

static void setup(void) { start(0); }

/* Every block the model made is freed with the engine. */
static void teardown(void) {
    engine_destroy(&eng);
    cr_assert_eq(test_counts.live_bytes, 0, "%llu bytes left", (unsigned long long)test_counts.live_bytes);
    cr_assert_eq(test_counts.allocs, test_counts.frees);
}

static void apply(int64_t t, trace_op op, const char *key, uint64_t size, int64_t ttl) {
    trace_event ev = {.time_us = t, .op = op, .key = key, .keylen = key ? (uint32_t)strlen(key) : 0,
                      .size = size, .ttl_us = ttl};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &ev, &err), 0, "engine_apply: %s", err.msg);
}

#define NOTTL TRACE_TTL_NONE

/* The counters agree with what the backend holds. */
static void check_books(uint64_t requested) {
    cr_assert_eq(eng.c.requested_bytes, requested, "requested %llu, expected %llu",
                 (unsigned long long)eng.c.requested_bytes, (unsigned long long)requested);
    cr_assert_eq(test_counts.live_bytes, requested);
}

TestSuite(objmodel, .init = setup, .fini = teardown);

Test(objmodel, sds_and_value_sizes_follow_redis_7) {
    cr_assert_eq(om_key_sds_size(0), 4);   /* an empty sds is sdshdr8 */
    cr_assert_eq(om_key_sds_size(5), 7);   /* sdshdr5 */
    cr_assert_eq(om_key_sds_size(31), 33);
    cr_assert_eq(om_key_sds_size(32), 36); /* sdshdr8 */
    cr_assert_eq(om_sds_size(255), 259);
    cr_assert_eq(om_sds_size(256), 262);   /* sdshdr16 */
    cr_assert_eq(om_sds_size(65535), 65541);
    cr_assert_eq(om_sds_size(65536), 65546); /* sdshdr32 */
    uint64_t robj, body;
    om_value_sizes(44, &robj, &body);
    cr_assert(robj == 0 && body == 64, "44 bytes: one EMBSTR of 64");
    om_value_sizes(45, &robj, &body);
    cr_assert(robj == 16 && body == 49, "45 bytes: RAW, robj 16 + sds 49");
    om_value_sizes(0, &robj, &body);
    cr_assert(robj == 0 && body == 20);
}

Test(objmodel, set_of_an_embstr_value_allocates_key_entry_value_and_table) {
    apply(S(0), TRACE_OP_SET, "k1", 10, NOTTL);
    /* table 4*8, key sds 1+2+1, dictEntry 24, EMBSTR 16+3+10+1 */
    check_books(32 + 4 + 24 + 30);
    cr_assert_eq(test_counts.allocs, 4);
    cr_assert_eq(eng.c.used_memory, U16(32) + U16(4) + U16(24) + U16(30));
}

Test(objmodel, raw_value_and_ttl_add_robj_sds_and_expires_entry) {
    apply(S(0), TRACE_OP_SET, "k1", 100, S(50));
    /* main table, key, entry, robj 16, sds 3+100+1; expires table, entry */
    check_books(32 + 4 + 24 + 16 + 104 + 32 + 24);
    cr_assert_eq(test_counts.allocs, 7);
    apply(S(1), TRACE_OP_PERSIST, "k1", 0, NOTTL);
    check_books(32 + 4 + 24 + 16 + 104 + 32); /* the expires table stays */
    apply(S(2), TRACE_OP_EXPIRE, "k1", 0, S(5));
    check_books(32 + 4 + 24 + 16 + 104 + 32 + 24);
    apply(S(7), TRACE_OP_GET, "other", 0, NOTTL); /* k1 expired at 7 s */
    cr_assert_eq(eng.c.expired_keys, 1);
    check_books(32 + 32);
}

Test(objmodel, overwrite_allocates_the_new_value_before_freeing_the_old) {
    apply(S(0), TRACE_OP_SET, "k", 10, NOTTL);
    uint64_t allocs = test_counts.allocs, frees = test_counts.frees;
    apply(S(1), TRACE_OP_SET, "k", 1000, NOTTL); /* EMBSTR -> RAW */
    cr_assert_eq(test_counts.allocs, allocs + 2);
    cr_assert_eq(test_counts.frees, frees + 1);
    check_books(32 + 3 + 24 + 16 + 1006); /* sdshdr16 */
    apply(S(2), TRACE_OP_SET, "k", 20, NOTTL);   /* RAW -> EMBSTR */
    check_books(32 + 3 + 24 + 40);
    apply(S(3), TRACE_OP_APPEND, "k", 30, NOTTL); /* a new value of 50 bytes: RAW */
    check_books(32 + 3 + 24 + 16 + 54);
    apply(S(4), TRACE_OP_DEL, "k", 0, NOTTL);
    check_books(32);
    cr_assert_eq(eng.c.used_memory, U16(32));
}

static void set_keys(int64_t t, int from, int to) {
    char k[32];
    for (int i = from; i < to; i++) {
        snprintf(k, sizeof k, "key:%06d", i); /* 10 bytes: sds 12 */
        apply(t, TRACE_OP_SET, k, 10, NOTTL);
    }
}

#define PER_KEY (12 + 24 + 30)

Test(objmodel, table_doubles_when_full_and_the_old_goes_after_the_rehash) {
    set_keys(S(0), 0, 4);
    check_books(32 + 4 * PER_KEY);
    set_keys(S(0), 4, 5); /* used 4 >= size 4: 8 buckets, the old kept */
    check_books(32 + 64 + 5 * PER_KEY);
    /* No cron (hz 0): the old table's 4 buckets take 4 dict operations;
     * the SET's own add was the first. */
    apply(S(1), TRACE_OP_GET, "key:000000", 0, NOTTL);
    apply(S(1), TRACE_OP_GET, "key:000001", 0, NOTTL);
    check_books(32 + 64 + 5 * PER_KEY);
    apply(S(1), TRACE_OP_GET, "key:000002", 0, NOTTL);
    check_books(64 + 5 * PER_KEY);
    set_keys(S(2), 5, 9); /* 8 used at the 9th add: 16 buckets */
    cr_assert_eq(eng.om.main.size, 16);
    cr_assert_eq(eng.om.main.used, 9);
}

Test(objmodel, the_cron_finishes_rehashes_and_shrinks_sparse_tables, .init = NULL) {
    start(S(0.1)); /* hz 10 */
    /* 128 buckets from the 65th key; its 64 old ones still held: each SET
     * since took 2 steps (lookup, add), 10 of the 64 needed. */
    set_keys(S(0), 0, 70);
    cr_assert_eq(eng.om.main.size, 128);
    cr_assert_not_null(eng.om.main.old);
    char k[32];
    apply(S(0.11), TRACE_OP_GET, "key:000000", 0, NOTTL); /* after the tick at 0.1 s */
    cr_assert_null(eng.om.main.old);
    check_books(128 * 8 + 70 * PER_KEY);
    for (int i = 0; i < 65; i++) {
        snprintf(k, sizeof k, "key:%06d", i);
        apply(S(0.15), TRACE_OP_DEL, k, 0, NOTTL);
    }
    check_books(128 * 8 + 5 * PER_KEY); /* 5% full: shrunk on the next tick */
    apply(S(0.21), TRACE_OP_GET, "key:000069", 0, NOTTL);
    cr_assert_eq(eng.om.main.size, 8);
    check_books(8 * 8 + 5 * PER_KEY);
    apply(S(0.31), TRACE_OP_GET, "key:000069", 0, NOTTL);
    cr_assert_eq(eng.om.main.size, 8, "5 of 8 used: no shrink below max(used, 4)");
}

Test(objmodel, raw_model_is_unchanged_by_default, .init = NULL) {
    fs_err err;
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = S(1000)};
    cr_assert_eq(engine_init(&eng, &test_backend, be_state, &cfg, &err), 0);
    apply(S(0), TRACE_OP_SET, "k1", 100, S(5));
    check_books(100);
    cr_assert_eq(test_counts.allocs, 1);
}
