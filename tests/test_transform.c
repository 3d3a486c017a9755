/* Remedies as replay-time transformations: padding and compression change
 * the requested bytes exactly as specified, uniform TTLs follow the first
 * TTL of each prefix, and shard filtering partitions the events (each
 * shard's requested bytes add up to the unsharded run's, also end to end
 * through the real binary). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../traces/trace_transform.h"
#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(transform, .init = setup, .fini = teardown, .timeout = 300);

/* Sizes written: 100, 1000, 3000, 5000, an APPEND of 28, then 50. */
static const char *const small_trace = "fragsim-trace v1\n"
                                       "0 SET a:1 100 10\n"
                                       "0 SET a:2 1000 20\n"
                                       "1 SET b:1 3000\n"
                                       "1 SET b:2 5000 5\n"
                                       "2 APPEND a:1 28\n"
                                       "3 DEL b:1\n"
                                       "4 SET b:1 50\n"
                                       "5 EXPIRE a:2 1\n"
                                       "100 TICK\n";

static transform_spec spec_none(void) {
    transform_spec s;
    memset(&s, 0, sizeof s);
    s.shard = -1;
    return s;
}

/* Replays the small trace through the wrapper; returns the bytes written
 * (SET and APPEND sizes) and fills ttls[] with the SETs' TTLs and *nevents,
 * and by_shard[] with the bytes by the events' shard marks. */
static uint64_t by_shard[4];

static uint64_t written(const transform_spec *s, int64_t *ttls, size_t *nevents) {
    const char *path = tu_path(dir, "small.trace");
    cr_assert_eq(tu_write_file(path, small_trace), 0);
    trace_reader in, r;
    fs_err err;
    cr_assert_eq(trace_open(&in, path, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(trace_transform_wrap(&r, &in, s, &err), 0, "%s", err.msg);
    trace_event ev;
    uint64_t sum = 0;
    size_t nset = 0, n = 0;
    int rc;
    memset(by_shard, 0, sizeof by_shard);
    while ((rc = trace_next(&r, &ev, &err)) == 1) {
        n++;
        if (ev.op == TRACE_OP_SET || ev.op == TRACE_OP_APPEND) {
            sum += ev.size;
            cr_assert_lt(ev.shard, 4);
            by_shard[ev.shard] += ev.size;
        }
        if (ev.op == TRACE_OP_SET && ttls) ttls[nset++] = ev.ttl_us;
    }
    cr_assert_eq(rc, 0, "%s", err.msg);
    trace_close(&r);
    if (nevents) *nevents = n;
    return sum;
}

Test(transform, sizes_are_padded_and_compressed_as_specified) {
    transform_spec s = spec_none();
    fs_err err;
    cr_assert_eq(transform_parse_pad(&s, "pow2", &err), 0);
    cr_assert_eq(transform_size(&s, 100), 128);
    cr_assert_eq(transform_size(&s, 128), 128);
    cr_assert_eq(transform_size(&s, 129), 256);
    cr_assert_eq(transform_size(&s, 1), 1);
    cr_assert_eq(transform_size(&s, 0), 0);
    cr_assert_eq(transform_parse_pad(&s, "64", &err), 0);
    cr_assert_eq(transform_size(&s, 100), 128);
    cr_assert_eq(transform_size(&s, 5000), 5056);
    cr_assert_eq(transform_size(&s, 64), 64);
    s = spec_none();
    cr_assert_eq(transform_parse_compress(&s, "0.5:1000", &err), 0);
    cr_assert_eq(transform_size(&s, 999), 999, "below MIN_SIZE: untouched");
    cr_assert_eq(transform_size(&s, 1000), 500);
    cr_assert_eq(transform_size(&s, 1001), 501, "rounded up");
    cr_assert_neq(transform_parse_compress(&s, "1.5", &err), 0);
    cr_assert_neq(transform_parse_compress(&s, "0", &err), 0);
    cr_assert_neq(transform_parse_pad(&s, "pow3", &err), 0);
}

Test(transform, requested_bytes_change_exactly) {
    transform_spec s = spec_none();
    cr_assert_eq(written(&s, NULL, NULL), 100 + 1000 + 3000 + 5000 + 28 + 50);
    s.pad = TRANSFORM_PAD_POW2;
    cr_assert_eq(written(&s, NULL, NULL), 128 + 1024 + 4096 + 8192 + 32 + 64);
    s = spec_none();
    s.pad = TRANSFORM_PAD_MULTIPLE;
    s.pad_multiple = 64;
    cr_assert_eq(written(&s, NULL, NULL), 128 + 1024 + 3008 + 5056 + 64 + 64);
    s = spec_none();
    s.compress_ratio = 0.5;
    s.compress_min = 1000;
    cr_assert_eq(written(&s, NULL, NULL), 100 + 500 + 1500 + 2500 + 28 + 50);
}

Test(transform, uniform_ttl_gives_each_prefix_its_first_ttl) {
    transform_spec s = spec_none();
    fs_err err;
    cr_assert_eq(transform_parse_uniform_ttl(&s, ":", &err), 0);
    int64_t ttl[8];
    written(&s, ttl, NULL);
    const int64_t want[] = {10 * TRACE_US_PER_S, 10 * TRACE_US_PER_S, TRACE_TTL_NONE,
                            TRACE_TTL_NONE, TRACE_TTL_NONE};
    for (int i = 0; i < 5; i++) cr_assert_eq(ttl[i], want[i], "SET %d: ttl %lld", i, (long long)ttl[i]);
    cr_assert_neq(transform_parse_uniform_ttl(&s, "::", &err), 0);
}

Test(transform, shards_partition_the_bytes_and_keep_the_clock) {
    transform_spec s = spec_none();
    fs_err err;
    cr_assert_eq(transform_parse_shard_by(&s, TRANSFORM_SHARD_SIZE, "1024,4000", &err), 0);
    cr_assert_eq(transform_nshards(&s), 3);
    cr_assert_neq(transform_parse_shard(&s, "1/2", &err), 0, "3 shards, not 2");
    /* a:1 and a:2 below 1024, b:1 in the middle (and stays there when
     * re-set with 50 bytes), b:2 above 4000. */
    const uint64_t want[] = {100 + 1000 + 28, 3000 + 50, 5000};
    uint64_t total = 0;
    for (int k = 0; k < 3; k++) {
        char arg[8];
        snprintf(arg, sizeof arg, "%d/3", k + 1);
        cr_assert_eq(transform_parse_shard(&s, arg, &err), 0, "%s", err.msg);
        size_t n;
        uint64_t w = written(&s, NULL, &n);
        cr_assert_eq(w, want[k], "shard %d: %llu bytes", k + 1, (unsigned long long)w);
        cr_assert_eq(n, 9, "every event keeps its place in time (others' become ticks)");
        total += w;
    }
    cr_assert_eq(total, 9178);
    /* arenas: every event is kept, marked with the shard K/N would keep. */
    cr_assert_eq(transform_parse_shard(&s, "arenas", &err), 0, "%s", err.msg);
    s.shard = -1;
    size_t n;
    cr_assert_eq(written(&s, NULL, &n), 9178);
    cr_assert_eq(n, 9);
    for (int k = 0; k < 3; k++)
        cr_assert_eq(by_shard[k], want[k], "arena shard %d: %llu bytes", k + 1,
                     (unsigned long long)by_shard[k]);
    char d[256];
    transform_describe(&s, d, sizeof d);
    cr_assert(strstr(d, "--shard arenas") != NULL, "%s", d);
    transform_spec none = spec_none();
    cr_assert_neq(transform_parse_shard(&none, "arenas", &err), 0, "arenas needs classes");
    cr_assert(strstr(err.msg, "--shard-by-size") != NULL, "%s", err.msg);
    transform_spec t = spec_none();
    cr_assert_eq(transform_parse_shard_by(&t, TRANSFORM_SHARD_TTL, "8,15", &err), 0);
    /* TTLs 10, 20, none, 5: a:1 -> 2nd class, a:2 and b:1 -> last, b:2 -> first. */
    const uint64_t want_ttl[] = {5000, 100 + 28, 1000 + 3000 + 50};
    for (int k = 0; k < 3; k++) {
        char arg[8];
        snprintf(arg, sizeof arg, "%d/3", k + 1);
        cr_assert_eq(transform_parse_shard(&t, arg, &err), 0);
        cr_assert_eq(written(&t, NULL, NULL), want_ttl[k], "ttl shard %d", k + 1);
    }
}

static tu_result run(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    return r;
}

static double summary_value(const char *out, const char *col) {
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, out)), 0);
    double v = tu_csv_get(&c, 0, col);
    tu_csv_free(&c);
    return v;
}

Test(transform, end_to_end_padding_and_compression_change_requested_bytes) {
    cr_assert_eq(tu_write_file(tu_path(dir, "a.trace"), "fragsim-trace v1\n0 SET k1 100\n"
                               "0 SET k2 1000\n1 SET k3 3000\n1 SET k4 5000\n20 TICK\n"), 0);
    const char *const opts[][3] = {{"--pad", "pow2", "13440"},
                                   {"--compress", "0.5", "4550"},
                                   {"--pad", "1000", "10000"}};
    for (size_t i = 0; i < 3; i++) {
        tu_result r = run((const char *[]){"run", "a.trace", opts[i][0], opts[i][1], "-o", "out",
                                           "-q", "--no-progress", NULL});
        cr_assert_eq(r.exit_code, 0, "%s", r.err);
        tu_result_free(&r);
        cr_assert_eq(summary_value("out/summary.csv", "final_requested_bytes"),
                     strtod(opts[i][2], NULL), "%s %s", opts[i][0], opts[i][1]);
    }
    tu_result r = run((const char *[]){"run", "a.trace", "--shard-by-size", "1024", "-o", "out",
                                       "-q", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 2, "classes without --shard are refused");
    tu_result_free(&r);
}

Test(transform, end_to_end_shards_add_up_to_the_unsharded_run) {
    const char *common[] = {"run", "--preset", "seed-blog", "--keys", "3000",
                            "-q", "--no-progress", "-o"};
    const char *outs[] = {"base", "s1", "s2", "s3"};
    const char *shards[] = {NULL, "1/3", "2/3", "3/3"};
    for (int k = 0; k < 4; k++) {
        const char *args[20];
        int m = 0;
        for (size_t i = 0; i < sizeof common / sizeof *common; i++) args[m++] = common[i];
        args[m++] = outs[k];
        if (shards[k]) {
            args[m++] = "--shard-by-size";
            args[m++] = "1024,5000";
            args[m++] = "--shard";
            args[m++] = shards[k];
        }
        args[m] = NULL;
        tu_result r = run(args);
        cr_assert_eq(r.exit_code, 0, "%s", r.err);
        tu_result_free(&r);
    }
    tu_csv c[4];
    for (int k = 0; k < 4; k++) {
        char p[64];
        snprintf(p, sizeof p, "%s/series.csv", outs[k]);
        cr_assert_eq(tu_csv_load(&c[k], tu_path(dir, p)), 0);
    }
    for (int k = 1; k < 4; k++) cr_assert_eq(c[k].nrows, c[0].nrows, "shard %d: samples", k);
    double peak = 0;
    for (size_t i = 0; i < c[0].nrows; i++) {
        double sum = 0;
        for (int k = 1; k < 4; k++) sum += tu_csv_get(&c[k], i, "requested_bytes");
        cr_assert_eq(sum, tu_csv_get(&c[0], i, "requested_bytes"), "sample %zu", i);
        peak = fmax(peak, sum);
    }
    cr_assert_gt(peak, 0);
    for (int k = 1; k < 4; k++)
        cr_assert_gt(summary_value(tu_path(outs[k], "summary.csv"), "peak_requested_bytes"), 0,
                     "every shard holds some values");
    for (int k = 0; k < 4; k++) tu_csv_free(&c[k]);
}

/* Pre-pass then replay, as `run` does for a statistic other than the first. */
static void written_with_stat(const char *arg, int64_t *ttls) {
    transform_spec s = spec_none();
    fs_err err;
    cr_assert_eq(transform_parse_uniform_ttl(&s, arg, &err), 0, "%s", err.msg);
    const char *path = tu_path(dir, "small.trace");
    cr_assert_eq(tu_write_file(path, small_trace), 0);
    trace_reader r;
    cr_assert_eq(trace_open(&r, path, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(transform_ttl_prepass(&s, &r, &err), 0, "%s", err.msg);
    cr_assert_not_null(s.ttl_table);
    written(&s, ttls, NULL);
    transform_ttl_free(&s);
    cr_assert_null(s.ttl_table);
}

Test(transform, uniform_ttl_statistics_over_each_prefix) {
    /* a's SETs: 10 s, 20 s; b's: none, 5 s, none (no TTL is the longest). */
    const int64_t S = TRACE_US_PER_S, N = TRACE_TTL_NONE;
    struct {
        const char *arg;
        int64_t want[5];
    } cases[] = {
        {"::min", {10 * S, 10 * S, 5 * S, 5 * S, 5 * S}},
        {"::max", {20 * S, 20 * S, N, N, N}},
        {"::mean", {15 * S, 15 * S, 5 * S, 5 * S, 5 * S}}, /* nones left out */
        {"::median", {10 * S, 10 * S, N, N, N}},           /* the lower median; b: 5, none, none */
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int64_t ttl[8];
        written_with_stat(cases[c].arg, ttl);
        for (int i = 0; i < 5; i++)
            cr_assert_eq(ttl[i], cases[c].want[i], "%s, SET %d: ttl %lld", cases[c].arg, i,
                         (long long)ttl[i]);
    }
    transform_spec s = spec_none();
    fs_err err;
    cr_assert_eq(transform_parse_uniform_ttl(&s, "_:median", &err), 0);
    cr_assert_eq(s.uniform_ttl_sep, '_');
    cr_assert_eq(s.uniform_ttl_stat, TRANSFORM_TTL_MEDIAN);
    cr_assert_eq(transform_parse_uniform_ttl(&s, "::first", &err), 0);
    cr_assert_eq(s.uniform_ttl_stat, TRANSFORM_TTL_FIRST);
    const char *bad[] = {"", ":max", "::", "::avg", ":;max"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_neq(transform_parse_uniform_ttl(&s, bad[i], &err), 0, "'%s' accepted", bad[i]);
    cr_assert(strstr(err.msg, "median") != NULL, "%s", err.msg);
}

Test(transform, end_to_end_uniform_ttl_statistic_needs_a_rereadable_trace) {
    const char *path = tu_path(dir, "small.trace");
    cr_assert_eq(tu_write_file(path, small_trace), 0);
    tu_result r = run((const char *[]){"run", "small.trace", "--uniform-ttl", "::max", "-o", "out",
                                       "-q", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *json = tu_read_file(tu_path(dir, "out/summary.json"), NULL);
    cr_assert_not_null(json);
    cr_assert(strstr(json, "\"options\": \"--uniform-ttl ::max\"") != NULL, "%s", json);
    /* max: a:1 10 -> 20 s; b:2 5 s -> none; b:1 unchanged. */
    cr_assert(strstr(json, "\"uniform_ttl_changed\": 2") != NULL, "%s", json);
    free(json);
    const char *argv[] = {FRAGSIM_BIN, "run", "-", "--uniform-ttl", "::median", "-o", "out2",
                          "-q", "--no-progress", NULL};
    cr_assert_eq(tu_run(&r, dir, path, argv), 0);
    cr_assert_eq(r.exit_code, 2, "standard input cannot be read twice: %s", r.err);
    cr_assert(strstr(r.err, "standard input") != NULL, "%s", r.err);
    tu_result_free(&r);
}

Test(transform, summary_records_the_remedy_in_force) {
    cr_assert_eq(tu_write_file(tu_path(dir, "a.trace"), "fragsim-trace v1\n0 SET k1 100\n"
                               "0 SET k2 1000\n1 SET k3 3000\n20 TICK\n"), 0);
    tu_result r = run((const char *[]){"run", "a.trace", "--pad", "pow2", "--compress", "0.5:2000",
                                       "-o", "out", "-q", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *json = tu_read_file(tu_path(dir, "out/summary.json"), NULL);
    cr_assert_not_null(json);
    /* 100 -> 128, 1000 -> 1024, 3000 -> 4096 -> 2048 (the only one at least 2000). */
    const char *want[] = {"\"options\": \"--pad pow2 --compress 0.5:2000\"", "\"pad\": \"pow2\"",
                          "\"padded_values\": 3", "\"pad_bytes\": 1148",
                          "\"compressed_values\": 1", "\"compress_in_bytes\": 4096",
                          "\"compress_out_bytes\": 2048"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_assert(strstr(json, want[i]) != NULL, "no %s in\n%s", want[i], json);
    free(json);
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "out/summary.csv")), 0);
    int col = tu_csv_col(&c, "remedy");
    cr_assert_geq(col, 0, "summary.csv names the remedy");
    cr_assert_eq(tu_csv_get(&c, 0, "final_requested_bytes"), 128 + 1024 + 2048);
    tu_csv_free(&c);
    /* Without remedies the record says so. */
    r = run((const char *[]){"run", "a.trace", "-o", "out", "-q",
                             "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    json = tu_read_file(tu_path(dir, "out/summary.json"), NULL);
    cr_assert(strstr(json, "\"options\": \"\"") != NULL, "%s", json);
    free(json);
}

/* --shard arenas, through the real binary on jemalloc: one process, a
 * shards.csv whose shards add up, sample by sample, to the unsharded run's
 * requested bytes, each shard's blocks in its own arena; allocators
 * without arenas say so. */
Test(transform, end_to_end_arenas_add_up_to_the_unsharded_run) {
    const char *common[] = {"run", "--preset", "seed-blog", "--keys", "3000",
                            "--allocator", "jemalloc", "-q", "--no-progress", "-o"};
    for (int k = 0; k < 2; k++) {
        const char *args[24];
        int m = 0;
        for (size_t i = 0; i < sizeof common / sizeof *common; i++) args[m++] = common[i];
        args[m++] = k ? "arenas" : "base";
        if (k) {
            args[m++] = "--shard-by-size";
            args[m++] = "1024,5000";
            args[m++] = "--shard";
            args[m++] = "arenas";
        }
        args[m] = NULL;
        tu_result r = run(args);
        cr_assert_eq(r.exit_code, 0, "%s", r.err);
        tu_result_free(&r);
    }
    tu_csv base, tot, sh;
    cr_assert_eq(tu_csv_load(&base, tu_path(dir, "base/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&tot, tu_path(dir, "arenas/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&sh, tu_path(dir, "arenas/shards.csv")), 0);
    cr_assert_eq(tot.nrows, base.nrows);
    cr_assert_eq(sh.nrows, 3 * base.nrows, "three shards a sample");
    double held[3] = {0, 0, 0};
    for (size_t i = 0; i < base.nrows; i++) {
        double sum = 0;
        for (size_t k = 0; k < 3; k++) {
            size_t row = 3 * i + k;
            cr_assert_eq(tu_csv_get(&sh, row, "virtual_time"), tu_csv_get(&tot, i, "virtual_time"));
            double req = tu_csv_get(&sh, row, "requested_bytes");
            double used = tu_csv_get(&sh, row, "used_memory");
            sum += req;
            held[k] = fmax(held[k], req);
            /* The arena holds at least the shard's live blocks: they are
             * in it, not in the default arena. */
            cr_assert_geq(tu_csv_get(&sh, row, "allocator_allocated"), used, "sample %zu shard %zu",
                          i, k + 1);
        }
        cr_assert_eq(sum, tu_csv_get(&base, i, "requested_bytes"), "sample %zu", i);
        cr_assert_eq(sum, tu_csv_get(&tot, i, "requested_bytes"), "sample %zu", i);
    }
    for (int k = 0; k < 3; k++) cr_assert_gt(held[k], 0, "shard %d holds values", k + 1);
    tu_csv_free(&base);
    tu_csv_free(&tot);
    tu_csv_free(&sh);
    char *json = tu_read_file(tu_path(dir, "arenas/summary.json"), NULL);
    cr_assert_not_null(json);
    cr_assert(strstr(json, "\"heap\": \"arena\"") != NULL, "%s", json);
    cr_assert(strstr(json, "\"shard_3\"") != NULL);
    free(json);
    tu_result r = run((const char *[]){"run", "--preset", "seed-blog", "--keys", "100",
                                       "--allocator", "mimalloc", "--shard-by-size", "1024",
                                       "--shard", "arenas", "-o", "mi", "-q", "--no-progress",
                                       NULL});
    cr_assert_neq(r.exit_code, 0);
    cr_assert(strstr(r.err, "no arenas") != NULL, "%s", r.err);
    cr_assert(!tu_exists(tu_path(dir, "mi")), "nothing is left");
    tu_result_free(&r);
}
