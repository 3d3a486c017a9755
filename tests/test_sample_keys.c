/* --sample-keys: spatial sampling of keys.  A key is in or out by its
 * seeded hash alone, so the same seed keeps the same keys; a kept key keeps
 * every event; the share kept is close to the rate; the clock's origin and
 * end stay the whole trace's; bad rates are refused; compare passes the
 * option on to its children, and sweep takes it as a grid key. */
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

TestSuite(sample_keys, .init = setup, .fini = teardown, .timeout = 600);

static transform_spec spec_rate(const char *rate, uint64_t seed) {
    transform_spec s;
    fs_err err;
    memset(&s, 0, sizeof s);
    s.shard = -1;
    cr_assert_eq(transform_parse_sample_keys(&s, rate, &err), 0, "%s", err.msg);
    s.sample_seed = seed;
    return s;
}

Test(sample_keys, rates_out_of_range_are_refused) {
    const char *bad[] = {"0", "-0.1", "1.5", "2", "abc", "", "0.5x", "nan"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        transform_spec s = {0};
        fs_err err;
        cr_assert_eq(transform_parse_sample_keys(&s, bad[i], &err), -1, "'%s' accepted", bad[i]);
        cr_assert(strstr(err.msg, "--sample-keys") != NULL, "%s", err.msg);
    }
    transform_spec one = spec_rate("1", 0);
    cr_assert(!transform_sampling(&one), "1 keeps every key: no sampling");
    cr_assert(transform_spec_empty(&one));
    transform_spec half = spec_rate("0.5", 0);
    cr_assert(transform_sampling(&half));
    cr_assert(!transform_spec_empty(&half));
}

/* The share of a million keys kept, for a rate and seed. */
static double kept_share(const char *rate, uint64_t seed, unsigned char *mark) {
    transform_spec s = spec_rate(rate, seed);
    const uint32_t n = 1000000;
    uint32_t kept = 0;
    char key[32];
    for (uint32_t i = 0; i < n; i++) {
        int len = snprintf(key, sizeof key, "user:%u", i);
        int k = transform_sample_keep(&s, key, (uint32_t)len);
        if (mark) mark[i] = (unsigned char)k;
        kept += (uint32_t)k;
    }
    return (double)kept / n;
}

Test(sample_keys, the_share_kept_is_close_to_the_rate_and_the_seed_picks_the_keys) {
    const struct {
        const char *rate;
        double r;
    } rates[] = {{"0.5", 0.5}, {"0.1", 0.1}, {"0.01", 0.01}, {"0.001", 0.001}};
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
        double got = kept_share(rates[i].rate, 7, NULL), r = rates[i].r;
        /* Five standard deviations of a binomial share over 10^6 keys. */
        double tol = 5 * sqrt(r * (1 - r) / 1e6);
        cr_assert_lt(fabs(got - r), tol, "rate %s: kept %.5f", rates[i].rate, got);
    }
    unsigned char *a = malloc(1000000), *b = malloc(1000000), *c = malloc(1000000);
    kept_share("0.1", 7, a);
    kept_share("0.1", 7, b);
    kept_share("0.1", 8, c);
    cr_assert_eq(memcmp(a, b, 1000000), 0, "the same seed keeps the same keys");
    size_t both = 0, ina = 0;
    for (size_t i = 0; i < 1000000; i++) {
        ina += a[i];
        both += a[i] && c[i];
    }
    /* Independent draws overlap on about r^2 of the keys, not r. */
    cr_assert_lt((double)both, 0.2 * (double)ina, "seeds 7 and 8 share %zu of %zu keys", both, ina);
    free(a), free(b), free(c);
}

/* A trace of nkeys keys, each SET, then GET, EXPIRE and DEL much later,
 * the keys' events interleaved; the first and last events' keys are 0. */
static const char *write_trace(int nkeys) {
    const char *path = tu_path(dir, "keys.trace");
    size_t cap = (size_t)nkeys * 4 * 40 + 64, at = 0;
    char *text = malloc(cap);
    at += (size_t)snprintf(text, cap, "fragsim-trace v1\n");
    const char *ops[] = {"SET k:%d 100", "GET k:%d", "EXPIRE k:%d 50", "DEL k:%d"};
    for (int round = 0; round < 4; round++)
        for (int i = 0; i < nkeys; i++) {
            at += (size_t)snprintf(text + at, cap - at, "%d.%06d ", 1 + round * 10, i);
            at += (size_t)snprintf(text + at, cap - at, ops[round], (i + round) % nkeys);
            text[at++] = '\n';
        }
    text[at] = '\0';
    cr_assert_eq(tu_write_file(path, text), 0);
    free(text);
    return path;
}

Test(sample_keys, every_event_of_a_kept_key_and_none_of_the_others) {
    const int nkeys = 20000;
    const char *path = write_trace(nkeys);
    for (uint64_t seed = 1; seed <= 2; seed++) {
        transform_spec s = spec_rate("0.2", seed);
        transform_stats st = {0};
        s.stats = &st;
        trace_reader in, r;
        fs_err err;
        cr_assert_eq(trace_open(&in, path, NULL, &err), 0, "%s", err.msg);
        cr_assert_eq(trace_transform_wrap(&r, &in, &s, &err), 0, "%s", err.msg);
        int *seen = calloc((size_t)nkeys, sizeof *seen);
        trace_event ev;
        int rc;
        int64_t first = -1, last = -1;
        size_t ticks = 0;
        while ((rc = trace_next(&r, &ev, &err)) == 1) {
            if (first < 0) first = ev.time_us;
            last = ev.time_us;
            if (ev.op == TRACE_OP_TICK) {
                ticks++;
                continue;
            }
            char key[32];
            cr_assert_lt(ev.keylen, sizeof key);
            memcpy(key, ev.key, ev.keylen);
            key[ev.keylen] = '\0';
            cr_assert(transform_sample_keep(&s, ev.key, ev.keylen), "%s passed but is out", key);
            seen[atoi(key + 2)]++;
        }
        cr_assert_eq(rc, 0, "%s", err.msg);
        trace_close(&r);
        size_t kept = 0;
        for (int i = 0; i < nkeys; i++) {
            char key[32];
            int len = snprintf(key, sizeof key, "k:%d", i);
            int in_sample = transform_sample_keep(&s, key, (uint32_t)len);
            cr_assert_eq(seen[i], in_sample ? 4 : 0, "key %s: %d of its 4 events", key, seen[i]);
            kept += (size_t)in_sample;
        }
        free(seen);
        cr_assert_eq(st.sample_kept_events, 4 * kept);
        cr_assert_eq(st.sample_dropped_events, 4 * ((size_t)nkeys - kept));
        cr_assert_gt(kept, nkeys * 0.17);
        cr_assert_lt(kept, nkeys * 0.23);
        /* The clock starts and ends where the whole trace does. */
        cr_assert_eq(first, 1000000, "first event at %lld", (long long)first);
        cr_assert_eq(last, 31000000 + nkeys - 1, "last event at %lld", (long long)last);
        cr_assert_leq(ticks, 2);
    }
}

static tu_result run(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    return r;
}

/* summary.json's sample_keys (the first occurrence: the config's). */
static double summary_rate(const char *out) {
    char *text = tu_read_file(tu_path(dir, out), NULL);
    cr_assert_not_null(text, "%s", out);
    const char *p = strstr(text, "\"sample_keys\":");
    cr_assert_not_null(p, "%s has no sample_keys", out);
    double v = strtod(p + strlen("\"sample_keys\":"), NULL);
    free(text);
    return v;
}

Test(sample_keys, end_to_end_deterministic_scaled_and_checked) {
    for (int k = 0; k < 2; k++) {
        tu_result r = run((const char *[]){"run", "--preset", "seed-blog", "--keys", "20000",
                                           "--sample-keys", "0.25", "-q", "--no-progress", "-o",
                                           k ? "b" : "a", NULL});
        cr_assert_eq(r.exit_code, 0, "%s", r.err);
        tu_result_free(&r);
    }
    tu_result r = run((const char *[]){"run", "--preset", "seed-blog", "--keys", "20000", "-q",
                                       "--no-progress", "-o", "full", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    tu_csv a, b, f;
    cr_assert_eq(tu_csv_load(&a, tu_path(dir, "a/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&b, tu_path(dir, "b/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&f, tu_path(dir, "full/series.csv")), 0);
    cr_assert_eq(a.nrows, b.nrows);
    cr_assert_eq(a.nrows, f.nrows, "the sampled run's samples fall at the full run's times");
    double peak_a = 0, peak_f = 0;
    for (size_t i = 0; i < a.nrows; i++) {
        const char *same[] = {"virtual_time", "events", "keys", "requested_bytes", "used_memory"};
        for (size_t c = 0; c < sizeof same / sizeof *same; c++)
            cr_assert_eq(tu_csv_get(&a, i, same[c]), tu_csv_get(&b, i, same[c]), "row %zu: %s",
                         i, same[c]);
        cr_assert_eq(tu_csv_get(&a, i, "virtual_time"), tu_csv_get(&f, i, "virtual_time"));
        peak_a = fmax(peak_a, tu_csv_get(&a, i, "keys"));
        peak_f = fmax(peak_f, tu_csv_get(&f, i, "keys"));
    }
    cr_assert_gt(peak_a, 0.2 * peak_f, "peak keys %g of %g", peak_a, peak_f);
    cr_assert_lt(peak_a, 0.3 * peak_f, "peak keys %g of %g", peak_a, peak_f);
    tu_csv_free(&a), tu_csv_free(&b), tu_csv_free(&f);
    cr_assert_eq(summary_rate("a/summary.json"), 0.25);
    cr_assert_eq(summary_rate("full/summary.json"), 1.0);
    char *json = tu_read_file(tu_path(dir, "a/summary.json"), NULL);
    cr_assert(strstr(json, "\"peak_est\"") && strstr(json, "\"used_memory_est\""), "%s", json);
    free(json);

    const char *bad[] = {"0", "1.01", "lots"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = run((const char *[]){"run", "--preset", "seed-blog", "--keys", "2000", "--sample-keys",
                                 bad[i], "-q", "--no-progress", "-o", "bad", NULL});
        cr_assert_eq(r.exit_code, 2, "--sample-keys %s: exit %d", bad[i], r.exit_code);
        cr_assert(strstr(r.err, "--sample-keys") != NULL, "%s", r.err);
        cr_assert(!tu_exists(tu_path(dir, "bad")), "no results for a refused rate");
        tu_result_free(&r);
    }
    r = run((const char *[]){"run", "--preset", "seed-blog", "--keys", "2000", "--sample-seed",
                             "3", "-q", "--no-progress", "-o", "bad", NULL});
    cr_assert_eq(r.exit_code, 2, "--sample-seed alone");
    tu_result_free(&r);
}

Test(sample_keys, a_trace_on_standard_input_is_sampled_as_a_file_is) {
    const char *path = write_trace(5000);
    const char *argv_file[] = {"run", "keys.trace", "--sample-keys", "0.3", "--sample-seed", "9",
                               "-q", "--no-progress", "-o", "file", NULL};
    tu_result r = run(argv_file);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char bin[1024];
    snprintf(bin, sizeof bin, "%s", FRAGSIM_BIN);
    const char *const argv_stdin[] = {bin, "run", "-", "--sample-keys", "0.3", "--sample-seed",
                                      "9", "-q", "--no-progress", "-o", "stdin", NULL};
    cr_assert_eq(tu_run(&r, dir, path, argv_stdin), 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    tu_csv a, b;
    cr_assert_eq(tu_csv_load(&a, tu_path(dir, "file/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&b, tu_path(dir, "stdin/series.csv")), 0);
    cr_assert_eq(a.nrows, b.nrows);
    double peak = 0;
    for (size_t i = 0; i < a.nrows; i++) {
        cr_assert_eq(tu_csv_get(&a, i, "keys"), tu_csv_get(&b, i, "keys"), "row %zu", i);
        peak = fmax(peak, tu_csv_get(&a, i, "keys"));
    }
    cr_assert_gt(peak, 0.25 * 5000);
    cr_assert_lt(peak, 0.35 * 5000);
    tu_csv_free(&a), tu_csv_free(&b);
}

Test(sample_keys, compare_passes_the_rate_to_every_run) {
    tu_result r = run((const char *[]){"compare", "--preset", "seed-blog", "--keys", "4000",
                                       "--allocators", "jemalloc,mimalloc", "--sample-keys", "0.5",
                                       "--sample-seed", "4", "-o", "cmp", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    cr_assert_eq(summary_rate("cmp/jemalloc/summary.json"), 0.5);
    cr_assert_eq(summary_rate("cmp/mimalloc/summary.json"), 0.5);
    char *json = tu_read_file(tu_path(dir, "cmp/mimalloc/summary.json"), NULL);
    cr_assert(strstr(json, "\"sample_seed\": 4") != NULL, "the seed is passed on too");
    free(json);
    r = run((const char *[]){"compare", "--preset", "seed-blog", "--keys", "4000",
                             "--sample-keys", "0", "-o", "cmp2", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 2, "the parent refuses a bad rate before starting any run");
    cr_assert(strstr(r.err, "--sample-keys") != NULL, "%s", r.err);
    cr_assert(!tu_exists(tu_path(dir, "cmp2")));
    tu_result_free(&r);
}

Test(sample_keys, sweep_takes_the_rate_as_a_grid_key) {
    tu_result r = run((const char *[]){"sweep", "--preset", "seed-blog", "--keys", "2000", "--grid",
                                       "sample-keys=0.5,1", "-o", "sw", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    cr_assert_eq(summary_rate("sw/p0001/summary.json"), 0.5);
    cr_assert_eq(summary_rate("sw/p0002/summary.json"), 1.0);
    r = run((const char *[]){"sweep", "--preset", "seed-blog", "--keys", "2000", "--grid",
                             "hz=10", "--sample-keys", "7", "-o", "sw2", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 2, "a fixed bad rate is refused before any point runs");
    cr_assert(!tu_exists(tu_path(dir, "sw2")));
    tu_result_free(&r);
}
