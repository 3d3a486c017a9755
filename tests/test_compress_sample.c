/* --compress-sample: the ratio measured with zstd is the data's own (a
 * repetitive file shrinks to almost nothing, random bytes not at all), the
 * CPU cost per byte is measured, bad files are refused by name, and end to
 * end the measured ratio drives the compression remedy and its CPU charge. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../traces/compress_sample.h"
#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(compress_sample, .init = setup, .fini = teardown, .timeout = 300);

/* n bytes: a repeated sentence, or xorshift noise (which no compressor
 * shrinks). */
static void write_sample(const char *name, size_t n, int random) {
    FILE *f = fopen(tu_path(dir, name), "wb");
    cr_assert_not_null(f);
    const char *text = "the quick brown fox jumps over the lazy dog. ";
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        fputc(random ? (int)(x & 0xff) : text[i % strlen(text)], f);
    }
    cr_assert_eq(fclose(f), 0);
}

Test(compress_sample, ratio_is_the_datas_own) {
    write_sample("text.bin", 1 << 20, 0);
    write_sample("noise.bin", 256 << 10, 1);
    compress_measure m;
    fs_err err;
    cr_assert_eq(compress_sample_measure(tu_path(dir, "text.bin"), 3, &m, &err), 0, "%s", err.msg);
    cr_assert_eq(m.in_bytes, 1 << 20);
    cr_assert_lt(m.ratio, 0.01, "a repeated sentence: %f", m.ratio);
    cr_assert_gt(m.cpu_per_byte, 0);
    cr_assert_lt(m.cpu_per_byte, 1e-6, "under a microsecond per byte at level 3");
    cr_assert_geq(m.repeats, 1);
    cr_assert_eq(compress_sample_measure(tu_path(dir, "noise.bin"), 3, &m, &err), 0, "%s",
                 err.msg);
    cr_assert_geq(m.ratio, 0.99, "noise does not shrink: %f", m.ratio);
    cr_assert_leq(m.ratio, 1.01, "zstd stores it raw: %f", m.ratio);
    /* A higher level works harder on the same bytes. */
    compress_measure hi;
    cr_assert_eq(compress_sample_measure(tu_path(dir, "text.bin"), 19, &hi, &err), 0);
    cr_assert_leq(hi.out_bytes, m.in_bytes);
}

Test(compress_sample, bad_files_are_refused_by_name) {
    cr_assert_eq(tu_write_file(tu_path(dir, "empty.bin"), ""), 0);
    compress_measure m;
    fs_err err;
    cr_assert_neq(compress_sample_measure(tu_path(dir, "empty.bin"), 3, &m, &err), 0);
    cr_assert(strstr(err.msg, "empty") != NULL && strstr(err.msg, "empty.bin") != NULL, "%s",
              err.msg);
    cr_assert_neq(compress_sample_check(tu_path(dir, "absent.bin"), &err), 0);
    cr_assert(strstr(err.msg, "absent.bin") != NULL, "%s", err.msg);
    cr_assert_neq(compress_sample_check(dir, &err), 0, "a directory is no sample");
}

static tu_result run(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    return r;
}

/* The number after "key": in a JSON text. */
static double json_num(const char *json, const char *key) {
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(json, pat);
    cr_assert_not_null(p, "no %s", key);
    return strtod(p + strlen(pat), NULL);
}

Test(compress_sample, end_to_end_the_measured_ratio_is_the_remedy) {
    write_sample("text.bin", 64 << 10, 0);
    write_sample("noise.bin", 64 << 10, 1);
    cr_assert_eq(tu_write_file(tu_path(dir, "a.trace"), "fragsim-trace v1\n0 SET k1 100\n"
                               "0 SET k2 1000\n1 SET k3 3000\n1 SET k4 5000\n20 TICK\n"), 0);
    tu_result r = run((const char *[]){"run", "a.trace", "--compress-sample", "text.bin", "-o",
                                       "t", "-q", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *json = tu_read_file(tu_path(dir, "t/summary.json"), NULL);
    cr_assert_not_null(json);
    double ratio = json_num(json, "compress_ratio");
    cr_assert_lt(ratio, 0.05);
    cr_assert_eq(json_num(json, "compress_min"), 1024, "the default MIN");
    cr_assert_eq(json_num(json, "compressed_values"), 2, "3000 and 5000; 1000 is below 1 KiB");
    cr_assert_eq(json_num(json, "compress_in_bytes"), 8000);
    double ns = json_num(json, "compress_ns_per_byte"), cpu = json_num(json, "compress_cpu_seconds");
    cr_assert_gt(cpu, 0);
    cr_assert(fabs(cpu - 8000 * ns * 1e-9) <= 1e-6 + 1e-3 * cpu, "%g s against %g ns/B", cpu, ns);
    free(json);
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "t/summary.csv")), 0);
    double want = 100 + 1000 + ceil(3000 * ratio) + ceil(5000 * ratio);
    cr_assert(fabs(tu_csv_get(&c, 0, "final_requested_bytes") - want) <= 2, "%f against %f",
              tu_csv_get(&c, 0, "final_requested_bytes"), want);
    cr_assert_gt(tu_csv_get(&c, 0, "compress_cpu_seconds"), 0);
    tu_csv_free(&c);

    /* Noise does not shrink: sizes stay (ratio capped at 1), CPU is spent. */
    r = run((const char *[]){"run", "a.trace", "--compress-sample", "noise.bin", "--compress",
                             "sample:0", "--compress-level", "1", "-o", "n", "-q", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "n/summary.csv")), 0);
    cr_assert_eq(tu_csv_get(&c, 0, "final_requested_bytes"), 9100);
    cr_assert_gt(tu_csv_get(&c, 0, "compress_cpu_seconds"), 0);
    tu_csv_free(&c);
}

Test(compress_sample, end_to_end_bad_usage_is_one_clear_error) {
    write_sample("text.bin", 4096, 0);
    cr_assert_eq(tu_write_file(tu_path(dir, "empty.bin"), ""), 0);
    cr_assert_eq(tu_write_file(tu_path(dir, "a.trace"), "fragsim-trace v1\n0 SET k1 100\n"), 0);
    const char *bad[][5] = {
        {"--compress-sample", "empty.bin", NULL, NULL, "empty"},
        {"--compress-sample", "absent.bin", NULL, NULL, "absent.bin"},
        {"--compress-sample", "text.bin", "--compress", "0.5", "sample:MIN"},
        {"--compress-sample", "text.bin", "--compress-level", "99", "--compress-level '99'"},
        {"--compress-level", "5", NULL, NULL, "only with --compress-sample"},
        {"--compress", "sample", NULL, NULL, "needs --compress-sample"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *args[16] = {"run", "a.trace", "-o", "out", "-q", "--no-progress"};
        int m = 6;
        for (int k = 0; k < 4 && bad[i][k]; k++) args[m++] = bad[i][k];
        args[m] = NULL;
        tu_result r = run(args);
        cr_assert_eq(r.exit_code, 2, "case %zu: %s", i, r.err);
        cr_assert(strstr(r.err, bad[i][4]) != NULL, "case %zu: %s", i, r.err);
        cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "one line: %s", r.err);
        tu_result_free(&r);
        cr_assert(!tu_exists(tu_path(dir, "out")));
    }
}
