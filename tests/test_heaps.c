/* Shards in one process (--shard arenas): the engine sends every block of
 * a key to the heap its event names and frees it there, keeps each heap's
 * counters adding up to the totals, leaves the redis model's tables in the
 * default heap, and refuses what it cannot do (no heaps, active defrag). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sim/engine.h"
#include "test_backend.h"

#define S(x) ((int64_t)((x) * TRACE_US_PER_S))

static engine eng;
static void *be_state;

static void start(om_kind model, int nheaps) {
    fs_err err;
    cr_assert_eq(test_backend_heaps.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = S(10), .object_model = model, .nheaps = nheaps};
    cr_assert_eq(engine_init(&eng, &test_backend_heaps, be_state, &cfg, &err), 0, "%s", err.msg);
}

static void apply(int64_t t, trace_op op, const char *key, uint64_t size, int64_t ttl, int shard) {
    trace_event ev = {.time_us = t, .op = op, .key = key, .keylen = key ? (uint32_t)strlen(key) : 0,
                      .size = size, .ttl_us = ttl, .shard = (uint8_t)shard};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &ev, &err), 0, "engine_apply: %s", err.msg);
}

/* Each heap's counters match what the backend holds in it, and together
 * they are the totals (less what no key owns). */
static void check_heaps(int nheaps, uint64_t shared_requested) {
    uint64_t req = 0, used = 0, keys = 0;
    for (int h = 0; h < nheaps; h++) {
        cr_assert_eq(eng.heaps[h].requested_bytes, test_counts.heap_live[h], "heap %d", h);
        req += eng.heaps[h].requested_bytes;
        used += eng.heaps[h].used_memory;
        keys += eng.heaps[h].keys;
    }
    cr_assert_eq(req + shared_requested, eng.c.requested_bytes);
    cr_assert_leq(used, eng.c.used_memory);
    cr_assert_eq(keys, eng.ks.count);
    cr_assert_eq(test_counts.heap_mismatches, 0, "every block went back to its own heap");
}

Test(heaps, raw_values_go_to_their_shards_heap_and_come_back_to_it) {
    start(OM_RAW, 3);
    char key[32];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "k%d", i);
        apply(S(i * 0.01), TRACE_OP_SET, key, 100 + (uint64_t)i * 10, S(10 + i % 7), i % 3);
    }
    check_heaps(3, 0);
    cr_assert_eq(eng.heaps[1].keys, 100);
    cr_assert_eq(test_counts.live_bytes, 0, "nothing in the default heap");
    /* Overwrites (the event still names the key's shard), appends, DELs. */
    for (int i = 0; i < 300; i += 2) {
        snprintf(key, sizeof key, "k%d", i);
        apply(S(3), i % 4 ? TRACE_OP_APPEND : TRACE_OP_SET, key, 50, TRACE_TTL_NONE, i % 3);
    }
    apply(S(3), TRACE_OP_DEL, "k5", 0, TRACE_TTL_NONE, 2);
    check_heaps(3, 0);
    apply(S(20), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE, 0);
    check_heaps(3, 0);
    cr_assert_gt(eng.c.expired_keys, 0);
    engine_destroy(&eng);
    for (int h = 0; h < 3; h++) cr_assert_eq(test_counts.heap_live[h], 0, "heap %d drained", h);
    cr_assert_eq(test_counts.heap_mismatches, 0);
}

Test(heaps, the_redis_models_tables_stay_in_the_default_heap) {
    start(OM_REDIS, 2);
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "user:%d", i);
        apply(S(i * 0.01), TRACE_OP_SET, key, i % 2 ? 20 : 2000, i % 3 ? S(5) : TRACE_TTL_NONE,
              i % 2);
    }
    /* Only the two dicts' bucket arrays live outside the shards' heaps. */
    cr_assert_gt(test_counts.live_bytes, 0);
    check_heaps(2, test_counts.live_bytes);
    apply(S(10), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE, 0);
    check_heaps(2, test_counts.live_bytes);
    engine_destroy(&eng);
    cr_assert_eq(test_counts.heap_live[0] + test_counts.heap_live[1] + test_counts.live_bytes, 0);
}

Test(heaps, a_shard_past_the_heaps_is_an_error) {
    start(OM_RAW, 2);
    trace_event ev = {.time_us = 0, .op = TRACE_OP_SET, .key = "a", .keylen = 1, .size = 10,
                      .ttl_us = TRACE_TTL_NONE, .shard = 2};
    fs_err err;
    cr_assert_neq(engine_apply(&eng, &ev, &err), 0);
    cr_assert(strstr(err.msg, "shard 3") != NULL, "%s", err.msg);
    cr_assert_eq(eng.ks.count, 0);
    engine_destroy(&eng);
}

Test(heaps, refused_without_heaps_or_with_active_defrag) {
    fs_err err;
    engine e;
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = S(1), .nheaps = 3};
    cr_assert_neq(engine_init(&e, &test_backend, be_state, &cfg, &err), 0);
    cr_assert(strstr(err.msg, "no heaps") != NULL, "%s", err.msg);
    engine_destroy(&e);
    cfg.defrag.enabled = 1;
    cr_assert_neq(engine_init(&e, &test_backend_heaps, be_state, &cfg, &err), 0);
    cr_assert(strstr(err.msg, "defrag") != NULL, "%s", err.msg);
    engine_destroy(&e);
}
