/* The generator's distributions (traces/dist.c) and the generator itself
 * (traces/trace_gen.c): parsing specs, drawing, determinism, the seed-blog
 * preset. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../traces/dist.h"
#include "../traces/trace_gen.h"

TestSuite(dist, .timeout = 60);
TestSuite(gen, .timeout = 60);

#define EXPECT(msg, needle) \
    cr_assert(strstr(msg, needle) != NULL, "'%s' not in: %s", needle, msg)

static dist parse_ok(const char *spec, int bytes) {
    dist d;
    fs_err err;
    cr_assert_eq(dist_parse(&d, spec, bytes, "--sizes", &err), 0, "'%s' refused: %s", spec,
                 err.msg);
    return d;
}

static void parse_bad(const char *spec, int bytes) {
    dist d;
    fs_err err;
    memset(&err, 0, sizeof err);
    const char *what = bytes ? "--sizes" : "--ttl";
    cr_assert_eq(dist_parse(&d, spec, bytes, what, &err), -1, "'%s' (bytes=%d) accepted", spec,
                 bytes);
    EXPECT(err.msg, what);
    char quoted[128];
    snprintf(quoted, sizeof quoted, "'%s'", spec);
    EXPECT(err.msg, quoted);
    EXPECT(err.msg, "expected");
}

/* ---- parsing ---- */

Test(dist, parses_fixed) {
    dist d = parse_ok("fixed:100", 1);
    cr_assert_eq(d.kind, DIST_FIXED);
    cr_assert_eq(d.a, 100);
    d = parse_ok("fixed:2.5", 0);
    cr_assert_eq(d.kind, DIST_FIXED);
    cr_assert_eq(d.a, 2.5);
    d = parse_ok("fixed:0", 1);
    cr_assert_eq(d.a, 0);
}

Test(dist, size_units_follow_redis_conf) {
    cr_assert_eq(parse_ok("fixed:4kb", 1).a, 4096);
    cr_assert_eq(parse_ok("fixed:4KB", 1).a, 4096);
    cr_assert_eq(parse_ok("fixed:4k", 1).a, 4000);
    cr_assert_eq(parse_ok("fixed:1mb", 1).a, 1048576);
    cr_assert_eq(parse_ok("fixed:1m", 1).a, 1000000);
    cr_assert_eq(parse_ok("fixed:1gb", 1).a, 1073741824.0);
    cr_assert_eq(parse_ok("fixed:7b", 1).a, 7);
    dist u = parse_ok("uniform:1kb,4kb", 1);
    cr_assert_eq(u.kind, DIST_UNIFORM);
    cr_assert_eq(u.a, 1024);
    cr_assert_eq(u.b, 4096);
    dist w = parse_ok("weighted:100:1,1kb:3", 1);
    cr_assert_eq(w.values[1], 1024);
}

Test(dist, parses_uniform) {
    dist d = parse_ok("uniform:100,10000", 1);
    cr_assert_eq(d.kind, DIST_UNIFORM);
    cr_assert_eq(d.a, 100);
    cr_assert_eq(d.b, 10000);
    d = parse_ok("uniform:0.5,1.5", 0);
    cr_assert_eq(d.a, 0.5);
    cr_assert_eq(d.b, 1.5);
    d = parse_ok("uniform:7,7", 1);
    cr_assert_eq(d.a, 7);
    cr_assert_eq(d.b, 7);
}

Test(dist, parses_lognormal) {
    dist d = parse_ok("lognormal:1000,0.5", 1);
    cr_assert_eq(d.kind, DIST_LOGNORMAL);
    cr_assert_eq(d.a, 1000);
    cr_assert_eq(d.b, 0.5);
    d = parse_ok("lognormal:30,1.25", 0);
    cr_assert_eq(d.a, 30);
    cr_assert_eq(d.b, 1.25);
}

/* dist.h: "Size values accept redis.conf units (4kb, 1mb)"; README.md:
 * "Sizes take redis.conf units (4kb)".  A lognormal's median is a size. */
Test(dist, lognormal_median_takes_size_units) {
    dist d = parse_ok("lognormal:4kb,0.5", 1);
    cr_assert_eq(d.kind, DIST_LOGNORMAL);
    cr_assert_eq(d.a, 4096);
    cr_assert_eq(d.b, 0.5);
}

Test(dist, parses_weighted) {
    dist d = parse_ok("weighted:100:1,200:2,300:7", 1);
    cr_assert_eq(d.kind, DIST_WEIGHTED);
    cr_assert_eq(d.n, 3);
    cr_assert_eq(d.values[0], 100);
    cr_assert_eq(d.values[1], 200);
    cr_assert_eq(d.values[2], 300);
    cr_assert_eq(d.cumweight[0], 1);
    cr_assert_eq(d.cumweight[1], 3);
    cr_assert_eq(d.cumweight[2], 10);
    d = parse_ok("weighted:60:0.5,3600:1.5", 0);
    cr_assert_eq(d.n, 2);
    cr_assert_eq(d.values[1], 3600);
    cr_assert_eq(d.cumweight[1], 2.0);
    /* DIST_MAX_WEIGHTS values are fine. */
    char spec[1024] = "weighted:";
    for (int i = 0; i < DIST_MAX_WEIGHTS; i++)
        snprintf(spec + strlen(spec), sizeof spec - strlen(spec), "%s%d:1", i ? "," : "", i + 1);
    d = parse_ok(spec, 1);
    cr_assert_eq(d.n, DIST_MAX_WEIGHTS);
    cr_assert_eq(d.cumweight[DIST_MAX_WEIGHTS - 1], DIST_MAX_WEIGHTS);
}

Test(dist, none_only_for_ttls) {
    dist d;
    fs_err err;
    cr_assert_eq(dist_parse(&d, "none", 0, "--ttl", &err), 0, "%s", err.msg);
    cr_assert_eq(d.kind, DIST_NONE);
    parse_bad("none", 1);
}

Test(dist, rejects_malformed_specs_naming_the_option) {
    static const char *const both[] = {
        "", "fixed", "fixed:", "fixed:abc", "fixed:-5", "fixed:1,2", "uniform:5", "uniform:5,",
        "uniform:,5", "uniform:10,5", "uniform:1,2,3", "uniform:a,b", "lognormal:0,1",
        "lognormal:100", "lognormal:-1,1", "lognormal:100,x", "weighted:", "weighted:1",
        "weighted:1:0", "weighted:1:0,2:0", "weighted:a:1", "weighted:1:x", "weighted:1:-1",
        "gauss:1,2", "uniform", "Fixed:1", "nonsense",
    };
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++) {
        parse_bad(both[i], 1);
        parse_bad(both[i], 0);
    }
    /* Sizes are whole numbers of bytes. */
    parse_bad("fixed:1.5", 1);
    parse_bad("uniform:0.5,10", 1);
    parse_bad("fixed:4kib", 1);
    /* TTLs are seconds, without size units. */
    parse_bad("fixed:4kb", 0);
    parse_bad("fixed:inf", 0);
    parse_bad("fixed:nan", 0);
    /* More values than fit. */
    char spec[1024] = "weighted:";
    for (int i = 0; i <= DIST_MAX_WEIGHTS; i++)
        snprintf(spec + strlen(spec), sizeof spec - strlen(spec), "%s%d:1", i ? "," : "", i + 1);
    dist d;
    fs_err err;
    cr_assert_eq(dist_parse(&d, spec, 1, "--sizes", &err), -1);
    EXPECT(err.msg, "--sizes");
}

Test(dist, format_writes_a_spec_that_parses_back) {
    const char *specs[] = {"fixed:100", "uniform:100,10000", "lognormal:1000,0.5",
                           "weighted:100:1,200:2,300:7"};
    for (size_t i = 0; i < 4; i++) {
        dist d = parse_ok(specs[i], 1), back;
        char buf[256];
        dist_format(&d, buf, sizeof buf);
        cr_assert_str_eq(buf, specs[i]);
        back = parse_ok(buf, 1);
        cr_assert(memcmp(&back, &d, sizeof d) == 0, "'%s' did not parse back the same", buf);
    }
    dist none;
    fs_err err;
    cr_assert_eq(dist_parse(&none, "none", 0, "--ttl", &err), 0);
    char buf[64];
    dist_format(&none, buf, sizeof buf);
    cr_assert_str_eq(buf, "none");
}

/* ---- drawing ---- */

Test(dist, uniform_bytes_stay_inclusive_and_hit_both_ends) {
    dist d = parse_ok("uniform:10,20", 1);
    rng r;
    rng_seed(&r, 12345);
    int hits[11] = {0};
    for (int i = 0; i < 100000; i++) {
        uint64_t v = dist_draw_bytes(&d, &r);
        cr_assert(v >= 10 && v <= 20, "draw %d gave %llu", i, (unsigned long long)v);
        hits[v - 10]++;
    }
    cr_assert_gt(hits[0], 0, "10 never drawn");
    cr_assert_gt(hits[10], 0, "20 never drawn");
    for (int k = 0; k <= 10; k++)
        cr_assert(hits[k] > 8000 && hits[k] < 10200, "%d drawn %d times of 100000", k + 10,
                  hits[k]);
    /* A range of one value. */
    dist one = parse_ok("uniform:7,7", 1);
    for (int i = 0; i < 100; i++) cr_assert_eq(dist_draw_bytes(&one, &r), 7);
}

Test(dist, uniform_seconds_stay_in_range) {
    dist d = parse_ok("uniform:60,300", 0);
    rng r;
    rng_seed(&r, 7);
    double lo = 1e9, hi = -1;
    for (int i = 0; i < 100000; i++) {
        double v = dist_draw(&d, &r);
        cr_assert(v >= 60 && v <= 300, "draw %d gave %f", i, v);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    cr_assert_lt(lo, 60.1);
    cr_assert_gt(hi, 299.9);
}

Test(dist, fixed_and_zero) {
    rng r;
    rng_seed(&r, 1);
    dist d = parse_ok("fixed:4kb", 1);
    for (int i = 0; i < 10; i++) cr_assert_eq(dist_draw_bytes(&d, &r), 4096);
    dist z = parse_ok("fixed:0", 1);
    cr_assert_eq(dist_draw_bytes(&z, &r), 0);
}

Test(dist, weighted_frequencies_match_weights) {
    dist d = parse_ok("weighted:1:1,2:2,3:0,4:7", 1);
    rng r;
    rng_seed(&r, 2024);
    const int n = 200000;
    int count[5] = {0};
    for (int i = 0; i < n; i++) {
        uint64_t v = dist_draw_bytes(&d, &r);
        cr_assert(v >= 1 && v <= 4, "drew %llu", (unsigned long long)v);
        count[v]++;
    }
    cr_assert_eq(count[3], 0, "a value of weight 0 is never drawn");
    cr_assert_float_eq((double)count[1] / n, 0.1, 0.01, "value 1: %d", count[1]);
    cr_assert_float_eq((double)count[2] / n, 0.2, 0.01, "value 2: %d", count[2]);
    cr_assert_float_eq((double)count[4] / n, 0.7, 0.01, "value 4: %d", count[4]);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Test(dist, lognormal_median_and_spread) {
    dist d = parse_ok("lognormal:1000,0.8", 0);
    rng r;
    rng_seed(&r, 99);
    enum { N = 20001 };
    static double v[N];
    double sum_log = 0, sum_log2 = 0;
    for (int i = 0; i < N; i++) {
        v[i] = dist_draw(&d, &r);
        cr_assert(v[i] > 0 && isfinite(v[i]), "draw %d gave %f", i, v[i]);
        sum_log += log(v[i]);
        sum_log2 += log(v[i]) * log(v[i]);
    }
    qsort(v, N, sizeof v[0], cmp_double);
    cr_assert(v[N / 2] > 950 && v[N / 2] < 1050, "median %f, expected about 1000", v[N / 2]);
    double mean = sum_log / N, sd = sqrt(sum_log2 / N - mean * mean);
    cr_assert_float_eq(mean, log(1000), 0.03, "mean of logs %f", mean);
    cr_assert_float_eq(sd, 0.8, 0.03, "sd of logs %f", sd);
    /* In bytes: whole numbers around the same median. */
    dist b = parse_ok("lognormal:1000,0.8", 1);
    int below = 0;
    for (int i = 0; i < 10000; i++) below += dist_draw_bytes(&b, &r) < 1000;
    cr_assert(below > 4700 && below < 5300, "%d of 10000 below the median", below);
}

/* dist.h: one rng_next() per draw for every kind but lognormal (two). */
Test(dist, draws_consume_a_fixed_amount_of_randomness) {
    const char *specs[] = {"fixed:5", "uniform:1,100", "weighted:1:1,2:1", "lognormal:10,1"};
    const int used[] = {1, 1, 1, 2};
    for (int k = 0; k < 4; k++) {
        dist d = parse_ok(specs[k], 0);
        rng a, b;
        rng_seed(&a, 77);
        rng_seed(&b, 77);
        for (int i = 0; i < 10; i++) {
            (void)dist_draw(&d, &a);
            for (int j = 0; j < used[k]; j++) (void)rng_next(&b);
            cr_assert(memcmp(&a, &b, sizeof a) == 0, "%s: draw %d used other than %d numbers",
                      specs[k], i, used[k]);
        }
    }
}

/* ---- the generator ---- */

typedef struct gen_ev {
    int64_t time_us;
    trace_op op;
    char key[96];
    uint32_t keylen;
    uint64_t size;
    int64_t ttl_us;
} gen_ev;

/* Runs the generator to its end; returns the events (malloc'd). */
static gen_ev *generate(const gen_params *p, size_t *n) {
    trace_reader r;
    fs_err err;
    cr_assert_eq(trace_gen_open(&r, p, &err), 0, "%s", err.msg);
    size_t cap = (size_t)p->keys + 2;
    gen_ev *out = calloc(cap, sizeof *out);
    trace_event ev;
    int rc;
    *n = 0;
    while ((rc = trace_next(&r, &ev, &err)) == 1) {
        cr_assert_lt(*n, cap, "more events than keys + 1");
        gen_ev *g = &out[(*n)++];
        g->time_us = ev.time_us;
        g->op = ev.op;
        g->keylen = ev.keylen;
        cr_assert_lt(ev.keylen, sizeof g->key);
        if (ev.keylen) memcpy(g->key, ev.key, ev.keylen);
        g->size = ev.size;
        g->ttl_us = ev.ttl_us;
    }
    cr_assert_eq(rc, 0, "generator error: %s", err.msg);
    trace_close(&r);
    return out;
}

static void params(gen_params *p, uint64_t seed) {
    gen_params_default(p);
    p->seed = seed;
    p->keys = 3000;
    p->insert_seconds = 30;
    p->observe = 100;
    fs_err err;
    cr_assert_eq(dist_parse(&p->sizes, "lognormal:500,1", 1, "--sizes", &err), 0, "%s", err.msg);
    cr_assert_eq(dist_parse(&p->ttl, "uniform:1,100", 0, "--ttl", &err), 0, "%s", err.msg);
}

Test(gen, same_params_same_events) {
    gen_params p;
    params(&p, 42);
    size_t n1, n2;
    gen_ev *a = generate(&p, &n1), *b = generate(&p, &n2);
    cr_assert_eq(n1, 3001);
    cr_assert_eq(n2, n1);
    for (size_t i = 0; i < n1; i++) {
        cr_assert_eq(a[i].time_us, b[i].time_us, "event %zu time", i);
        cr_assert_eq(a[i].op, b[i].op, "event %zu op", i);
        cr_assert_eq(a[i].keylen, b[i].keylen, "event %zu keylen", i);
        cr_assert(memcmp(a[i].key, b[i].key, a[i].keylen) == 0, "event %zu key", i);
        cr_assert_eq(a[i].size, b[i].size, "event %zu size", i);
        cr_assert_eq(a[i].ttl_us, b[i].ttl_us, "event %zu ttl", i);
    }
    free(a);
    free(b);
}

Test(gen, another_seed_another_sequence) {
    gen_params p;
    params(&p, 42);
    size_t n1, n2;
    gen_ev *a = generate(&p, &n1);
    p.seed = 43;
    gen_ev *b = generate(&p, &n2);
    cr_assert_eq(n1, n2);
    size_t size_diff = 0, ttl_diff = 0;
    for (size_t i = 0; i < n1; i++) {
        cr_assert_eq(a[i].time_us, b[i].time_us, "times do not depend on the seed");
        cr_assert_eq(a[i].keylen, b[i].keylen);
        cr_assert(memcmp(a[i].key, b[i].key, a[i].keylen) == 0, "keys do not depend on the seed");
        size_diff += a[i].size != b[i].size;
        ttl_diff += a[i].ttl_us != b[i].ttl_us;
    }
    cr_assert_gt(size_diff, n1 / 2, "only %zu of %zu sizes differ", size_diff, n1);
    cr_assert_gt(ttl_diff, n1 / 2, "only %zu of %zu ttls differ", ttl_diff, n1);
    free(a);
    free(b);
}

Test(gen, seed_blog_preset_with_1000_keys) {
    const gen_preset *pr = gen_preset_find("seed-blog");
    cr_assert_not_null(pr);
    gen_params p;
    pr->init(&p);
    p.keys = 1000;
    size_t n;
    gen_ev *e = generate(&p, &n);
    cr_assert_eq(n, 1001, "1000 SETs and a TICK, got %zu events", n);
    int64_t prev = INT64_MIN;
    for (size_t i = 0; i < 1000; i++) {
        char want[32];
        int wl = snprintf(want, sizeof want, "key:%zu", i);
        cr_assert_eq(e[i].op, TRACE_OP_SET, "event %zu", i);
        cr_assert_eq(e[i].keylen, (uint32_t)wl, "event %zu key length", i);
        cr_assert(memcmp(e[i].key, want, (size_t)wl) == 0, "event %zu key '%.*s'", i,
                  (int)e[i].keylen, e[i].key);
        cr_assert(e[i].size >= 100 && e[i].size <= 10000, "event %zu size %llu", i,
                  (unsigned long long)e[i].size);
        cr_assert(e[i].ttl_us >= 60 * TRACE_US_PER_S && e[i].ttl_us <= 300 * TRACE_US_PER_S,
                  "event %zu ttl %lld us", i, (long long)e[i].ttl_us);
        cr_assert_eq(e[i].ttl_us % 1000, 0, "TTLs are whole milliseconds");
        cr_assert_geq(e[i].time_us, prev, "event %zu goes back in time", i);
        prev = e[i].time_us;
    }
    cr_assert_eq(e[0].time_us, 0);
    /* 1000 keys over the preset's 180 s insert phase. */
    cr_assert(e[999].time_us > 179 * TRACE_US_PER_S && e[999].time_us < 180 * TRACE_US_PER_S,
              "last insert at %lld us", (long long)e[999].time_us);
    cr_assert_eq(e[1000].op, TRACE_OP_TICK);
    cr_assert_eq(e[1000].keylen, 0);
    cr_assert_eq(e[1000].time_us, e[999].time_us + 600 * TRACE_US_PER_S,
                 "TICK at %lld us, last insert at %lld us", (long long)e[1000].time_us,
                 (long long)e[999].time_us);
    free(e);
}

Test(gen, steady_rate_and_no_ttl) {
    gen_params p;
    gen_params_default(&p);
    p.keys = 50;
    p.rate = 10;
    p.observe = 5;
    snprintf(p.key_prefix, sizeof p.key_prefix, "s:");
    size_t n;
    gen_ev *e = generate(&p, &n);
    cr_assert_eq(n, 51);
    for (size_t i = 0; i < 50; i++) {
        cr_assert_eq(e[i].time_us, (int64_t)i * 100000, "event %zu time", i);
        cr_assert_eq(e[i].ttl_us, TRACE_TTL_NONE, "ttl none: no expiry");
        cr_assert(e[i].size >= 100 && e[i].size <= 1000);
        cr_assert_eq(memcmp(e[i].key, "s:", 2), 0);
    }
    cr_assert_eq(e[50].op, TRACE_OP_TICK);
    cr_assert_eq(e[50].time_us, 49 * 100000 + 5 * TRACE_US_PER_S);
    free(e);
}

Test(gen, preset_table) {
    size_t count;
    const gen_preset *all = gen_presets(&count);
    cr_assert_geq(count, 1);
    for (size_t i = 0; i < count; i++) cr_assert_eq(gen_preset_find(all[i].name), &all[i]);
    cr_assert_null(gen_preset_find("no-such-preset"));
}

Test(gen, params_check_rejects_zero_keys) {
    gen_params p;
    gen_params_default(&p);
    fs_err err;
    cr_assert_eq(gen_params_check(&p, &err), 0, "%s", err.msg);
    p.keys = 0;
    cr_assert_eq(gen_params_check(&p, &err), -1);
    EXPECT(err.msg, "--keys");
    trace_reader r;
    cr_assert_eq(trace_gen_open(&r, &p, &err), -1, "the generator refuses it too");
    EXPECT(err.msg, "--keys");
}

Test(gen, params_check_rejects_other_nonsense) {
    gen_params p;
    fs_err err;
    gen_params_default(&p);
    p.insert_seconds = 0;
    cr_assert_eq(gen_params_check(&p, &err), -1);
    gen_params_default(&p);
    p.sizes.kind = DIST_NONE;
    cr_assert_eq(gen_params_check(&p, &err), -1);
    EXPECT(err.msg, "--sizes");
    gen_params_default(&p);
    p.observe = 2e9;
    cr_assert_eq(gen_params_check(&p, &err), -1);
}
