/* Decay settings, end to end (the clock itself is tests/test_clock.c):
 * decay settings order as they should, and a sweep gives the same table
 * whether fragsim runs its points or GNU parallel does. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(cli_sweep, .init = setup, .fini = teardown, .timeout = 600);

static tu_result run(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    return r;
}

static void run_ok(const char *const *args) {
    tu_result r = run(args);
    cr_assert_eq(r.exit_code, 0, "exit %d: %s", r.exit_code, r.err);
    tu_result_free(&r);
}

/* Row of sweep.csv whose grid column `key` has `value` (and `key2` has
 * `value2` unless key2 is NULL). */
static size_t row_where(const tu_csv *c, const char *key, double value, const char *key2,
                        double value2) {
    for (size_t i = 0; i < c->nrows; i++)
        if (tu_csv_get(c, i, key) == value && (key2 == NULL || tu_csv_get(c, i, key2) == value2))
            return i;
    cr_assert_fail("no row with %s=%g", key, value);
    return 0;
}

Test(cli_sweep, shorter_decay_means_lower_rss_and_more_purging) {
    run_ok((const char *[]){"sweep", "--preset", "seed-blog", "--keys", "20000",
                            "--grid", "jemalloc.dirty_decay_ms=0,1000,10000,-1", "--grid",
                            "jemalloc.muzzy_decay_ms=0,10000", "--jobs", "2", "-o", "sw", "-q",
                            "--no-progress", NULL});
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "sw/sweep.csv")), 0);
    cr_assert_eq(c.nrows, 8);
    const double decays[] = {0, 1000, 10000, -1};
    for (int m = 0; m < 2; m++) {
        double muzzy = m ? 10000 : 0, prev_dirty = -1, prev_madvise = INFINITY, prev_rss = 0;
        for (int d = 0; d < 4; d++) {
            size_t r = row_where(&c, "jemalloc.dirty_decay_ms", decays[d], "jemalloc.muzzy_decay_ms",
                                 muzzy);
            double dirty = tu_csv_get(&c, r, "mean_allocator_dirty");
            double madvise = tu_csv_get(&c, r, "final_allocator_nmadvise");
            cr_log_info("dirty %g muzzy %g: mean RSS %.1f MiB, mean dirty %.2f MiB, madvise %.0f",
                        decays[d], muzzy, tu_csv_get(&c, r, "mean_used_memory_rss") / 1048576,
                        dirty / 1048576, madvise);
            double rss = tu_csv_get(&c, r, "mean_used_memory_rss");
            /* Longer decay: more dirty pages held on average, and a higher
             * average RSS (a 1% margin for the kernel's noise). */
            cr_assert_geq(dirty, prev_dirty, "mean dirty bytes fall as decay lengthens");
            cr_assert_geq(rss, 0.99 * prev_rss, "mean RSS falls as decay lengthens");
            /* Fewer madvise calls too, when dirty pages go straight back to
             * the kernel (muzzy decay 0).  With a muzzy stage each page run
             * is advised twice (MADV_FREE, then MADV_DONTNEED), so a dirty
             * decay above 0 can purge more often than 0, which skips it. */
            if (muzzy == 0)
                cr_assert_leq(madvise, prev_madvise * 1.05, "madvise calls rise as decay lengthens");
            prev_dirty = dirty;
            prev_madvise = madvise;
            prev_rss = rss;
        }
        size_t r0 = row_where(&c, "jemalloc.dirty_decay_ms", 0, "jemalloc.muzzy_decay_ms", muzzy);
        size_t rn = row_where(&c, "jemalloc.dirty_decay_ms", -1, "jemalloc.muzzy_decay_ms", muzzy);
        cr_assert_eq(tu_csv_get(&c, rn, "final_allocator_nmadvise"), 0, "-1: never purged");
        cr_assert_gt(tu_csv_get(&c, rn, "mean_used_memory_rss"),
                     1.5 * tu_csv_get(&c, r0, "mean_used_memory_rss"),
                     "never purging holds far more RSS on average than purging at once");
    }
    tu_csv_free(&c);
}

/* The columns that must agree between two runs of the same points (the
 * engine's, deterministic) and those that may only be close (the kernel's). */
static void assert_same_table(const char *a_path, const char *b_path) {
    tu_csv a, b;
    cr_assert_eq(tu_csv_load(&a, a_path), 0);
    cr_assert_eq(tu_csv_load(&b, b_path), 0);
    cr_assert_eq(a.nrows, b.nrows);
    cr_assert_eq(a.ncols, b.ncols);
    for (int k = 0; k < a.ncols; k++) cr_assert_str_eq(a.names[k], b.names[k]);
    const char *exact[] = {"events", "peak_requested_bytes", "peak_used_memory", "peak_keys",
                           "final_used_memory", "mean_used_memory", "jemalloc.dirty_decay_ms",
                           "keys"};
    for (size_t i = 0; i < a.nrows; i++) {
        for (size_t k = 0; k < sizeof exact / sizeof *exact; k++)
            cr_assert_eq(tu_csv_get(&a, i, exact[k]), tu_csv_get(&b, i, exact[k]), "row %zu %s", i,
                         exact[k]);
        double x = tu_csv_get(&a, i, "peak_used_memory_rss"), y = tu_csv_get(&b, i, "peak_used_memory_rss");
        cr_assert_lt(fabs(x - y), 0.1 * x, "row %zu peak RSS %.0f vs %.0f", i, x, y);
    }
    tu_csv_free(&a);
    tu_csv_free(&b);
}

Test(cli_sweep, gnu_parallel_gives_the_same_table_as_jobs) {
    cr_assert(access("/usr/bin/parallel", X_OK) == 0,
              "GNU parallel is needed for this test (apt-get install parallel)");
    const char *grid[] = {"--grid", "keys=2000,4000", "--grid", "jemalloc.dirty_decay_ms=0,-1"};
    const char *base[] = {"sweep", "--preset", "seed-blog", "-q", "--no-progress"};
    const char *args[32];
    int n = 0;
    for (size_t k = 0; k < sizeof base / sizeof *base; k++) args[n++] = base[k];
    for (size_t k = 0; k < 4; k++) args[n++] = grid[k];
    args[n++] = "--jobs";
    args[n++] = "2";
    args[n++] = "-o";
    args[n++] = "local";
    args[n] = NULL;
    run_ok(args);
    n -= 4;
    args[n++] = "--emit-jobs";
    args[n++] = "jobs.txt";
    args[n++] = "-o";
    args[n++] = "spread";
    args[n] = NULL;
    run_ok(args);
    cr_assert(tu_exists(tu_path(dir, "spread/points.csv")));
    cr_assert(!tu_exists(tu_path(dir, "spread/sweep.csv")), "emitting runs nothing");

    /* Before the points run, collecting reports them missing. */
    tu_result r = run((const char *[]){"sweep", "--collect", "spread", "-q", NULL});
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    cr_assert(strstr(r.err, "4 points have no results") != NULL, "%s", r.err);
    tu_result_free(&r);

    const char *par[] = {"/usr/bin/parallel", "--will-cite", "-j", "2", NULL};
    cr_assert_eq(tu_run(&r, dir, tu_path(dir, "jobs.txt"), par), 0);
    cr_assert_eq(r.exit_code, 0, "parallel: %s", r.err);
    tu_result_free(&r);
    run_ok((const char *[]){"sweep", "--collect", "spread", "-q", NULL});
    assert_same_table(tu_path(dir, "local/sweep.csv"), tu_path(dir, "spread/sweep.csv"));
}

Test(cli_sweep, collects_points_from_several_directories) {
    run_ok((const char *[]){"sweep", "--preset", "seed-blog", "--grid",
                            "keys=1000,2000,3000", "--emit-jobs", "jobs.txt", "-o", "a", "-q", NULL});
    /* Two machines: each ran some of the lines into its own copy. */
    char *jobs = tu_read_file(tu_path(dir, "jobs.txt"), NULL);
    char *save, *line;
    int i = 0;
    for (line = strtok_r(jobs, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
        tu_result r;
        const char *sh[] = {"/bin/sh", "-c", line, NULL};
        cr_assert_eq(tu_run(&r, dir, NULL, sh), 0);
        cr_assert_eq(r.exit_code, 0, "%s", r.err);
        tu_result_free(&r);
        if (i == 2) { /* the third point "ran elsewhere": move it to b/ */
            cr_assert_eq(system(NULL) != 0, 1);
            char cmd[4096];
            snprintf(cmd, sizeof cmd, "mkdir -p '%s/b' && mv '%s/a/p0003' '%s/b/'", dir, dir, dir);
            cr_assert_eq(system(cmd), 0);
        }
    }
    free(jobs);
    tu_result r = run((const char *[]){"sweep", "--collect", "a", "-q", NULL});
    cr_assert_eq(r.exit_code, 1, "p0003 is not in a/");
    tu_result_free(&r);
    run_ok((const char *[]){"sweep", "--collect", "a", "b", "-q", NULL});
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "a/sweep.csv")), 0);
    cr_assert_eq(c.nrows, 3);
    for (size_t k = 0; k < 3; k++)
        cr_assert_eq(tu_csv_get(&c, k, "peak_keys") > 0, 1, "row %zu has its results", k);
    tu_csv_free(&c);
}

/* The options every replaying command shares (cli.h's CLI_REPLAY_LONGOPTS)
 * reach each point's run: its redis.conf, fill-on-miss and page maps. */
Test(cli_sweep, points_get_the_shared_run_options) {
    FILE *f = fopen(tu_path(dir, "hz20.conf"), "w");
    cr_assert_not_null(f);
    fputs("hz 20\n", f);
    fclose(f);
    char conf[4096];
    snprintf(conf, sizeof conf, "%s", tu_path(dir, "hz20.conf"));
    run_ok((const char *[]){"sweep", "--preset", "seed-blog", "--keys", "2000", "--grid",
                            "sample-interval=5,10", "--config", conf, "--fill-on-miss",
                            "--page-map-at", "5", "-o", "sh", "-q", "--no-progress", NULL});
    const char *const points[] = {"sh/p0001", "sh/p0002"};
    for (size_t i = 0; i < 2; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/summary.json", points[i]);
        char *json = tu_read_file(tu_path(dir, path), NULL);
        cr_assert_not_null(json, "%s", path);
        cr_assert(strstr(json, "\"hz\": 20.000") != NULL, "%s: the config's hz 20 not in force", path);
        cr_assert(strstr(json, "\"fill_on_miss\": true") != NULL, "%s: no fill-on-miss", path);
        free(json);
        snprintf(path, sizeof path, "%s/pagemap-5.csv", points[i]);
        cr_assert(tu_exists(tu_path(dir, path)), "%s: no page map", path);
    }
}

Test(cli_sweep, usage_errors) {
    const char *const *cases[] = {
        (const char *[]){"sweep", "--preset", "seed-blog", "-o", "x", NULL},
        (const char *[]){"sweep", "--preset", "seed-blog", "--grid", "bogus=1,2", "-o", "x", NULL},
        (const char *[]){"sweep", "--preset", "seed-blog", "--grid", "keys=1", "--grid", "keys=2", "-o", "x", NULL},
        (const char *[]){"sweep", "--preset", "seed-blog", "--grid", "nosuch.opt=1", "-o", "x", NULL},
        (const char *[]){"sweep", "--grid", "keys=1,2", "-o", "x", NULL},
        (const char *[]){"sweep", "--preset", "seed-blog", "--grid", "keys", "-o", "x", NULL},
        (const char *[]){"sweep", "--preset", "seed-blog", "--grid", "keys=1,2",
                         "--allocator-options", "dirty_decay_ms:0", "-o", "x", NULL},
        (const char *[]){"sweep", "--preset", "seed-blog", "--grid", "keys=1,2", "--jobs", "0",
                         "-o", "x", NULL},
    };
    const char *expect[] = {"--grid", "'bogus'", "twice", "'nosuch.opt'", "expected a TRACE", "KEY=V1",
                            "expected NAME=SPEC", "--jobs '0'"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tu_result r = run(cases[i]);
        cr_assert_eq(r.exit_code, 2, "case %zu: exit %d, %s", i, r.exit_code, r.err);
        cr_assert(strstr(r.err, expect[i]) != NULL, "case %zu: %s", i, r.err);
        tu_result_free(&r);
        cr_assert(!tu_exists(tu_path(dir, "x")));
    }
}

/* An allocator's option on a grid that also varies the allocator: the
 * other allocator's points would repeat; they run once, the value n/a. */
Test(cli_sweep, an_option_that_does_not_apply_runs_once_and_is_named) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, (const char *[]){"sweep", "--preset", "seed-blog", "--keys",
                                                      "300", "--grid", "allocator=jemalloc,mimalloc",
                                                      "--grid", "jemalloc.dirty_decay_ms=0,1000",
                                                      "-o", "sw", "--no-progress", NULL}), 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "1 of 4 points not run") != NULL &&
                  strstr(r.err, "jemalloc.dirty_decay_ms does not apply to mimalloc") != NULL,
              "%s", r.err);
    tu_result_free(&r);
    char *points = tu_read_file(tu_path(dir, "sw/points.csv"), NULL);
    cr_assert_str_eq(points, "id,allocator,jemalloc.dirty_decay_ms\np0001,jemalloc,0\n"
                             "p0002,jemalloc,1000\np0003,mimalloc,n/a\n");
    free(points);
    cr_assert(!tu_exists(tu_path(dir, "sw/p0004")));
    char *json = tu_read_file(tu_path(dir, "sw/p0003/summary.json"), NULL);
    cr_assert(strstr(json, "\"allocator\": \"mimalloc\"") != NULL);
    free(json);

    /* Prometheus: the point's id as instance, each grid value its own label. */
    cr_assert_eq(tu_fragsim(&r, dir, (const char *[]){"export", "prometheus", "sw", NULL}), 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "{job=\"fragsim\",instance=\"p0002\",allocator=\"jemalloc\","
                            "jemalloc_dirty_decay_ms=\"1000\"}") != NULL, "%.600s", r.out);
    cr_assert(strstr(r.out, "instance=\"p0003\",allocator=\"mimalloc\","
                            "jemalloc_dirty_decay_ms=\"n/a\"}") != NULL, "%.600s", r.out);
    tu_result_free(&r);
}
