/* The results directory's replacement rule (analysis/results_dir.c): -o
 * replaces an earlier result of the same command, and never another
 * command's (a run over a comparison) unless --force; what is refused is
 * left as it was. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../analysis/results.h"
#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(results_dir, .init = setup, .fini = teardown, .timeout = 600);

static tu_result fragsim(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    return r;
}

/* The lost-results case: a run pointed at a comparison's directory. */
Test(results_dir, run_onto_a_compare_is_refused_and_force_replaces_it) {
    tu_result r = fragsim((const char *[]){"compare", "--preset", "seed-blog", "--keys", "1000",
                                           "--allocators", "mimalloc,jemalloc", "-o", "X", "-q",
                                           "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *table = tu_read_file(tu_path(dir, "X/compare.txt"), NULL);
    cr_assert_not_null(table);

    r = fragsim((const char *[]){"run", "--preset", "seed-blog", "--keys", "1000", "-o", "X",
                                 "-q", "--no-progress", NULL});
    cr_assert_neq(r.exit_code, 0, "a run must not replace a comparison silently");
    cr_assert(strstr(r.err, "holds a compare result (2 allocators)") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "--force") != NULL, "%s", r.err);
    tu_result_free(&r);
    /* The comparison is intact: its table, its runs. */
    char *after = tu_read_file(tu_path(dir, "X/compare.txt"), NULL);
    cr_assert_not_null(after);
    cr_assert_str_eq(after, table);
    free(after);
    cr_assert(tu_exists(tu_path(dir, "X/jemalloc/series.csv")));
    cr_assert(tu_exists(tu_path(dir, "X/mimalloc/summary.json")));

    /* A sweep onto it as well. */
    r = fragsim((const char *[]){"sweep", "--preset", "seed-blog", "--keys", "500", "--grid",
                                 "hz=1,10", "-o", "X", "-q", "--no-progress", NULL});
    cr_assert_neq(r.exit_code, 0);
    cr_assert(strstr(r.err, "holds a compare result") != NULL, "%s", r.err);
    tu_result_free(&r);
    cr_assert(tu_exists(tu_path(dir, "X/jemalloc/series.csv")));

    /* --force: the run replaces the comparison. */
    r = fragsim((const char *[]){"run", "--preset", "seed-blog", "--keys", "1000", "-o", "X",
                                 "-q", "--no-progress", "--force", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    cr_assert(tu_exists(tu_path(dir, "X/summary.json")));
    cr_assert(!tu_exists(tu_path(dir, "X/compare.txt")));
    cr_assert(!tu_exists(tu_path(dir, "X/jemalloc")));
    free(table);
}

Test(results_dir, run_onto_an_earlier_run_replaces_it) {
    const char *args[] = {"run", "--preset", "seed-blog", "--keys", "500", "-o", "R", "-q",
                          "--no-progress", NULL};
    tu_result r = fragsim(args);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    cr_assert_eq(tu_write_file(tu_path(dir, "R/summary.csv"), "stale\n"), 0);
    r = fragsim(args);
    cr_assert_eq(r.exit_code, 0, "a run replaces an earlier run: %s", r.err);
    tu_result_free(&r);
    char *s = tu_read_file(tu_path(dir, "R/summary.csv"), NULL);
    cr_assert(strncmp(s, "stale", 5) != 0, "the earlier run's files were replaced");
    free(s);
}

/* The rule itself, on directories laid out as each command leaves them. */
static void make(const char *rel, const char *content) {
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", p);
    cr_assert_eq(system(cmd), 0);
    *slash = '/';
    cr_assert_eq(tu_write_file(p, content), 0);
}

static void expect_refused(const char *name, results_kind kind, const char *says) {
    results_dir rd;
    fs_err err;
    cr_assert_eq(results_dir_begin(&rd, tu_path(dir, name), kind, 0, &err), -1,
                 "%s: a %s over it must be refused", name, results_kind_name(kind));
    cr_assert(strstr(err.msg, says) != NULL, "%s: %s", name, err.msg);
    /* With force it is taken (and nothing is replaced until commit). */
    cr_assert_eq(results_dir_begin(&rd, tu_path(dir, name), kind, 1, &err), 0, "%s", err.msg);
    results_dir_abort(&rd);
}

Test(results_dir, sweeps_and_whatifs_need_force_loose_runs_are_never_replaced) {
    make("S/points.csv", "id,hz\np0001,1\np0002,10\n");
    make("S/p0001/series.csv", "virtual_time\n0\n");
    make("S/p0002/series.csv", "virtual_time\n0\n");
    make("W/whatif.csv", "remedy,shard,status\n");
    make("W/00-baseline/series.csv", "virtual_time\n0\n");
    make("L/jemalloc/series.csv", "virtual_time\n0\n");
    make("R/series.csv", "virtual_time\n0\n");
    make("R/summary.json", "{}\n");
    static const char *const name[] = {"R", "C", "S", "W"};
    make("C/compare.txt", "allocator\n");
    make("C/glibc/series.csv", "virtual_time\n0\n");
    results_dir rd;
    fs_err err;
    for (int k = RESULTS_RUN; k <= RESULTS_WHATIF; k++) {
        if (k != RESULTS_SWEEP) expect_refused("S", (results_kind)k, "holds a sweep result (2 points)");
        if (k != RESULTS_WHATIF) expect_refused("W", (results_kind)k, "holds a whatif result (1 remedy)");
        if (k != RESULTS_COMPARE) expect_refused("C", (results_kind)k, "holds a compare result (1 allocator)");
        if (k != RESULTS_RUN) expect_refused("R", (results_kind)k, "holds a run result");
        /* Loose runs are several results: refused even with --force. */
        for (int force = 0; force <= 1; force++) {
            cr_assert_eq(results_dir_begin(&rd, tu_path(dir, "L"), (results_kind)k, force, &err), -1);
            cr_assert(strstr(err.msg, "no whole run, compare, sweep or whatif") != NULL, "%s", err.msg);
        }
        /* The same command over its own earlier result: no question. */
        cr_assert_eq(results_dir_begin(&rd, tu_path(dir, name[k]), (results_kind)k, 0, &err), 0,
                     "%s over %s: %s", results_kind_name((results_kind)k), name[k], err.msg);
        results_dir_abort(&rd);
    }
    /* Anything over an empty directory. */
    cr_assert_eq(mkdir(tu_path(dir, "E"), 0777), 0);
    cr_assert_eq(results_dir_begin(&rd, tu_path(dir, "E"), RESULTS_SWEEP, 0, &err), 0, "%s", err.msg);
    results_dir_abort(&rd);
}
