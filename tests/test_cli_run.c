/* End to end: the real `fragsim` executable, its jemalloc worker, and the
 * results directory it writes.  The seed's phenomenon at a small scale. */
#include <criterion/criterion.h>
#include <math.h>
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

TestSuite(cli_run, .init = setup, .fini = teardown, .timeout = 600);

/* Runs fragsim with args (NULL-terminated) and asserts success, on the
 * default (virtual) clock. */
static void run_args(const char *const *args) {
    const char *argv[32] = {FRAGSIM_BIN};
    int n = 1;
    for (; args[n - 1] != NULL && n < 28; n++) argv[n] = args[n - 1];
    argv[n] = NULL;
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, NULL, argv), 0);
    cr_assert_eq(r.exit_code, 0, "fragsim failed (%d): %s", r.exit_code, r.err);
    tu_result_free(&r);
}

static void run_ok(const char *const *args) { run_args(args); }

static char *summary_digest(const char *results) {
    char *json = tu_read_file(tu_path(results, "summary.json"), NULL);
    cr_assert_not_null(json);
    char *p = strstr(json, "\"digest_fnv1a64\": \"");
    cr_assert_not_null(p);
    char *d = strndup(p + 19, 16);
    free(json);
    return d;
}

Test(cli_run, seed_blog_shows_the_seeds_phenomenon) {
    /* On the virtual clock jemalloc's decay runs as on a server, so empty
     * pages are purged as a server's would be. */
    run_args((const char *[]){"run", "--preset", "seed-blog", "--keys", "40000", "-o", "r", "-q",
                              "--no-progress", NULL});
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "r/series.csv")), 0);
    cr_assert_gt(c.nrows, 50);

    /* Peaks of the live data and of RSS. */
    double peak_used = 0, peak_rss = 0, peak_keys = 0;
    size_t peak_row = 0;
    for (size_t i = 0; i < c.nrows; i++) {
        double u = tu_csv_get(&c, i, "used_memory");
        if (u > peak_used) peak_used = u, peak_row = i;
        if (tu_csv_get(&c, i, "used_memory_rss") > peak_rss)
            peak_rss = tu_csv_get(&c, i, "used_memory_rss");
        if (tu_csv_get(&c, i, "keys") > peak_keys) peak_keys = tu_csv_get(&c, i, "keys");
    }
    /* While keys are being inserted (and the data set is past start-up
     * size), RSS tracks used_memory: the ratio stays near 1. */
    for (size_t i = 0; i <= peak_row; i++) {
        if (tu_csv_get(&c, i, "used_memory") < 0.5 * peak_used) continue;
        double ratio = tu_csv_get(&c, i, "mem_fragmentation_ratio");
        cr_assert_lt(ratio, 1.2, "insert phase, t=%.0f: ratio %.3f is not near 1",
                     tu_csv_get(&c, i, "virtual_time"), ratio);
    }
    /* After most keys have expired: used_memory has fallen by more than
     * half, RSS much less (the freed values sit in slabs that still hold
     * live ones), and the ratio is above 1.5. */
    size_t late = 0;
    for (size_t i = peak_row; i < c.nrows; i++)
        if (tu_csv_get(&c, i, "keys") <= 0.45 * peak_keys) {
            late = i;
            break;
        }
    cr_assert_gt(late, peak_row, "no sample with 45%% of the keys left");
    double used = tu_csv_get(&c, late, "used_memory"), rss = tu_csv_get(&c, late, "used_memory_rss");
    double used_fall = 1 - used / peak_used, rss_fall = 1 - rss / peak_rss;
    cr_assert_gt(used_fall, 0.5, "used_memory fell only %.0f%%", 100 * used_fall);
    cr_assert_lt(rss_fall, 0.6 * used_fall, "RSS fell %.0f%%, used_memory %.0f%%", 100 * rss_fall,
                 100 * used_fall);
    double ratio = tu_csv_get(&c, late, "mem_fragmentation_ratio");
    cr_assert_gt(ratio, 1.5, "ratio %.3f after most keys expired", ratio);

    /* When every key has expired, used_memory is exactly 0; the ratio is
     * the empty server's, its RSS over its own start-up used_memory. */
    size_t last = c.nrows - 1;
    cr_assert_eq(tu_csv_get(&c, last, "keys"), 0);
    cr_assert_eq(tu_csv_get(&c, last, "used_memory"), 0);
    cr_assert_eq(tu_csv_get(&c, last, "requested_bytes"), 0);
    double startup = tu_csv_get(&c, last, "used_memory_startup");
    cr_assert_gt(startup, 0);
    cr_assert_float_eq(tu_csv_get(&c, last, "mem_fragmentation_ratio"),
                       tu_csv_get(&c, last, "used_memory_rss") / startup, 1e-4);
    cr_assert_gt(tu_csv_get(&c, last, "used_memory_rss"), 0);

    /* used_memory_rss is the server's: the heap's RSS plus the start-up
     * RSS summary.json names, at every sample; the process's RSS is that
     * heap plus fragsim's own memory plus what the process held before
     * the replay (one constant). */
    char *json = tu_read_file(tu_path(dir, "r/summary.json"), NULL);
    const char *so = strstr(json, "\"server_startup\"");
    cr_assert_not_null(so);
    const char *f = strstr(so, "\"used_memory_rss\": ");
    cr_assert_not_null(f);
    double startup_rss = strtod(f + 19, NULL);
    cr_assert_gt(startup_rss, 1e6, "an empty server holds megabytes: %.0f", startup_rss);
    free(json);
    double base = 0;
    for (size_t i = 0; i < c.nrows; i++) {
        double heap = tu_csv_get(&c, i, "heap_rss");
        cr_assert_eq(tu_csv_get(&c, i, "used_memory_rss"), fmax(0, heap + startup_rss),
                     "row %zu", i);
        double b = tu_csv_get(&c, i, "process_rss") - tu_csv_get(&c, i, "engine_rss") - heap;
        if (i == 0) base = b;
        cr_assert_eq(b, base, "row %zu: the process's start-up changed", i);
        cr_assert_geq(tu_csv_get(&c, i, "used_memory_peak"), tu_csv_get(&c, i, "used_memory"));
    }
    tu_csv_free(&c);
    cr_assert(tu_exists(tu_path(dir, "r/summary.json")));
    cr_assert(tu_exists(tu_path(dir, "r/info.txt")));
}

Test(cli_run, same_trace_and_seed_give_identical_engine_columns) {
    const char *cols[] = {"virtual_time", "events", "keys", "expired_keys", "requested_bytes",
                          "used_memory"};
    run_ok((const char *[]){"run", "--preset", "seed-blog", "--keys", "5000", "--seed", "7",
                            "-o", "a", "-q", "--no-progress", NULL});
    run_ok((const char *[]){"run", "--preset", "seed-blog", "--keys", "5000", "--seed", "7",
                            "-o", "b", "-q", "--no-progress", NULL});
    run_ok((const char *[]){"run", "--preset", "seed-blog", "--keys", "5000", "--seed", "8",
                            "-o", "c", "-q", "--no-progress", NULL});
    tu_csv a, b, c;
    cr_assert_eq(tu_csv_load(&a, tu_path(dir, "a/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&b, tu_path(dir, "b/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "c/series.csv")), 0);
    cr_assert_eq(a.nrows, b.nrows);
    int differs_from_c = 0;
    for (size_t i = 0; i < a.nrows; i++)
        for (size_t k = 0; k < sizeof cols / sizeof *cols; k++) {
            cr_assert_eq(tu_csv_get(&a, i, cols[k]), tu_csv_get(&b, i, cols[k]), "row %zu %s", i,
                         cols[k]);
            if (i < c.nrows && tu_csv_get(&a, i, cols[k]) != tu_csv_get(&c, i, cols[k]))
                differs_from_c = 1;
        }
    cr_assert(differs_from_c, "another seed gives another trace");
    char *da = summary_digest(tu_path(dir, "a")), *db = summary_digest(tu_path(dir, "b"));
    cr_assert_str_eq(da, db);
    free(da);
    free(db);
    tu_csv_free(&a);
    tu_csv_free(&b);
    tu_csv_free(&c);
}

Test(cli_run, a_generated_file_replays_like_the_preset) {
    run_ok((const char *[]){"gen", "--preset", "seed-blog", "--keys", "3000", "-o", "t.trace", NULL});
    run_ok((const char *[]){"run", "t.trace", "-o", "file", "-q", "--no-progress", NULL});
    run_ok((const char *[]){"run", "--preset", "seed-blog", "--keys", "3000", "-o", "preset", "-q",
                            "--no-progress", NULL});
    char *df = summary_digest(tu_path(dir, "file")), *dp = summary_digest(tu_path(dir, "preset"));
    cr_assert_str_eq(df, dp, "the same events, read from a file or generated");
    free(df);
    free(dp);
    tu_csv f, p;
    cr_assert_eq(tu_csv_load(&f, tu_path(dir, "file/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&p, tu_path(dir, "preset/series.csv")), 0);
    cr_assert_eq(f.nrows, p.nrows);
    for (size_t i = 0; i < f.nrows; i++)
        cr_assert_eq(tu_csv_get(&f, i, "used_memory"), tu_csv_get(&p, i, "used_memory"));
    tu_csv_free(&f);
    tu_csv_free(&p);
}

Test(cli_run, reads_standard_input_and_prints_the_info_block) {
    cr_assert_eq(tu_write_file(tu_path(dir, "in.trace"),
                               "fragsim-trace v1\n"
                               "# a tiny trace\n"
                               "0 SET user%3A1 1000 5\n"
                               "0.5 SET user%3A2 3000\n"
                               "1 GET user%3A1\n"
                               "2 PURGE\n"
                               "3 DEL user%3A2\n"
                               "9 TICK\n"),
                 0);
    const char *argv[] = {FRAGSIM_BIN, "run", "-", "-o", "s", "--no-progress", NULL};
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, tu_path(dir, "in.trace"), argv), 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "used_memory:0\n") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "mem_fragmentation_ratio:") != NULL);
    cr_assert(strstr(r.out, "process fragmentation") != NULL, "every ratio says which it is");
    cr_assert(strstr(r.out, "allocator fragmentation") != NULL);
    tu_result_free(&r);
    char *json = tu_read_file(tu_path(dir, "s/summary.json"), NULL);
    cr_assert(strstr(json, "\"PURGE\": 1") != NULL, "%s", json);
    cr_assert(strstr(json, "\"keyspace_hits\": 1") != NULL);
    cr_assert(strstr(json, "\"expired_keys\": 1") != NULL);
    cr_assert(strstr(json, "\"deleted_keys\": 1") != NULL);
    free(json);
}

Test(cli_run, rerunning_replaces_an_earlier_results_directory) {
    run_ok((const char *[]){"run", "--preset", "seed-blog", "--keys", "500", "-o", "r", "-q",
                            "--no-progress", NULL});
    run_ok((const char *[]){"run", "--preset", "seed-blog", "--keys", "600", "-o", "r", "-q",
                            "--no-progress", NULL});
    char *json = tu_read_file(tu_path(dir, "r/summary.json"), NULL);
    cr_assert(strstr(json, "\"keys\": 600") != NULL);
    free(json);
}

Test(cli_run, a_redis_conf_is_read_recorded_and_its_hz_applied) {
    cr_assert_eq(tu_write_file(tu_path(dir, "r.conf"),
                               "# a server's settings\nport 6380\nhz 50\nmaxmemory 100mb\n"
                               "maxmemory-policy allkeys-lru\n"), 0);
    run_ok((const char *[]){"run", "--preset", "seed-blog", "--keys", "100", "--config", "r.conf",
                            "-o", "rc", "-q", "--no-progress", NULL});
    char *json = tu_read_file(tu_path(dir, "rc/summary.json"), NULL);
    cr_assert(strstr(json, "\"redis_config\": \"r.conf\"") != NULL, "%s", json);
    cr_assert(strstr(json, "\"maxmemory\": 104857600,") != NULL);
    cr_assert(strstr(json, "\"maxmemory-policy\": \"allkeys-lru\"") != NULL);
    cr_assert(strstr(json, "\"hz\": 50.000") != NULL, "redis.conf's hz drives the cron tick");
    free(json);
}

static double max_col(const char *path, const char *col) {
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, path), 0, "%s", path);
    double m = 0;
    for (size_t i = 0; i < c.nrows; i++)
        if (tu_csv_get(&c, i, col) > m) m = tu_csv_get(&c, i, col);
    tu_csv_free(&c);
    return m;
}

Test(cli_run, the_redis_object_model_and_expiry_are_applied_and_recorded) {
    run_ok((const char *[]){"run", "--preset", "seed-blog", "--keys", "2000", "-o", "raw", "-q",
                            "--no-progress", NULL});
    run_ok((const char *[]){"run", "--preset", "seed-blog", "--keys", "2000", "--object-model",
                            "redis", "--expiry", "redis", "-o", "rm", "-q", "--no-progress", NULL});
    char *json = tu_read_file(tu_path(dir, "rm/summary.json"), NULL);
    cr_assert(strstr(json, "\"object_model\": \"redis\"") != NULL, "%s", json);
    cr_assert(strstr(json, "\"expiry\": \"redis\"") != NULL);
    free(json);
    json = tu_read_file(tu_path(dir, "raw/summary.json"), NULL);
    cr_assert(strstr(json, "\"object_model\": \"raw\"") != NULL);
    cr_assert(strstr(json, "\"expiry\": \"exact\"") != NULL);
    free(json);
    /* Per key at least a dictEntry (24) and a key sds (4 or more) more. */
    double raw = max_col(tu_path(dir, "raw/series.csv"), "requested_bytes");
    double rm = max_col(tu_path(dir, "rm/series.csv"), "requested_bytes");
    cr_assert(rm >= raw + 2000 * 28, "redis model %.0f, raw %.0f", rm, raw);

    const char *argv[] = {FRAGSIM_BIN, "run", "--preset", "seed-blog", "--object-model", "memcached",
                          "-o", "bad", NULL};
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, NULL, argv), 0);
    cr_assert_neq(r.exit_code, 0);
    cr_assert(strstr(r.err, "expected raw or redis") != NULL, "%s", r.err);
    tu_result_free(&r);
}

Test(cli_run, maxmemory_options_evict_and_are_recorded) {
    run_ok((const char *[]){"run", "--preset", "seed-blog", "--keys", "5000", "--maxmemory", "1mb",
                            "--maxmemory-policy", "allkeys-lru", "--maxmemory-samples", "10",
                            "-o", "mm", "-q", "--no-progress", NULL});
    char *json = tu_read_file(tu_path(dir, "mm/summary.json"), NULL);
    cr_assert(strstr(json, "\"maxmemory\": 1048576,") != NULL, "%s", json);
    cr_assert(strstr(json, "\"maxmemory-samples\": 10,") != NULL);
    cr_assert(strstr(json, "\"rejected_writes\": 0") != NULL);
    char *p = strstr(json, "\"evicted_keys\": ");
    cr_assert_not_null(p);
    cr_assert_gt(strtoull(p + 16, NULL, 10), 1000, "%s", p);
    free(json);
    cr_assert(max_col(tu_path(dir, "mm/series.csv"), "used_memory") < 1.1 * 1048576);

    const char *argv[] = {FRAGSIM_BIN, "run", "--preset", "seed-blog", "--maxmemory-policy",
                          "allkeys-fifo", "-o", "bad", NULL};
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, NULL, argv), 0);
    cr_assert_neq(r.exit_code, 0);
    cr_assert(strstr(r.err, "--maxmemory-policy") != NULL, "%s", r.err);
    tu_result_free(&r);
}

/* Progress goes by virtual time (the observation phase has no events but
 * takes wall time), and ends at 100% of the trace's virtual length. */
Test(cli_run, progress_counts_virtual_time) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, (const char *[]){"run", "--preset", "seed-blog", "--keys",
                                                      "500", "-o", "p", "-q", "--progress", NULL}),
                 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "fragsim: virtual 0 s of ") != NULL, "%s", r.err);
    const char *last = strrchr(r.err, '\r');
    cr_assert_not_null(last);
    cr_assert(strstr(last, "(100%)") != NULL, "the last line: %s", last);
    tu_result_free(&r);
}

/* README's list of series.csv's columns is the code's own table, in order:
 * `fragsim run --columns` prints it, and the README must not drift. */
Test(cli_run, readme_lists_the_columns_of_series_csv) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, (const char *[]){"run", "--columns", NULL}), 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    char want[4096] = "";
    char *save;
    for (char *l = strtok_r(r.out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char name[64];
        cr_assert_eq(sscanf(l, "%63s", name), 1);
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", *want ? " " : "", name);
    }
    tu_result_free(&r);
    /* The header series.csv really has, spaces for commas. */
    cr_assert_eq(tu_fragsim(&r, dir, (const char *[]){"run", "--preset", "seed-blog", "--keys",
                                                      "50", "-o", "c", "-q", NULL}), 0);
    tu_result_free(&r);
    char *csv = tu_read_file(tu_path(dir, "c/series.csv"), NULL);
    *strchr(csv, '\n') = '\0';
    for (char *p = csv; *p; p++)
        if (*p == ',') *p = ' ';
    cr_assert_str_eq(csv, want, "--columns and series.csv disagree");
    free(csv);

    char *readme = tu_read_file(FRAGSIM_SOURCE_DIR "/README.md", NULL);
    cr_assert_not_null(readme);
    const char *row = strstr(readme, "| `series.csv` |");
    cr_assert_not_null(row, "README has no series.csv row in its results table");
    const char *cols = strstr(row, "Columns, in order");
    cr_assert(cols != NULL && cols < strchr(row, '\n'), "the series.csv row lists no columns");
    cols = strstr(cols, ": `");
    cr_assert_not_null(cols);
    cols += 3;
    const char *end = strchr(cols, '`');
    cr_assert_not_null(end);
    char got[4096];
    snprintf(got, sizeof got, "%.*s", (int)(end - cols), cols);
    cr_assert_str_eq(got, want, "README's series.csv columns drifted from the code: paste "
                                "`fragsim run --columns | cut -d' ' -f1 | paste -sd' '`");
    free(readme);
}
