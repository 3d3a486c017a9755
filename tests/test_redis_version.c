/* redis_version: the versions' names, the server builds' start-up memory,
 * and end to end, `--redis-version 7.4`'s allocator fragmentation against a
 * hand computation from the size classes the run wrote (bins-T.csv). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/redis_version.h"
#include "test_util.h"

TestSuite(redis_version, .timeout = 600);

Test(redis_version, names_parse_and_print) {
    static const char *const names[] = {"7.0", "7.2", "7.4"};
    for (int i = 0; i < 3; i++) {
        redis_version v;
        fs_err err;
        cr_assert_eq(redis_version_parse(names[i], &v, &err), 0, "%s", err.msg);
        cr_assert_str_eq(redis_version_name(v), names[i]);
        cr_assert_eq(redis_version_frag_from_bins(v), i == 2, "only 7.4 reads the bins");
    }
    redis_version v = REDIS_VERSION_7_2;
    fs_err err;
    cr_assert_eq(redis_version_parse("7.3", &v, &err), -1);
    cr_assert_not_null(strstr(err.msg, "'7.3'"), "names what was given: %s", err.msg);
    cr_assert_not_null(strstr(err.msg, "7.0, 7.2 or 7.4"), "says what is expected: %s", err.msg);
    cr_assert_eq(v, REDIS_VERSION_7_2, "left alone on error");
}

Test(redis_version, startup_follows_the_build) {
    redis_startup deb = redis_version_startup("jemalloc", REDIS_VERSION_7_0);
    redis_startup up = redis_version_startup("jemalloc-redis", REDIS_VERSION_7_0);
    cr_assert(deb.measured && up.measured);
    cr_assert_str_eq(deb.mem_allocator, "jemalloc-5.3.0");
    cr_assert_str_eq(up.mem_allocator, "jemalloc-5.2.1");
    /* An empty server holds most of a megabyte of used_memory, and more
     * RSS than that (its code and libraries). */
    cr_assert(deb.used_memory > 500000 && deb.used_memory < 2000000);
    cr_assert(deb.rss > deb.used_memory && up.rss > up.used_memory);
    /* Not measured: another version of the same build, a build of 7.2's
     * jemalloc, an allocator no Redis build here links: each says so. */
    redis_startup v74 = redis_version_startup("jemalloc", REDIS_VERSION_7_4);
    redis_startup q8 = redis_version_startup("jemalloc-5.3-q8", REDIS_VERSION_7_2);
    redis_startup mi = redis_version_startup("mimalloc", REDIS_VERSION_7_0);
    cr_assert(!v74.measured && !q8.measured && !mi.measured);
    cr_assert_eq(v74.rss, deb.rss);
    cr_assert_eq(q8.rss, up.rss, "upstream's build stands in for upstream's 7.2");
    cr_assert_str_eq(q8.allocator, "jemalloc-5.3-q8");
    cr_assert_eq(mi.used_memory, deb.used_memory);
}

/* Runs fragsim run on the preset with the extra arguments into dir/out. */
static void run(const char *dir, const char *out, const char *version) {
    const char *argv[] = {FRAGSIM_BIN, "run", "--preset", "seed-blog", "--keys", "4000",
                          "--sizes", "uniform:8,40000", "--page-map-at", "300",
                          "--redis-version", version, "-o", out, "-q", "--no-progress", NULL};
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, NULL, argv), 0);
    cr_assert_eq(r.exit_code, 0, "fragsim failed (%d): %s", r.exit_code, r.err);
    tu_result_free(&r);
}

static size_t row_at(const tu_csv *c, double t) {
    for (size_t i = 0; i < c->nrows; i++)
        if (fabs(tu_csv_get(c, i, "virtual_time") - t) < 1e-6) return i;
    cr_assert_fail("no sample at %g s", t);
    return 0;
}

/* Redis 7.4 (PR 12996): allocator_frag_bytes = the small bins' free
 * regions in slabs in use, sum of (nregs * curslabs - curregs) * size;
 * allocator_frag_ratio = 1 + that / allocator_allocated.  Values up to
 * 40 KB put some in page-run "large" extents, whose page rounding 7.0's
 * active / allocated counts and 7.4's formula does not: the two differ. */
Test(redis_version, v74_frag_is_the_small_bins) {
    char *dir = tu_tmpdir();
    run(dir, "r74", "7.4");
    run(dir, "r70", "7.0");
    tu_csv bins, s74, s70;
    cr_assert_eq(tu_csv_load(&bins, tu_path(dir, "r74/bins-300.csv")), 0);
    cr_assert_eq(tu_csv_load(&s74, tu_path(dir, "r74/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&s70, tu_path(dir, "r70/series.csv")), 0);
    double hand = 0;
    for (size_t i = 0; i < bins.nrows; i++) {
        double regions = tu_csv_get(&bins, i, "nregs") * tu_csv_get(&bins, i, "curslabs");
        double free_regions = regions - tu_csv_get(&bins, i, "curregs");
        hand += free_regions * tu_csv_get(&bins, i, "size");
    }
    cr_assert_gt(hand, 0, "the bins hold free regions at 300 s");
    size_t i = row_at(&s74, 300), j = row_at(&s70, 300);
    double allocated = tu_csv_get(&s74, i, "allocator_allocated");
    cr_assert_eq(tu_csv_get(&s74, i, "allocator_frag_bytes"), hand, "bytes %.0f, by hand %.0f",
                 tu_csv_get(&s74, i, "allocator_frag_bytes"), hand);
    double ratio = tu_csv_get(&s74, i, "allocator_frag_ratio");
    cr_assert_float_eq(ratio, 1 + hand / allocated, 1e-4, "ratio %.4f, by hand %.4f", ratio,
                       1 + hand / allocated);
    /* 7.0's on the same moment of the same (deterministic) run. */
    double active = tu_csv_get(&s70, j, "allocator_active");
    double alloc70 = tu_csv_get(&s70, j, "allocator_allocated");
    cr_assert_float_eq(tu_csv_get(&s70, j, "allocator_frag_ratio"), active / alloc70, 1e-4);
    cr_assert_eq(tu_csv_get(&s70, j, "allocator_frag_bytes"), active - alloc70);
    cr_assert_gt(fabs(ratio - active / alloc70), 0.01, "7.4 %.4f and 7.0 %.4f should differ here",
                 ratio, active / alloc70);
    char *info = tu_read_file(tu_path(dir, "r74/info.txt"), NULL);
    cr_assert_not_null(strstr(info, "redis_version:7.4\n"));
    free(info);
    tu_csv_free(&bins);
    tu_csv_free(&s74);
    tu_csv_free(&s70);
    tu_rmtree(dir);
    free(dir);
}

/* A version fragsim does not know is refused before anything runs, naming
 * it; compare passes the version on to every allocator's run. */
Test(redis_version, cli_refuses_unknown_and_compare_passes_it_on) {
    char *dir = tu_tmpdir();
    tu_result r;
    const char *bad[] = {FRAGSIM_BIN, "compare", "--preset", "seed-blog", "--keys", "100",
                         "--redis-version", "8.0", "-o", "c", "-q", "--no-progress", NULL};
    cr_assert_eq(tu_run(&r, dir, NULL, bad), 0);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "--redis-version '8.0'"), "%s", r.err);
    cr_assert(!tu_exists(tu_path(dir, "c")), "nothing written");
    tu_result_free(&r);
    const char *ok[] = {FRAGSIM_BIN, "compare", "--preset", "seed-blog", "--keys", "100",
                        "--allocators", "jemalloc", "--redis-version", "7.4", "-o", "c", "-q",
                        "--no-progress", NULL};
    cr_assert_eq(tu_run(&r, dir, NULL, ok), 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *info = tu_read_file(tu_path(dir, "c/jemalloc/info.txt"), NULL);
    cr_assert_not_null(info);
    cr_assert_not_null(strstr(info, "redis_version:7.4\n"), "%s", info);
    free(info);
    tu_rmtree(dir);
    free(dir);
}
