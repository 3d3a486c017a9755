/* Snapshots: the engine's snapshot timer (order, expiry, times past the
 * end), their labels, and a page map written from the engine's values. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/engine.h"
#include "../sim/snapshot.h"
#include "test_backend.h"
#include "test_util.h"

#define S(x) ((int64_t)((x) * TRACE_US_PER_S))

typedef struct log_t {
    char what[32][48];
    int n;
} log_t;

static int on_sample(void *arg, engine *e, fs_err *err) {
    (void)err;
    log_t *l = arg;
    if (l->n < 32) snprintf(l->what[l->n++], 48, "sample %.0f", engine_virtual_time(e));
    return 0;
}

static int on_snapshot(void *arg, engine *e, fs_err *err) {
    (void)err;
    log_t *l = arg;
    if (l->n < 32)
        snprintf(l->what[l->n++], 48, "snapshot %.0f keys %llu", engine_virtual_time(e),
                 (unsigned long long)e->ks.count);
    return 0;
}

static void apply(engine *e, int64_t t, trace_op op, const char *key, uint64_t size, int64_t ttl) {
    trace_event ev = {.time_us = t, .op = op, .key = key, .keylen = key ? (uint32_t)strlen(key) : 0,
                      .size = size, .ttl_us = ttl};
    fs_err err;
    cr_assert_eq(engine_apply(e, &ev, &err), 0, "%s", err.msg);
}

Test(snapshot, fire_in_order_after_the_sample_of_their_instant) {
    static const int64_t at[] = {S(5), S(10), S(25), S(1000)};
    log_t l = {0};
    void *st;
    fs_err err;
    engine e;
    cr_assert_eq(test_backend.init(&st, &err), 0);
    engine_config cfg = {.sample_interval_us = S(10), .on_sample = on_sample, .arg = &l,
                         .snapshot_at_us = at, .nsnapshots = 4, .on_snapshot = on_snapshot};
    cr_assert_eq(engine_init(&e, &test_backend, st, &cfg, &err), 0);
    apply(&e, S(0), TRACE_OP_SET, "short", 100, S(5)); /* expires at 5 s */
    apply(&e, S(0), TRACE_OP_SET, "long", 100, TRACE_TTL_NONE);
    apply(&e, S(30), TRACE_OP_SET, "late", 100, TRACE_TTL_NONE);
    cr_assert_eq(engine_finish(&e, &err), 0);
    const char *want[] = {"sample 0",  "snapshot 5 keys 1", "sample 10", "snapshot 10 keys 1",
                          "sample 20", "snapshot 25 keys 1", "sample 30"};
    cr_assert_eq(l.n, 7, "%d callbacks", l.n);
    for (int i = 0; i < 7; i++) cr_assert_str_eq(l.what[i], want[i]);
    cr_assert_eq(e.next_snapshot, 3, "the time after the last event never fired");
    engine_destroy(&e);
}

Test(snapshot, times_out_of_order_are_refused) {
    static const int64_t at[] = {S(10), S(5)};
    void *st;
    fs_err err;
    engine e;
    cr_assert_eq(test_backend.init(&st, &err), 0);
    engine_config cfg = {.sample_interval_us = S(10), .snapshot_at_us = at, .nsnapshots = 2};
    cr_assert_eq(engine_init(&e, &test_backend, st, &cfg, &err), -1);
    cr_assert(strstr(err.msg, "ascending") != NULL, "%s", err.msg);
}

Test(snapshot, labels) {
    char b[32];
    cr_assert_str_eq(snapshot_label(300, b), "300");
    cr_assert_str_eq(snapshot_label(12.5, b), "12.5");
    cr_assert_str_eq(snapshot_label(779.9991, b), "779.999");
    cr_assert_str_eq(snapshot_label(0, b), "0");
}

/* Live bytes and pages of a page map file. */
static void read_map(const char *path, double *live, double *touched) {
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, path), 0);
    *live = *touched = 0;
    for (size_t i = 0; i < c.nrows; i++) {
        double v = tu_csv_get(&c, i, "live_bytes");
        *live += v;
        *touched += v > 0;
    }
    tu_csv_free(&c);
}

Test(snapshot, a_page_map_holds_every_live_byte) {
    void *st;
    fs_err err;
    engine e;
    cr_assert_eq(test_backend.init(&st, &err), 0);
    engine_config cfg = {.sample_interval_us = S(10)};
    cr_assert_eq(engine_init(&e, &test_backend, st, &cfg, &err), 0);
    char key[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        apply(&e, S(1), TRACE_OP_SET, key, 3000, TRACE_TTL_NONE);
    }
    char *dir = tu_tmpdir();
    cr_assert_eq(snapshot_pagemap(dir, "1", &e, &err), 0, "%s", err.msg);
    for (int i = 0; i < 2000; i += 2) {
        snprintf(key, sizeof key, "k%d", i);
        apply(&e, S(2), TRACE_OP_DEL, key, 0, 0);
    }
    cr_assert_eq(snapshot_pagemap(dir, "2", &e, &err), 0, "%s", err.msg);
    double live1, pages1, live2, pages2;
    read_map(tu_path(dir, "pagemap-1.csv"), &live1, &pages1);
    read_map(tu_path(dir, "pagemap-2.csv"), &live2, &pages2);
    cr_assert_eq(live1, 2000 * 3008, "the test backend's usable size is 3008");
    cr_assert_eq(live2, 1000 * 3008);
    cr_assert(pages1 >= 2000 * 3008 / 4096, "%.0f pages", pages1);
    cr_assert(live2 / pages2 < live1 / pages1, "every other value gone: the pages are emptier");
    char *text = tu_read_file(tu_path(dir, "pagemap-2.csv"), NULL);
    cr_assert(strncmp(text, "# fragsim page map: virtual_time 1.000000, page_size ", 53) == 0, "%s",
              text);
    free(text);
    cr_assert_eq(snapshot_bins(dir, "2", &e, &err), 0, "no bins from this backend: nothing");
    cr_assert(!tu_exists(tu_path(dir, "bins-2.csv")));
    tu_rmtree(dir);
    free(dir);
    engine_destroy(&e);
}
