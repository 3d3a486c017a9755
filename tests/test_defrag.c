/* Active defrag's model (sim/defrag.c) on the plain-malloc test backend:
 * the start rule and its effort, the switch-on time, data left intact by
 * the moves, and the generic rule's decisions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sim/engine.h"
#include "test_backend.h"

#define S(x) ((int64_t)((x) * TRACE_US_PER_S))

/* The test backend reports allocated only; the start rule needs a second
 * figure, so this one reports its allocated bytes times a chosen factor as
 * mapped (what glibc's backend gives in place of active). */
static double frag_factor = 2.0;

static int frag_stats(void *state, backend_stats *out, fs_err *err) {
    if (test_backend.stats(state, out, err) != 0) return -1;
    out->mapped = (uint64_t)((double)out->allocated * frag_factor);
    out->have |= BACKEND_HAVE_MAPPED;
    return 0;
}

static backend_ops be;
static engine eng;
static void *be_state;

static defrag_config redis_defaults(void) {
    return (defrag_config){.enabled = 1, .ignore_bytes = 0, .threshold_lower = 10,
                           .threshold_upper = 100, .cycle_min = 1, .cycle_max = 25,
                           .max_scan_fields = 1000, .hint = DEFRAG_HINT_ALWAYS};
}

static void start(om_kind model, defrag_config dc) {
    fs_err err;
    be = test_backend;
    be.stats = frag_stats;
    cr_assert_eq(be.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = S(1000), .tick_interval_us = S(0.1),
                         .object_model = model, .defrag = dc};
    cr_assert_eq(engine_init(&eng, &be, be_state, &cfg, &err), 0, "%s", err.msg);
}

static void apply(int64_t t, trace_op op, const char *key, uint64_t size, int64_t ttl) {
    trace_event ev = {.time_us = t, .op = op, .key = key, .keylen = key ? (uint32_t)strlen(key) : 0,
                      .size = size, .ttl_us = ttl};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &ev, &err), 0, "engine_apply: %s", err.msg);
}

/* n keys of varied sizes (some with a TTL far away), every third deleted. */
static void load(int n) {
    char key[32];
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "k%d", i);
        apply(S(0), TRACE_OP_SET, key, 16 + (uint64_t)(i * 37) % 300, i % 4 ? TRACE_TTL_NONE : S(1e6));
    }
    for (int i = 0; i < n; i += 3) {
        snprintf(key, sizeof key, "k%d", i);
        apply(S(0), TRACE_OP_DEL, key, 0, TRACE_TTL_NONE);
    }
}

static void tick_until(double s) { apply(S(s), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE); }

static void check_pass_keeps_data(om_kind model) {
    defrag_config dc = redis_defaults();
    dc.cycle_min = dc.cycle_max = 5; /* 5 ms of each 100 ms tick */
    start(model, dc);
    load(3000);
    uint64_t sum0 = defrag_checksum(&eng), used0 = eng.c.used_memory, req0 = eng.c.requested_bytes;
    uint64_t keys = eng.ks.count;
    tick_until(5);
    cr_assert_geq(eng.df.st.passes_done, 1, "a pass ran to its end");
    cr_assert_eq(defrag_checksum(&eng), sum0, "the moves changed no byte of any key");
    cr_assert_eq(eng.c.used_memory, used0);
    cr_assert_eq(eng.c.requested_bytes, req0);
    cr_assert_geq(eng.df.st.key_hits, keys * eng.df.st.passes_done,
                  "with the hint 'always' every key is a hit in every pass");
    cr_assert_eq(eng.df.st.key_misses, 0);
    cr_assert_eq(eng.df.st.misses, 0);
    /* Deleting every key afterwards frees every moved block exactly once. */
    char key[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        apply(S(6), TRACE_OP_DEL, key, 0, TRACE_TTL_NONE);
    }
    if (model == OM_RAW) cr_assert_eq(eng.c.used_memory, 0);
    engine_destroy(&eng);
}

Test(defrag, a_pass_moves_blocks_without_changing_data_raw) { check_pass_keeps_data(OM_RAW); }

Test(defrag, a_pass_moves_blocks_without_changing_data_redis) {
    check_pass_keeps_data(OM_REDIS);
    cr_assert_eq(test_counts.live_bytes, 0, "every block freed with its own size");
}

Test(defrag, the_start_rule_needs_both_thresholds) {
    defrag_config dc = redis_defaults();
    dc.ignore_bytes = 1u << 30; /* far above what the keys hold */
    frag_factor = 2.0;
    start(OM_RAW, dc);
    load(300);
    tick_until(3);
    cr_assert_eq(eng.df.st.passes, 0, "under ignore-bytes nothing starts");
    engine_destroy(&eng);

    dc.ignore_bytes = 0;
    frag_factor = 1.05; /* 5% < threshold-lower 10% */
    start(OM_RAW, dc);
    load(300);
    tick_until(3);
    cr_assert_eq(eng.df.st.passes, 0, "under threshold-lower nothing starts");
    engine_destroy(&eng);
    frag_factor = 2.0;
}

Test(defrag, effort_is_interpolated_between_the_thresholds) {
    defrag_config dc = redis_defaults();
    frag_factor = 1.56; /* 56%: 1 + (56 - 10) * 24 / 90 = 13.3, truncated as Redis does */
    start(OM_RAW, dc);
    load(20000);
    tick_until(1.05); /* the first tick at 0.1 s starts it */
    cr_assert_geq(eng.df.st.passes, 1);
    cr_assert_eq(eng.df.st.running, 13, "effort %d", eng.df.st.running);
    engine_destroy(&eng);
    frag_factor = 3.0; /* 200%: clamped to cycle-max */
    start(OM_RAW, dc);
    load(20000);
    tick_until(0.15);
    cr_assert_eq(eng.df.st.running, 25);
    engine_destroy(&eng);
    frag_factor = 2.0;
}

Test(defrag, nothing_before_activedefrag_comes_on) {
    defrag_config dc = redis_defaults();
    dc.enable_at_us = S(2);
    start(OM_RAW, dc);
    load(300);
    tick_until(1.95);
    cr_assert_eq(eng.df.st.passes, 0);
    cr_assert_eq(eng.df.st.cpu_ns, 0, "no defrag work at all while off");
    tick_until(2.05);
    cr_assert_geq(eng.df.st.passes, 1);
    cr_assert(eng.df.st.first_start_s >= 2.0 && eng.df.st.first_start_s < 2.1);
    engine_destroy(&eng);
}

/* The generic rule: a census, then moves of blocks in emptier regions
 * only, never of large blocks. */
Test(defrag, the_generic_rule_moves_some_and_leaves_some) {
    defrag_config dc = redis_defaults();
    dc.hint = DEFRAG_HINT_GENERIC;
    dc.cycle_min = dc.cycle_max = 5;
    start(OM_RAW, dc);
    cr_assert(eng.df.generic, "the test backend has no rule of its own");
    char key[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        apply(S(0), TRACE_OP_SET, key, 48, TRACE_TTL_NONE);
    }
    /* Leave every region partly empty, some far emptier than others. */
    for (int i = 0; i < 20000; i++)
        if ((i / 64) % 2 ? i % 8 != 0 : i % 2 != 0) {
            snprintf(key, sizeof key, "k%d", i);
            apply(S(0), TRACE_OP_DEL, key, 0, TRACE_TTL_NONE);
        }
    /* Blocks above an eighth of a region are never moved.  (Which small
     * blocks stay depends on where the allocator put them: the sanitizer's
     * malloc spreads them differently from glibc's.) */
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "big%d", i);
        apply(S(0), TRACE_OP_SET, key, 2000, TRACE_TTL_NONE);
    }
    uint64_t sum0 = defrag_checksum(&eng);
    tick_until(1);
    cr_assert_geq(eng.df.st.passes_done, 1);
    cr_assert_gt(eng.df.st.hits, 0, "blocks in the emptiest regions move");
    cr_assert_geq(eng.df.st.misses, 100 * eng.df.st.passes_done, "large blocks stay");
    cr_assert_eq(defrag_checksum(&eng), sum0);
    engine_destroy(&eng);
}

Test(defrag, hint_names_parse) {
    defrag_hint_kind k;
    fs_err err;
    cr_assert_eq(defrag_hint_parse("generic", &k, &err), 0);
    cr_assert_eq(k, DEFRAG_HINT_GENERIC);
    cr_assert_eq(defrag_hint_parse("sometimes", &k, &err), -1);
    cr_assert(strstr(err.msg, "auto, generic or always") != NULL, "%s", err.msg);
}
