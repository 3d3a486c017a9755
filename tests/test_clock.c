/* The allocator on the virtual clock (sim/base/vclock.h), end to end: a
 * virtual run's RSS curve is the one the same replay gives in real time,
 * two virtual runs are identical, jemalloc's background thread keeps its
 * own schedule in virtual time, and a trace runs on past its last event
 * with --observe. */
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

TestSuite(clock, .init = setup, .fini = teardown, .timeout = 600);

static void run_ok(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    cr_assert_eq(r.exit_code, 0, "exit %d: %s", r.exit_code, r.err);
    tu_result_free(&r);
}

/* 13 virtual seconds: 30,000 values of 100-2000 B over 5 s, TTLs 2-6 s,
 * then 8 s of observation; jemalloc's default 10 s dirty decay and
 * mimalloc's 25 ms decommit delay both act within it. */
#define WORKLOAD "--preset", "seed-blog", "--keys", "30000", "--insert-seconds", "5", "--ttl", \
                 "uniform:2,6", "--sizes", "uniform:100,2000", "--observe", "8",           \
                 "--sample-interval", "0.5", "-q", "--no-progress"

static void run_workload(const char *allocator, const char *out, const char *const *extra) {
    const char *args[48] = {"run", WORKLOAD, "--allocator", allocator, "-o", out};
    int n = 0;
    while (args[n] != NULL) n++;
    for (; extra != NULL && *extra != NULL; extra++) args[n++] = *extra;
    args[n] = NULL;
    run_ok(args);
}

static double column_max(const tu_csv *c, const char *col) {
    double m = 0;
    for (size_t i = 0; i < c->nrows; i++)
        if (tu_csv_get(c, i, col) > m) m = tu_csv_get(c, i, col);
    return m;
}

/* At every sample, col of run a within 5% of run b's, or within 10% of its
 * peak where the curve falls steeply: there one decay epoch
 * (50 ms of a 10 s decay) purged earlier or later in real time, where the
 * frees of one instant are spread over real microseconds, is a few MB
 * (seen: up to 2.8 MiB of 32 on a loaded machine, where the real-time run also
 * falls behind its pace). */
static void assert_curves_agree(const tu_csv *a, const tu_csv *b, const char *col,
                                const char *what) {
    cr_assert_eq(a->nrows, b->nrows, "%s: %zu samples against %zu", what, a->nrows, b->nrows);
    double peak = column_max(b, col), worst = 0;
    size_t lagged = 0;
    for (size_t i = 0; i < a->nrows; i++) {
        cr_assert_eq(tu_csv_get(a, i, "virtual_time"), tu_csv_get(b, i, "virtual_time"));
        /* b is the truth only where it kept its pace (speed 1: wall time
         * equals virtual time).  A loaded or sanitized machine's sample
         * taken late has seen more real time, and so more decay, than its
         * virtual time says: not a difference of the clocks. */
        if (tu_csv_get(b, i, "wall_time") - tu_csv_get(b, i, "virtual_time") > 0.1) {
            lagged++;
            continue;
        }
        /* A purge that comes in one step (mimalloc's 500 ms segment delay,
         * a slow sanitizer build's real-time run) may land either side of
         * a sample, and the real-time run's purges come up to ~0.5 s later
         * from one run to the next (two real-time runs of one build differ
         * by 0.6 MiB at the same sample): a sample within two of it (1 s
         * at the 0.5 s interval) may match instead. */
        double x = tu_csv_get(a, i, col), y = tu_csv_get(b, i, col), gap = fabs(x - y);
        for (size_t j = i > 1 ? i - 2 : 0; j <= i + 2 && j < b->nrows; j++)
            if (fabs(x - tu_csv_get(b, j, col)) < gap) gap = fabs(x - tu_csv_get(b, j, col));
        double d = gap / y;
        if (d > worst) worst = d;
        cr_assert(d <= 0.05 || gap <= 0.10 * peak,
                  "%s %s at t=%.1f: %.2f MiB virtual, %.2f MiB in real time (peak %.1f MiB)", what,
                  col, tu_csv_get(a, i, "virtual_time"), x / 1048576, y / 1048576, peak / 1048576);
    }
    cr_assert(lagged <= a->nrows / 4, "%s: the real-time run kept its pace at only %zu of %zu "
              "samples: no ground truth (machine too loaded)", what, a->nrows - lagged, a->nrows);
    cr_log_info("%s %s: largest difference, virtual against real time, %.1f%% (%zu of %zu "
                "samples compared)", what, col, 100 * worst, a->nrows - lagged, a->nrows);
}

/* The ground truth is the same replay in real time (--clock wall --speed
 * 1: nothing scaled).  The virtual run must draw the same curve in a
 * fraction of the time. */
static void virtual_equals_real_time(const char *allocator, int has_purged) {
    run_workload(allocator, "v", NULL);
    run_workload(allocator, "w", (const char *[]){"--clock", "wall", "--speed", "1", NULL});
    tu_csv v, w;
    cr_assert_eq(tu_csv_load(&v, tu_path(dir, "v/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&w, tu_path(dir, "w/series.csv")), 0);
    assert_curves_agree(&v, &w, "used_memory_rss", allocator);
    assert_curves_agree(&v, &w, "allocator_resident", allocator);
    if (has_purged) {
        double pv = tu_csv_get(&v, v.nrows - 1, "allocator_purged");
        double pw = tu_csv_get(&w, w.nrows - 1, "allocator_purged");
        /* The same epoch effect, summed: seen 2-15% on this short trace on
         * a quiet machine, and 22% once with other jobs on both cores (a
         * real-time run that falls behind while the keys are freed and
         * catches up by its end gives decay less time after the frees,
         * without a lagged sample to show it). */
        cr_assert(fabs(pv - pw) <= 0.25 * pw, "purged %.1f MiB virtual, %.1f MiB in real time",
                  pv / 1048576, pw / 1048576);
    }
    /* Decay happened: the end is below the peak. */
    cr_assert_lt(tu_csv_get(&v, v.nrows - 1, "used_memory_rss"),
                 0.8 * column_max(&v, "used_memory_rss"));
    /* Nothing waited: the virtual run took a fraction of its 13 s. */
    cr_assert_lt(tu_csv_get(&v, v.nrows - 1, "wall_time"), 6.5);
    tu_csv_free(&v);
    tu_csv_free(&w);
}

Test(clock, jemalloc_virtual_equals_real_time) { virtual_equals_real_time("jemalloc", 1); }
Test(clock, mimalloc_virtual_equals_real_time) { virtual_equals_real_time("mimalloc", 0); }

/* Two virtual runs: the same bytes resident and purged at every sample.
 * rss_slack: the process RSS may differ by this much (mimalloc: one page;
 * it picks its segments' address hint from its own random numbers, seeded
 * by getrandom whatever the address randomisation, so now and then one
 * page more or less is touched at start; everything the allocator counts
 * stays identical). */
static void deterministic(const char *allocator, double rss_slack) {
    run_workload(allocator, "a", NULL);
    run_workload(allocator, "b", NULL);
    tu_csv a, b;
    cr_assert_eq(tu_csv_load(&a, tu_path(dir, "a/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&b, tu_path(dir, "b/series.csv")), 0);
    cr_assert_eq(a.nrows, b.nrows);
    const char *cols[] = {"used_memory_rss", "allocator_resident", "allocator_purged",
                          "allocator_npurge", "allocator_nmadvise"};
    for (size_t k = 0; k < sizeof cols / sizeof *cols; k++)
        for (size_t i = 0; i < a.nrows; i++) {
            double x = tu_csv_get(&a, i, cols[k]), y = tu_csv_get(&b, i, cols[k]);
            double slack = k == 0 ? rss_slack : 0;
            cr_assert(fabs(x - y) <= slack || (isnan(x) && isnan(y)), "%s %s at t=%.1f: %.0f against %.0f",
                      allocator, cols[k], tu_csv_get(&a, i, "virtual_time"), x, y);
        }
    char *json = tu_read_file(tu_path(dir, "a/summary.json"), NULL);
    cr_assert_not_null(json);
    cr_assert(strstr(json, "\"clock\": \"virtual\"") != NULL);
    cr_assert(strstr(json, "\"address_randomization\": \"off\"") != NULL,
              "the virtual-clock worker runs without address randomisation");
    free(json);
    tu_csv_free(&a);
    tu_csv_free(&b);
}

Test(clock, jemalloc_runs_are_identical) { deterministic("jemalloc", 0); }
Test(clock, mimalloc_runs_are_identical) { deterministic("mimalloc", (double)sysconf(_SC_PAGESIZE)); }

/* jemalloc-bg-thread yes (Redis's default) on the virtual clock: the
 * engine steps the real thread at its own deadlines.  Against the real
 * thread in real time, RSS agrees once the keys have gone. */
Test(clock, background_thread_keeps_its_schedule_in_virtual_time) {
    cr_assert_eq(tu_write_file(tu_path(dir, "bg.conf"), "jemalloc-bg-thread yes\n"), 0);
    run_workload("jemalloc", "v", (const char *[]){"--config", "bg.conf", NULL});
    run_workload("jemalloc", "w",
                 (const char *[]){"--clock", "wall", "--speed", "1", "--allocator-options",
                                  "background_thread:true", NULL});
    char *json = tu_read_file(tu_path(dir, "v/summary.json"), NULL);
    cr_assert_not_null(json);
    cr_assert(strstr(json, "\"background_threads\": 1") != NULL, "the thread runs");
    cr_assert(strstr(json, "\"background_thread\": true") != NULL, "and is recorded");
    const char *wk = strstr(json, "\"allocator_thread_wakeups\": ");
    cr_assert_not_null(wk);
    cr_assert_gt(atoi(wk + 28), 10, "the engine woke the thread at its deadlines");
    free(json);
    tu_csv v, w;
    cr_assert_eq(tu_csv_load(&v, tu_path(dir, "v/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&w, tu_path(dir, "w/series.csv")), 0);
    cr_assert_eq(v.nrows, w.nrows);
    double worst = 0;
    size_t compared = 0;
    for (size_t i = 0; i < v.nrows; i++) {
        if (tu_csv_get(&w, i, "keys") > 0) continue;
        /* The thread purges in a few large steps; in real time one lands a
         * few ms either side of a sample, so a sample may match its
         * neighbour's instead. */
        double x = tu_csv_get(&v, i, "used_memory_rss"), y = tu_csv_get(&w, i, "used_memory_rss");
        double d = fabs(x - y) / y;
        for (size_t j = i > 0 ? i - 1 : 0; j <= i + 1 && j < w.nrows; j++) {
            double yj = tu_csv_get(&w, j, "used_memory_rss");
            if (fabs(x - yj) / yj < d) d = fabs(x - yj) / yj;
        }
        if (d > worst) worst = d;
        compared++;
        cr_assert(d <= 0.10, "t=%.1f: RSS %.2f MiB virtual, %.2f MiB with the real thread",
                  tu_csv_get(&v, i, "virtual_time"), x / 1048576, y / 1048576);
    }
    cr_assert_geq(compared, 4);
    /* The thread purged. */
    cr_assert_gt(tu_csv_get(&v, v.nrows - 1, "allocator_purged"), 0);
    cr_log_info("background thread: largest RSS difference after the keys went %.1f%%", 100 * worst);
    tu_csv_free(&v);
    tu_csv_free(&w);
}

/* --observe on a trace file: the clock runs on, the TTL that outlasts the
 * capture expires and the samples go on to the end. */
Test(clock, a_trace_runs_on_past_its_last_event) {
    cr_assert_eq(tu_write_file(tu_path(dir, "t.trace"),
                               "fragsim-trace v1\n0 SET a 5000 30\n1 SET b 5000\n"), 0);
    run_ok((const char *[]){"run", "t.trace", "--observe", "60", "-o", "o", "-q", "--no-progress",
                            NULL});
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "o/series.csv")), 0);
    cr_assert_eq(tu_csv_get(&c, c.nrows - 1, "virtual_time"), 61);
    cr_assert_eq(tu_csv_get(&c, c.nrows - 1, "keys"), 1, "a expired at 30 s, b stays");
    cr_assert_eq(tu_csv_get(&c, c.nrows - 1, "expired_keys"), 1);
    tu_csv_free(&c);
}

Test(clock, speed_belongs_to_the_wall_clock) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, (const char *[]){"run", "--preset", "seed-blog", "--keys",
                                                      "10", "--clock", "virtual", "--speed", "10",
                                                      NULL}),
                 0);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "--clock wall") != NULL, "%s", r.err);
    tu_result_free(&r);
    cr_assert_eq(tu_fragsim(&r, dir, (const char *[]){"run", "--preset", "seed-blog", "--keys",
                                                      "10", "--clock", "sundial", NULL}),
                 0);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "expected virtual or wall") != NULL, "%s", r.err);
    tu_result_free(&r);
}
