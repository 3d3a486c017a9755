/* Trace statistics: jemalloc's size classes, the counts and histograms of a
 * small trace worked out by hand, and the allocator-less replay agreeing
 * with the engine's on real samples. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/trace_stats.h"
#include "../sim/engine.h"
#include "test_backend.h"
#include "test_util.h"

static char *dir;

static void setup(void) {
    dir = tu_tmpdir();
    cr_assert_not_null(dir);
}

static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(trace_stats, .init = setup, .fini = teardown, .timeout = 120);

#define SAMPLES FRAGSIM_SOURCE_DIR "/traces/samples"

Test(trace_stats, jemalloc_size_classes) {
    /* Each pair is a request and what nallocx() returned for it from Debian's
     * libjemalloc 5.3.0 (checked with a small program calling nallocx; the
     * same program found no difference over every size up to 70000 and
     * every 997th up to 64 MiB). */
    static const uint64_t known[][2] = {
        {0, 0},          {1, 8},          {8, 8},          {9, 16},         {16, 16},
        {17, 32},        {33, 48},        {49, 64},        {65, 80},        {81, 96},
        {112, 112},      {113, 128},      {129, 160},      {161, 192},      {224, 224},
        {257, 320},      {384, 384},      {448, 448},      {513, 640},      {1025, 1280},
        {2049, 2560},    {4097, 5120},    {8193, 10240},   {12288, 12288},  {14336, 14336},
        {14337, 16384},  {16385, 20480},  {28673, 32768},  {32769, 40960},  {65537, 81920},
        {100000, 114688}, {1048577, 1310720}, {536870912, 536870912},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        cr_assert_eq(trace_stats_jemalloc_class(known[i][0]), known[i][1],
                     "class of %llu: %llu, expected %llu", (unsigned long long)known[i][0],
                     (unsigned long long)trace_stats_jemalloc_class(known[i][0]),
                     (unsigned long long)known[i][1]);
    /* Classes are fixed points and never below the request. */
    for (uint64_t s = 1; s < 100000; s++) {
        uint64_t c = trace_stats_jemalloc_class(s);
        if (c < s || trace_stats_jemalloc_class(c) != c)
            cr_assert_fail("size %llu", (unsigned long long)s);
    }
}

static int stats_of(const char *path, double interval, int fill, trace_stats *st) {
    trace_reader r;
    fs_err err;
    cr_assert_eq(trace_open(&r, path, NULL, &err), 0, "%s", err.msg);
    int rc = trace_stats_compute(&r, interval, fill, st, &err);
    trace_close(&r);
    cr_assert_eq(rc, 0, "%s", err.msg);
    return rc;
}

static const ts_class *class_of(const trace_stats *st, uint64_t size) {
    for (size_t i = 0; i < st->nclasses; i++)
        if (st->classes[i].size == size) return &st->classes[i];
    cr_assert_fail("no class %llu", (unsigned long long)size);
    return NULL;
}

/* Worked out by hand: see the comments line by line. */
static const char *const TRACE =
    "fragsim-trace v1\n"
    "100 SET a 100 5\n"          /* a: 100 B (class 112), ttl 5 s: expires at 105   */
    "100 SET b 20\n"             /* b: 20 B (class 32), no ttl                      */
    "101 SET b 40 3600\n"        /* overwrite b: 40 B (48), ttl 1 h; frees 20      */
    "101 SET c 10 NX\n"          /* c: 10 B (16)                                    */
    "102 SET c 99 NX\n"          /* skipped: c exists                               */
    "102 SET d 10 XX\n"          /* skipped: d missing                              */
    "103 GET a\n"                /* hit                                             */
    "103 GET e 300\n"            /* miss (fill 300 B, class 320, with --fill)       */
    "104 APPEND c 6 XX\n"        /* c: 16 B (16), overwrite; frees 10               */
    "106 GET a\n"                /* a expired at 105: miss, no size                 */
    "107 DEL b\n"                /* frees 40                                        */
    "107 DEL nothing\n"
    "108 PURGE\n"
    "130 TICK\n";

Test(trace_stats, a_small_trace_by_hand) {
    const char *path = tu_path(dir, "t.trace");
    cr_assert_eq(tu_write_file(path, TRACE), 0);
    trace_stats st;
    stats_of(path, 10, 0, &st);
    cr_assert_str_eq(st.format, "text");
    cr_assert_eq(st.events, 14);
    cr_assert_eq(st.ops[TRACE_OP_SET], 6);
    cr_assert_eq(st.ops[TRACE_OP_GET], 3);
    cr_assert_eq(st.ops[TRACE_OP_APPEND], 1);
    cr_assert_eq(st.ops[TRACE_OP_DEL], 2);
    cr_assert_eq(st.ops[TRACE_OP_PURGE], 1);
    cr_assert_eq(st.ops[TRACE_OP_TICK], 1);
    cr_assert_eq(st.cond_nx, 2);
    cr_assert_eq(st.cond_xx, 2);
    cr_assert_eq(st.gets_with_size, 1);
    cr_assert_eq(st.distinct_keys, 6, "a b c d e nothing");
    cr_assert_eq(st.hits, 1);
    cr_assert_eq(st.misses, 2);
    cr_assert_eq(st.fills, 0);
    cr_assert_eq(st.skipped_writes, 2);
    cr_assert_eq(st.values_stored, 5, "a, b, b, c, c (append)");
    cr_assert_eq(st.written_bytes, 100 + 20 + 40 + 10 + 16);
    cr_assert_eq(st.overwrites, 2);
    cr_assert_eq(st.expired_keys, 1);
    cr_assert_eq(st.deleted_keys, 1);
    cr_assert_eq(st.freed_bytes, 20 + 10 + 100 + 40);
    /* Peak: after 101 SET c: a 100 + b 40 + c 10 = 150, at 1 s; APPEND at 104
     * makes 156. */
    cr_assert_eq(st.peak.live_bytes, 156);
    cr_assert_eq(st.peak.class_bytes, 112 + 48 + 16);
    cr_assert_eq(st.peak.keys, 3);
    cr_assert_float_eq(st.peak.time, 4.0, 1e-9);
    cr_assert_eq(st.final.live_bytes, 16);
    cr_assert_eq(st.final.keys, 1);
    cr_assert_float_eq(st.final.time, 30.0, 1e-9);
    /* Classes of the stored values. */
    cr_assert_eq(class_of(&st, 112)->values, 1);
    cr_assert_eq(class_of(&st, 112)->requested, 100);
    cr_assert_eq(class_of(&st, 32)->values, 1);
    cr_assert_eq(class_of(&st, 48)->values, 1);
    cr_assert_eq(class_of(&st, 16)->values, 2);
    cr_assert_eq(class_of(&st, 16)->requested, 26);
    cr_assert_eq(class_of(&st, 320)->values, 0);
    /* TTLs: a 5 s, b none, b 1 h, c none (the APPEND keeps no new TTL). */
    cr_assert_eq(st.ttl[TS_TTL_NONE], 2);
    cr_assert_eq(st.ttl[TS_TTL_10S], 1);
    cr_assert_eq(st.ttl[TS_TTL_1H], 1);
    /* Series every 10 s from 100: 0 (a, b), 10 (c only: a expired, b deleted),
     * 20, 30 (the end). */
    cr_assert_eq(st.nseries, 4);
    cr_assert_float_eq(st.series[0].time, 0, 1e-9);
    cr_assert_eq(st.series[0].live_bytes, 120);
    cr_assert_eq(st.series[0].events, 2);
    cr_assert_eq(st.series[1].live_bytes, 16);
    cr_assert_eq(st.series[1].events, 13);
    cr_assert_float_eq(st.series[3].time, 30, 1e-9);
    cr_assert_eq(st.series[3].events, 14);
    trace_stats_free(&st);

    stats_of(path, 10, 1, &st);
    cr_assert_eq(st.fills, 1);
    cr_assert_eq(st.misses, 2);
    cr_assert_eq(class_of(&st, 320)->values, 1);
    cr_assert_eq(st.final.live_bytes, 16 + 300);
    cr_assert_eq(st.ttl[TS_TTL_NONE], 3, "a fill has no TTL");
    trace_stats_free(&st);
}

/* The stats' replay must agree with the engine's, sample by sample. */
typedef struct engine_seen {
    int n;
    uint64_t keys[4096], requested[4096], used[4096];
    double t[4096];
} engine_seen;

static int on_sample(void *arg, engine *e, fs_err *err) {
    (void)err;
    engine_seen *s = arg;
    if (s->n < 4096) {
        s->keys[s->n] = e->ks.count;
        s->requested[s->n] = e->c.requested_bytes;
        s->used[s->n] = e->c.used_memory;
        s->t[s->n] = engine_virtual_time(e);
        s->n++;
    }
    return 0;
}

static void agrees_with_the_engine(const char *path, int fill) {
    trace_stats st;
    stats_of(path, 1, fill, &st);
    engine_seen *seen = calloc(1, sizeof *seen);
    void *be_state;
    fs_err err;
    engine e;
    engine_config cfg = {.sample_interval_us = TRACE_US_PER_S, .on_sample = on_sample,
                         .arg = seen, .fill_on_miss = fill};
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    cr_assert_eq(engine_init(&e, &test_backend, be_state, &cfg, &err), 0);
    trace_reader r;
    cr_assert_eq(trace_open(&r, path, NULL, &err), 0);
    trace_event ev;
    while (trace_next(&r, &ev, &err) == 1) cr_assert_eq(engine_apply(&e, &ev, &err), 0);
    trace_close(&r);
    cr_assert_eq(engine_finish(&e, &err), 0);
    /* The stats write an idle stretch as its first and last points: every
     * engine sample is either one of the stats' points (same time, same
     * figures) or, within such a stretch, the same as the point before. */
    cr_assert_eq((uint64_t)seen->n, st.nseries + st.idle_points, "%s: %d samples, %zu points "
                 "+ %llu idle", path, seen->n, st.nseries, (unsigned long long)st.idle_points);
    size_t k = 0;
    for (int i = 0; i < seen->n; i++) {
        int on_point = k < st.nseries && fabs(st.series[k].time - seen->t[i]) < 1e-6;
        const ts_point *p = on_point ? &st.series[k] : &st.series[k - 1];
        cr_assert(on_point || k > 0, "%s: sample %d before the first point", path, i);
        cr_assert_eq(seen->keys[i], p->keys, "%s sample %d (%g s) keys", path, i, seen->t[i]);
        cr_assert_eq(seen->requested[i], p->live_bytes, "%s sample %d bytes", path, i);
        k += on_point;
    }
    cr_assert_eq(k, st.nseries, "%s: %zu of %zu points matched a sample", path, k, st.nseries);
    cr_assert_eq(e.c.fills, st.fills);
    cr_assert_eq(e.c.skipped_writes, st.skipped_writes);
    cr_assert_eq(e.c.keyspace_hits, st.hits);
    cr_assert_eq(e.c.expired_keys, st.expired_keys);
    cr_assert_eq(e.c.deleted_keys, st.deleted_keys);
    cr_assert_eq(e.c.requested_bytes, st.final.live_bytes);
    engine_destroy(&e);
    free(seen);
    trace_stats_free(&st);
}

Test(trace_stats, the_replay_agrees_with_the_engine) {
    const char *files[] = {"twitter-sample.csv", "cachelib/kv_traces_1.csv",
                           "cachelib/kv_traces_2.csv", "small.fsb",
                           "oracle-sample.oracleGeneral.zst"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", SAMPLES, files[i]);
        agrees_with_the_engine(path, 0);
        agrees_with_the_engine(path, 1);
    }
}

Test(trace_stats, an_empty_trace_is_an_error) {
    const char *path = tu_path(dir, "e.trace");
    cr_assert_eq(tu_write_file(path, "fragsim-trace v1\n"), 0);
    trace_reader r;
    fs_err err;
    trace_stats st;
    cr_assert_eq(trace_open(&r, path, NULL, &err), 0);
    cr_assert_eq(trace_stats_compute(&r, 10, 0, &st, &err), -1);
    trace_close(&r);
    cr_assert(strstr(err.msg, "no events") != NULL, "%s", err.msg);
}

/* `0 SET k 10` then `1000000000 TICK`: a hundred million idle intervals are
 * counted, not written (the series took 3.9 GB). */
Test(trace_stats, an_idle_gap_costs_nothing) {
    char *dir = tu_tmpdir();
    const char *path = tu_path(dir, "idle.trace");
    cr_assert_eq(tu_write_file(path, "fragsim-trace v1\n0 SET k 10\n1000000000 TICK\n"), 0);
    trace_stats st;
    stats_of(path, 10, 0, &st);
    cr_assert_leq(st.nseries, 4, "%zu points for one key and one tick", st.nseries);
    cr_assert_eq(st.idle_points + st.nseries, 100000001);
    cr_assert_eq(st.series[st.nseries - 1].time, 1e9);
    cr_assert_eq(st.final.live_bytes, 10);
    trace_stats_free(&st);
    tu_rmtree(dir);
    free(dir);
}
