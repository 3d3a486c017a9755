/* fragsim compare, end to end: every allocator of the build on one trace,
 * the engine invariant across them, a crashing allocator reported while the
 * others' results stand, and preload: against the native backend. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/result_rows.h"
#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(cli_compare, .init = setup, .fini = teardown, .timeout = 600);

static tu_result run(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    return r;
}

/* The status column of summary.csv for an allocator (malloc'd). */
static char *status_of(const char *summary_csv, const char *allocator) {
    char *text = tu_read_file(summary_csv, NULL);
    cr_assert_not_null(text);
    char *found = NULL, *save;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[256];
        int n = csv_split(line, f, 256);
        if (n >= 2 && strcmp(f[0], allocator) == 0) found = strdup(f[1]);
    }
    free(text);
    cr_assert_not_null(found, "no row for %s", allocator);
    return found;
}

Test(cli_compare, every_allocator_replays_the_same_events) {
    tu_result r = run((const char *[]){"compare", "--preset", "seed-blog", "--keys", "8000", "-o",
                                       "cmp", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "rss_peak") != NULL, "the table is printed: %s", r.out);
    tu_result_free(&r);
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "cmp/series.csv")), 0);
    /* The long table: allocators one after another, each from time 0.  The
     * engine columns must agree row by row between every allocator. */
    size_t rows_per = 0;
    while (rows_per + 1 < c.nrows && tu_csv_get(&c, rows_per + 1, "virtual_time") > 0) rows_per++;
    rows_per++;
    cr_assert_eq(c.nrows % rows_per, 0, "%zu rows, %zu per allocator", c.nrows, rows_per);
    size_t nalloc = c.nrows / rows_per;
    cr_log_info("%zu allocators x %zu samples", nalloc, rows_per);
    const char *same[] = {"virtual_time", "events", "keys", "expired_keys", "requested_bytes"};
    for (size_t a = 1; a < nalloc; a++)
        for (size_t i = 0; i < rows_per; i++)
            for (size_t k = 0; k < sizeof same / sizeof *same; k++)
                cr_assert_eq(tu_csv_get(&c, a * rows_per + i, same[k]), tu_csv_get(&c, i, same[k]),
                             "allocator %zu, row %zu: %s differs", a, i, same[k]);
    tu_csv_free(&c);
    cr_assert(tu_exists(tu_path(dir, "cmp/jemalloc/summary.json")));
    cr_assert(tu_exists(tu_path(dir, "cmp/compare.txt")));
    char *st = status_of(tu_path(dir, "cmp/summary.csv"), "jemalloc");
    cr_assert_str_eq(st, "ok");
    free(st);
}

Test(cli_compare, a_crashing_allocator_is_reported_and_the_others_stand) {
    char alloc[1200];
    snprintf(alloc, sizeof alloc, "jemalloc,preload:%s", FRAGSIM_TEST_CRASH_LIB);
    tu_result r = run((const char *[]){"compare", "--preset", "seed-blog", "--keys", "30000",
                                       "--allocators", alloc, "-o", "cmp", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    cr_assert(strstr(r.err, "1 of 2 allocators did not finish") != NULL, "%s", r.err);
    tu_result_free(&r);
    char *ok = status_of(tu_path(dir, "cmp/summary.csv"), "jemalloc");
    cr_assert_str_eq(ok, "ok");
    free(ok);
    char name[1200];
    snprintf(name, sizeof name, "preload:%s", FRAGSIM_TEST_CRASH_LIB);
    char *bad = status_of(tu_path(dir, "cmp/summary.csv"), name);
#if defined(__SANITIZE_ADDRESS__)
    /* The sanitizer must stay the allocator: preload is refused, cleanly. */
    cr_assert(strstr(bad, "failed (exit 2)") != NULL && strstr(bad, "sanitizer") != NULL, "%s", bad);
#else
    cr_assert(strncmp(bad, "crashed (signal 11", 18) == 0, "%s", bad);
#endif
    free(bad);
    cr_assert(tu_exists(tu_path(dir, "cmp/jemalloc/series.csv")), "jemalloc's results stand");
}

#if defined(FRAGSIM_TEST_JEMALLOC_SO)
Test(cli_compare, preload_of_jemalloc_matches_the_native_backend) {
    char alloc[1200];
    snprintf(alloc, sizeof alloc, "jemalloc,preload:%s", FRAGSIM_TEST_JEMALLOC_SO);
    tu_result r = run((const char *[]){"compare", "--preset", "seed-blog", "--keys", "40000",
                                       "--allocators", alloc, "-o", "cmp", "-q", "--no-progress",
                                       NULL});
#if defined(__SANITIZE_ADDRESS__)
    cr_assert_eq(r.exit_code, 1, "preload is refused in a sanitizer build: %s", r.err);
    tu_result_free(&r);
#else
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "cmp/summary.csv")), 0);
    cr_assert_eq(c.nrows, 2);
    double native = tu_csv_get(&c, 0, "peak_used_memory_rss");
    double preload = tu_csv_get(&c, 1, "peak_used_memory_rss");
    cr_log_info("peak RSS: native %.1f MiB, preload %.1f MiB", native / 1048576, preload / 1048576);
    cr_assert(fabs(preload - native) < 0.05 * native, "native %.0f, preload %.0f", native, preload);
    cr_assert_eq(tu_csv_get(&c, 0, "peak_used_memory"), tu_csv_get(&c, 1, "peak_used_memory"),
                 "the same jemalloc gives the same usable sizes");
    cr_assert(isnan(tu_csv_get(&c, 1, "peak_allocator_active")),
              "preload reports no allocator statistics");
    tu_csv_free(&c);
#endif
}
#endif

Test(cli_compare, usage_errors_leave_nothing) {
    const char *const *cases[] = {
        (const char *[]){"compare", "-", "-o", "cmp", NULL},
        (const char *[]){"compare", "--preset", "seed-blog", "--allocators", "jemalloc,nosuch", "-o", "cmp", NULL},
        (const char *[]){"compare", "--preset", "seed-blog", "--allocators", "jemalloc,jemalloc", "-o", "cmp", NULL},
        (const char *[]){"compare", "--preset", "seed-blog", "--allocators", "jemalloc",
                         "--allocator-options", "mimalloc=x", "-o", "cmp", NULL},
        (const char *[]){"compare", "--preset", "seed-blog", "--jobs", "0", "-o", "cmp", NULL},
        (const char *[]){"compare", "-o", "cmp", NULL},
    };
    const char *expect[] = {"standard input", "'nosuch'", "listed twice", "--allocator-options",
                            "--jobs", "expected a TRACE"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tu_result r = run(cases[i]);
        cr_assert_eq(r.exit_code, 2, "case %zu: exit %d, %s", i, r.exit_code, r.err);
        cr_assert(strstr(r.err, expect[i]) != NULL, "case %zu: %s", i, r.err);
        tu_result_free(&r);
        cr_assert(!tu_exists(tu_path(dir, "cmp")));
    }
}

Test(cli_compare, bad_allocator_options_fail_that_allocator_only) {
    tu_result r = run((const char *[]){"compare", "--preset", "seed-blog", "--keys", "2000",
                                       "--allocators", "jemalloc", "--allocator-options",
                                       "jemalloc=dirty_decay_ms:soon", "-o", "cmp", "-q",
                                       "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    tu_result_free(&r);
    char *st = status_of(tu_path(dir, "cmp/summary.csv"), "jemalloc");
    cr_assert(strstr(st, "dirty_decay_ms") != NULL && strstr(st, "soon") != NULL, "%s", st);
    free(st);
}

/* A column of summary.csv for an allocator's row (malloc'd). */
static char *field_of(const char *summary_csv, const char *allocator, const char *column) {
    char *text = tu_read_file(summary_csv, NULL);
    cr_assert_not_null(text);
    char *found = NULL, *save, *f[256];
    int col = -1;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int n = csv_split(line, f, 256);
        if (col < 0) {
            for (int i = 0; i < n; i++)
                if (strcmp(f[i], column) == 0) col = i;
            cr_assert_geq(col, 0, "no column %s", column);
        } else if (n > col && strcmp(f[0], allocator) == 0) {
            found = strdup(f[col]);
        }
    }
    free(text);
    cr_assert_not_null(found, "no row for %s", allocator);
    return found;
}

Test(cli_compare, named_variants_of_one_allocator_stand_in_one_table) {
    /* | separates the list, since je-d0's options hold a comma; its
     * --allocator-options are joined to the inline ones. */
    tu_result r = run((const char *[]){"compare", "--preset", "seed-blog", "--keys", "1000",
                                       "--allocators",
                                       "jemalloc|je-d0=jemalloc:dirty_decay_ms:0,muzzy_decay_ms:0",
                                       "--allocator-options", "je-d0=narenas:1", "-o", "cmp",
                                       "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\nje-d0 ") != NULL, "the variant has its row: %s", r.out);
    tu_result_free(&r);
    const char *sum = tu_path(dir, "cmp/summary.csv");
    char *st = field_of(sum, "je-d0", "status"), *o1 = field_of(sum, "je-d0", "allocator_options");
    char *o0 = field_of(sum, "jemalloc", "allocator_options");
    cr_assert_str_eq(st, "ok");
    cr_assert_str_eq(o1, "dirty_decay_ms:0,muzzy_decay_ms:0,narenas:1");
    cr_assert_str_eq(o0, "");
    free(st);
    free(o1);
    free(o0);
    /* The variant ran jemalloc, with its options applied. */
    char *json = tu_read_file(tu_path(dir, "cmp/je-d0/summary.json"), NULL);
    cr_assert_not_null(json);
    cr_assert(strstr(json, "\"allocator\": \"jemalloc\"") != NULL, "%.300s", json);
    cr_assert(strstr(json, "\"narenas\": 1,") != NULL,
              "%s", strstr(json, "allocator_settings"));
    free(json);

    /* The same allocator twice, unnamed, is still refused, with the way out. */
    r = run((const char *[]){"compare", "--preset", "seed-blog", "--keys", "100", "--allocators",
                             "jemalloc,jemalloc", "-o", "c2", NULL});
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "listed twice") && strstr(r.err, "NAME=ALLOCATOR:OPTIONS"), "%s", r.err);
    tu_result_free(&r);
    r = run((const char *[]){"compare", "--preset", "seed-blog", "--keys", "100", "--allocators",
                             "a/b=jemalloc", "-o", "c2", NULL});
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "NAME=ALLOCATOR[:OPTIONS]"), "%s", r.err);
    tu_result_free(&r);
}

Test(cli_compare, progress_counts_the_runs_done) {
    tu_result r = run((const char *[]){"compare", "--preset", "seed-blog", "--keys", "300",
                                       "--allocators", "mimalloc,jemalloc", "-o", "cmp", "-q",
                                       "--progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "mimalloc started (1 of 2)") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "1/2 done, ETA ") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "2/2 done\n") != NULL, "%s", r.err);
    tu_result_free(&r);
}
