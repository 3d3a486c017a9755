/* Results readers check what they read: doctor, report and export refuse a
 * series.csv with time going backwards, negative, NaN, huge or non-numeric
 * values, naming file, line and column; sweep --collect reports one damaged
 * point as such while the others keep their figures. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(results_check, .init = setup, .fini = teardown, .timeout = 300);

#define EXPECT(s, needle) cr_assert(strstr(s, needle) != NULL, "'%s' not in: %s", needle, s)

static tu_result fragsim(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    cr_assert_eq(r.signal, 0, "crashed: %s", r.err);
    return r;
}

static const char SERIES_HEAD[] = "virtual_time,wall_time,events,keys,used_memory,used_memory_rss,"
                                  "mem_fragmentation_ratio\n";

/* A run directory whose series.csv has `bad` as its third data row. */
static void damaged_run(const char *bad) {
    tu_result r = fragsim((const char *const[]){"run", "--preset", "seed-blog", "--keys", "50",
                                                "-o", "d", "-q", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char body[1024];
    snprintf(body, sizeof body, "%s0,0.1,1,1,100,4096,40.96\n10,0.2,2,2,200,4096,20.48\n%s\n",
             SERIES_HEAD, bad);
    cr_assert_eq(tu_write_file(tu_path(dir, "d/series.csv"), body), 0);
}

Test(results_check, damaged_series_are_refused_with_line_and_column) {
    static const struct {
        const char *row, *where, *what;
    } cases[] = {
        {"5,0.3,3,3,300,4096,13.6", "d/series.csv:4:1:", "virtual_time goes backwards"},
        {"20,0.3,3,3,-300,4096,13.6", "d/series.csv:4:5:", "used_memory '-300' is negative"},
        {"20,0.3,3,3,300,nan,13.6", "d/series.csv:4:6:", "is not finite"},
        {"20,0.3,3,3,300,1e300,13.6", "d/series.csv:4:6:", "'1e300' is too large"},
        {"20,0.3,3,three,300,4096,13.6", "d/series.csv:4:4:", "keys 'three' is not a number"},
    };
    const char *const cmds[][6] = {
        {"doctor", "d", NULL},
        {"report", "d", "-o", "r.html", NULL},
        {"export", "prometheus", "d", "-o", "p.txt", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        damaged_run(cases[i].row);
        for (size_t c = 0; c < sizeof cmds / sizeof *cmds; c++) {
            tu_result r = fragsim(cmds[c]);
            cr_assert_eq(r.exit_code, 1, "%s on '%s': exit %d, %s", cmds[c][0], cases[i].row,
                         r.exit_code, r.err);
            EXPECT(r.err, cases[i].where);
            EXPECT(r.err, cases[i].what);
            tu_result_free(&r);
        }
        cr_assert(!tu_exists(tu_path(dir, "r.html")) && !tu_exists(tu_path(dir, "p.txt")));
        tu_rmtree(tu_path(dir, "d"));
    }
    /* Empty ratio cells (denominator 0) are fine. */
    damaged_run("20,0.3,3,0,0,4096,");
    tu_result r = fragsim((const char *const[]){"export", "prometheus", "d", "-o", "p.txt", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
}

Test(results_check, one_bad_sweep_point_is_reported_and_the_others_stand) {
    tu_result r = fragsim((const char *const[]){"sweep", "--preset", "seed-blog", "--keys", "50",
                                                "--grid", "seed=1,2,3", "-o", "sw", "-q",
                                                "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    cr_assert_eq(tu_write_file(tu_path(dir, "sw/p0001/summary.csv"), "garbage\nx\n"), 0);
    char *s2 = tu_read_file(tu_path(dir, "sw/p0002/summary.csv"), NULL);
    char *nan = strstr(s2, "\n");
    cr_assert(nan != NULL);
    /* p0003: a NaN in its first numeric field after the text ones. */
    char *row = strdup(nan + 1), *f = row;
    for (int k = 0; k < 4; k++) f = strchr(f, ',') + 1; /* events */
    char *end = strchr(f, ',');
    char fixed[8192];
    snprintf(fixed, sizeof fixed, "%.*s%.*snan%s", (int)(nan + 1 - s2), s2, (int)(f - row), row,
             end);
    cr_assert_eq(tu_write_file(tu_path(dir, "sw/p0003/summary.csv"), fixed), 0);
    r = fragsim((const char *const[]){"sweep", "--collect", "sw", "-q", NULL});
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    EXPECT(r.err, "2 points have no results");
    tu_result_free(&r);
    tu_csv c;
    char *csv = tu_read_file(tu_path(dir, "sw/sweep.csv"), NULL);
    EXPECT(csv, "p0001,1,bad summary: sw/p0001/summary.csv:1:1: expected a header starting "
                "with 'allocator'");
    EXPECT(csv, "p0003,3,bad summary: sw/p0003/summary.csv:2:5: events 'nan' is not finite");
    free(csv);
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "sw/sweep.csv")), 0);
    cr_assert_eq(c.nrows, 3);
    cr_assert(tu_csv_col(&c, "final_used_memory_rss") >= 0, "the metric columns were dropped");
    cr_assert_gt(tu_csv_get(&c, 1, "final_used_memory_rss"), 0, "p0002's figures are gone");
    tu_csv_free(&c);
    free(row);
    free(s2);
}
