/* Bounded work for any input: a 10^6-second idle gap costs a few samples
 * and a fraction of a second in `run`, even with a key expiring in the
 * middle of it (which made the whole gap stepped: 50,000 samples, 20 s),
 * and in `trace stats`. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(bounded, .init = setup, .fini = teardown, .timeout = 300);

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_gap(const char *trace, const char *allocator, size_t *rows, double *secs) {
    cr_assert_eq(tu_write_file(tu_path(dir, "gap.trace"), trace), 0);
    tu_result r;
    double t0 = now_s();
    cr_assert_eq(tu_fragsim(&r, dir, (const char *const[]){"run", "gap.trace", "--allocator",
                                                           allocator, "-o", "res", "-q",
                                                           "--no-progress", NULL}), 0);
    *secs = now_s() - t0;
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "res/series.csv")), 0);
    *rows = c.nrows;
    /* The expiry is seen: no key at the end. */
    cr_assert_eq(tu_csv_get(&c, c.nrows - 1, "keys"), 0);
    tu_csv_free(&c);
    tu_rmtree(tu_path(dir, "res"));
}

Test(bounded, idle_gap_with_an_expiry_inside_is_skipped) {
    const char *allocators[] = {"jemalloc", "mimalloc"}; /* not glibc: not in the sanitizer build */
    for (int i = 0; i < 2; i++) {
        size_t rows;
        double secs;
        run_gap("fragsim-trace v1\n0 SET k 10 500000\n1000000 TICK\n", allocators[i], &rows,
                &secs);
        /* At most an hour of 10-second samples on each side of the expiry. */
        cr_assert_leq(rows, 2 * 360 + 10, "%s: %zu samples for one key", allocators[i], rows);
        cr_assert_lt(secs, 5.0, "%s: %.1f s for one key", allocators[i], secs);
    }
}

Test(bounded, trace_stats_of_a_billion_second_gap) {
    cr_assert_eq(tu_write_file(tu_path(dir, "g.trace"),
                               "fragsim-trace v1\n0 SET k 10\n1000000000 TICK\n"), 0);
    tu_result r;
    double t0 = now_s();
    cr_assert_eq(tu_fragsim(&r, dir, (const char *const[]){"trace", "stats", "g.trace", NULL}), 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert_lt(now_s() - t0, 5.0);
    cr_assert(strstr(r.out, "points of idle stretches") != NULL, "%s", r.out);
    tu_result_free(&r);
}
