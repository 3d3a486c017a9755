/* fragsim whatif, end to end: the baseline and every remedy run, the table
 * and whatif.csv hold their rows, the baseline changes by 0% against
 * itself, a sharded remedy's total adds its shards up, and what a remedy
 * cannot do is refused before anything runs. */
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

TestSuite(cli_whatif, .init = setup, .fini = teardown, .timeout = 600);

static tu_result run(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    return r;
}

/* whatif.csv's rows: remedy and shard as text, the rest as numbers. */
typedef struct wrow {
    char remedy[64], shard[16], status[64];
    double rss_peak, req_peak, used_peak, d_rss, cpu;
} wrow;

static size_t load_rows(const char *path, wrow *rows, size_t max) {
    char *text = tu_read_file(path, NULL);
    cr_assert_not_null(text);
    char *save, *line = strtok_r(text, "\n", &save);
    char *f[64];
    int nf = csv_split(line, f, 64);
    const char *want[] = {"remedy", "shard", "processes", "status", "rss_peak", "rss_final",
                          "used_memory_peak", "requested_peak", "mem_fragmentation_ratio_peak",
                          "allocator_frag_ratio_peak", "cpu_seconds", "rss_peak_change_pct",
                          "container_limit", "headroom_pct"};
    int col[14];
    for (size_t w = 0; w < 14; w++) {
        col[w] = -1;
        for (int k = 0; k < nf; k++)
            if (strcmp(f[k], want[w]) == 0) col[w] = k;
        cr_assert_geq(col[w], 0, "whatif.csv has no column %s", want[w]);
    }
    size_t n = 0;
    for (line = strtok_r(NULL, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
        nf = csv_split(line, f, 64);
        wrow *r = &rows[n++];
        snprintf(r->remedy, sizeof r->remedy, "%s", f[col[0]]);
        snprintf(r->shard, sizeof r->shard, "%s", f[col[1]]);
        snprintf(r->status, sizeof r->status, "%s", f[col[3]]);
        r->rss_peak = *f[col[4]] ? strtod(f[col[4]], NULL) : NAN;
        r->used_peak = *f[col[6]] ? strtod(f[col[6]], NULL) : NAN;
        r->req_peak = *f[col[7]] ? strtod(f[col[7]], NULL) : NAN;
        r->cpu = *f[col[10]] ? strtod(f[col[10]], NULL) : NAN;
        r->d_rss = *f[col[11]] ? strtod(f[col[11]], NULL) : NAN;
    }
    free(text);
    return n;
}

static const wrow *find(const wrow *rows, size_t n, const char *remedy, const char *shard) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].remedy, remedy) == 0 && strcmp(rows[i].shard, shard) == 0)
            return &rows[i];
    cr_assert_fail("no row %s / %s", remedy, shard);
    return NULL;
}

Test(cli_whatif, baseline_and_remedies_in_one_table) {
    tu_result r = run((const char *[]){"whatif", "--preset", "seed-blog", "--keys", "3000",
                                       "--no-progress", "-o", "wi",
                                       "--remedies",
                                       "pad-pow2,compress:0.5,shard-size:process,uniform-ttl,"
                                       "pad:4096+compress:0.5:2000",
                                       NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    const char *names[] = {"baseline", "pad-pow2", "compress:0.5", "shard-size:process",
                           "shard 1/3", "uniform-ttl", "pad:4096+compress:0.5:2000", "Headroom"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        cr_assert(strstr(r.out, names[i]) != NULL, "no %s in the table:\n%s", names[i], r.out);
    tu_result_free(&r);
    cr_assert(tu_exists(tu_path(dir, "wi/whatif.txt")));
    wrow rows[32];
    size_t n = load_rows(tu_path(dir, "wi/whatif.csv"), rows, 32);
    cr_assert_eq(n, 6 + 3, "six remedies (baseline included) and three shard rows");
    const wrow *base = find(rows, n, "baseline", "total");
    cr_assert_str_eq(base->status, "ok");
    cr_assert_eq(base->d_rss, 0.0, "the baseline against itself");
    cr_assert_gt(base->rss_peak, 0);
    cr_assert_gt(base->cpu, 0);
    /* Padding to powers of two asks for more bytes, compression for half. */
    cr_assert_gt(find(rows, n, "pad-pow2", "total")->req_peak, base->req_peak);
    const wrow *comp = find(rows, n, "compress:0.5", "total");
    cr_assert(fabs(comp->req_peak - base->req_peak / 2) < base->req_peak * 0.01,
              "compressed %.0f against %.0f", comp->req_peak, base->req_peak);
    /* The shards together ask for what the unsharded run asked for, and
     * hold the RSS of three processes. */
    const wrow *tot = find(rows, n, "shard-size:process", "total");
    cr_assert_eq(tot->req_peak, base->req_peak);
    double rss = 0;
    for (int k = 1; k <= 3; k++) {
        char s[8];
        snprintf(s, sizeof s, "%d/3", k);
        rss = fmax(rss, find(rows, n, "shard-size:process", s)->rss_peak);
    }
    cr_assert_gt(tot->rss_peak, rss, "the total counts every shard's process");
    cr_assert(tu_exists(tu_path(dir, "wi/03-shard-size_process/shard-2/summary.json")));
    /* The checklist on the baseline, for Redis's defaults: activedefrag is
     * off while the seed's trace fragments its allocator. */
    char *cl = tu_read_file(tu_path(dir, "wi/checklist.csv"), NULL);
    cr_assert_not_null(cl);
    cr_assert(strstr(cl, "\nactivedefrag,failed,") != NULL, "%s", cl);
    const char *items[] = {"defrag thresholds,", "cycle-max,n/a,25,", "headroom,",
                           "alert RedisMemoryFragmentationHigh,", "value-size spread,failed,",
                           "TTL spread,failed,"};
    for (size_t i = 0; i < sizeof items / sizeof *items; i++)
        cr_assert(strstr(cl, items[i]) != NULL, "no %s in\n%s", items[i], cl);
    free(cl);
    /* The report draws the remedies as bars, each total once, and the
     * remedies replayed in one process over time. */
    r = run((const char *[]){"report", "wi", "-o", "wi.html", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *html = tu_read_file(tu_path(dir, "wi.html"), NULL);
    cr_assert_not_null(html);
    cr_assert(strstr(html, "What-if: wi") != NULL);
    cr_assert(strstr(html, "RSS by remedy") != NULL);
    size_t bars = 0;
    for (const char *p = html; (p = strstr(p, "<span class=\"bar\"")) != NULL; p++) bars++;
    cr_assert_eq(bars, 3 * 6, "peak, mean and final for six totals, no shard rows");
    cr_assert(strstr(html, "RSS of the baseline and the remedies") != NULL);
    cr_assert(strstr(html, "pad:4096+compress:0.5:2000") != NULL);
    free(html);
    r = run((const char *[]){"doctor", "wi", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "fragsim doctor: pad-pow2") != NULL, "%s", r.out);
    tu_result_free(&r);
    /* The same directory takes the same command again. */
    r = run((const char *[]){"whatif", "--preset", "seed-blog", "--keys", "500",
                             "--no-progress", "-o", "wi", "-q", "--remedies",
                             "shard-size:process", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
}

Test(cli_whatif, what_cannot_run_is_refused_first) {
    const char *bad[] = {"shard-size:arenas+activedefrag", "shard-size:heaps", "pad:0", "compress:2", "bogus",
                         "shard-size:process+shard-ttl:process", "compress-sample",
                         "uniform-ttl:average"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tu_result r = run((const char *[]){"whatif", "--preset", "seed-blog", "--keys", "100",
                                           "--remedies", bad[i], "-o", "wi", "--no-progress", NULL});
        cr_assert_eq(r.exit_code, 2, "%s: %s", bad[i], r.err);
        cr_assert(strstr(r.err, "remedy") != NULL, "%s", r.err);
        tu_result_free(&r);
        cr_assert(!tu_exists(tu_path(dir, "wi")), "nothing is left");
    }
}

/* Shards in arenas of one process: one process, its shards beneath it,
 * adding up to the baseline's requested bytes, with no container of their
 * own. */
Test(cli_whatif, shards_in_arenas_of_one_process) {
    tu_result r = run((const char *[]){"whatif", "--preset", "seed-blog", "--keys", "3000",
                                       "--no-progress", "-o", "wi",
                                       "--allocator", "jemalloc", "--remedies",
                                       "shard-size:arenas,shard-ttl:arenas", "--shard-by-ttl",
                                       "60,120", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "  arena 2/3 1024-10240") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "  arena 3/3 >=120s or none") != NULL, "%s", r.out);
    tu_result_free(&r);
    wrow rows[32];
    size_t n = load_rows(tu_path(dir, "wi/whatif.csv"), rows, 32);
    cr_assert_eq(n, 3 + 6, "three totals and three arenas each");
    const wrow *base = find(rows, n, "baseline", "total");
    const char *remedies[] = {"shard-size:arenas", "shard-ttl:arenas"};
    for (int i = 0; i < 2; i++) {
        const wrow *tot = find(rows, n, remedies[i], "total");
        cr_assert_str_eq(tot->status, "ok");
        cr_assert_eq(tot->req_peak, base->req_peak, "%s: the same data", remedies[i]);
        double req = 0, held = 0;
        int nonempty = 0;
        for (int k = 1; k <= 3; k++) {
            char sh[8];
            snprintf(sh, sizeof sh, "%d/3", k);
            const wrow *a = find(rows, n, remedies[i], sh);
            cr_assert(isnan(a->cpu), "a shard has no CPU of its own");
            req += a->req_peak;
            held += a->rss_peak;
            nonempty += a->req_peak > 0;
        }
        /* Each shard's peak comes at its own time: together at least the
         * total's peak, and the arenas' resident bytes within the process's. */
        cr_assert_geq(req, tot->req_peak, "%s", remedies[i]);
        cr_assert_lt(held, tot->rss_peak, "%s", remedies[i]);
        cr_assert_geq(nonempty, 2, "%s: the classes split the keys", remedies[i]);
    }
    cr_assert(tu_exists(tu_path(dir, "wi/01-shard-size_arenas/shards.csv")));
}

/* The compression CPU column: 0 where nothing is compressed. */
static double zstd_cpu(const char *path, const char *remedy) {
    char *text = tu_read_file(path, NULL);
    cr_assert_not_null(text);
    char *save, *line = strtok_r(text, "\n", &save), *f[64];
    int nf = csv_split(line, f, 64), col = -1;
    for (int k = 0; k < nf; k++)
        if (strcmp(f[k], "compress_cpu_seconds") == 0) col = k;
    cr_assert_geq(col, 0, "whatif.csv has no compress_cpu_seconds");
    double v = NAN;
    for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        nf = csv_split(line, f, 64);
        if (strcmp(f[0], remedy) == 0 && col < nf) v = strtod(f[col], NULL);
    }
    free(text);
    return v;
}

Test(cli_whatif, measured_compression_and_ttl_statistics_as_remedies) {
    char sample[4096];
    for (size_t i = 0; i < sizeof sample - 1; i++) sample[i] = "fragmentation "[i % 14];
    sample[sizeof sample - 1] = '\0';
    cr_assert_eq(tu_write_file(tu_path(dir, "values.txt"), sample), 0);
    tu_result r = run((const char *[]){"whatif", "--preset", "seed-blog", "--keys", "3000",
                                       "--no-progress", "-o", "wi",
                                       "--compress-sample", "values.txt", "--remedies",
                                       "compress-sample,uniform-ttl:median,compress-sample:0",
                                       NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "zstd_s") != NULL, "%s", r.out);
    tu_result_free(&r);
    wrow rows[16];
    size_t n = load_rows(tu_path(dir, "wi/whatif.csv"), rows, 16);
    cr_assert_eq(n, 4);
    const wrow *base = find(rows, n, "baseline", "total");
    for (size_t i = 0; i < n; i++) cr_assert_str_eq(rows[i].status, "ok", "%s", rows[i].remedy);
    /* A repeated word compresses far below half; values under 1 KiB stay. */
    const wrow *c = find(rows, n, "compress-sample", "total");
    const wrow *c0 = find(rows, n, "compress-sample:0", "total");
    cr_assert_lt(c->req_peak, base->req_peak / 2);
    cr_assert_lt(c0->req_peak, c->req_peak, "MIN 0 compresses the small values too");
    const char *csv = tu_path(dir, "wi/whatif.csv");
    cr_assert_eq(zstd_cpu(csv, "baseline"), 0);
    cr_assert_gt(zstd_cpu(csv, "compress-sample"), 0);
    cr_assert_gt(zstd_cpu(csv, "compress-sample:0"), 0);
    char *json = tu_read_file(tu_path(dir, "wi/02-uniform-ttl_median/summary.json"), NULL);
    cr_assert_not_null(json);
    cr_assert(strstr(json, "\"uniform_ttl_statistic\": \"median\"") != NULL, "%s", json);
    cr_assert(strstr(json, "\"uniform_ttl_changed\": 0,") == NULL, "every key shares one prefix");
    free(json);
}

/* activedefrag as a remedy: the same replay with Redis's active defrag on,
 * its settings from --config. */
Test(cli_whatif, activedefrag_as_a_remedy) {
    cr_assert_eq(tu_write_file(tu_path(dir, "r.conf"), "active-defrag-ignore-bytes 1mb\n"
                                                       "active-defrag-threshold-lower 5\n"),
                 0);
    tu_result r = run((const char *[]){"whatif", "--preset", "seed-blog", "--keys", "5000",
                                       "--no-progress", "-o", "wi", "-q",
                                       "--config", "r.conf", "--remedies", "activedefrag", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *base = tu_read_file(tu_path(dir, "wi/00-baseline/summary.json"), NULL);
    char *on = tu_read_file(tu_path(dir, "wi/01-activedefrag/summary.json"), NULL);
    cr_assert(base != NULL && on != NULL);
    cr_assert(strstr(base, "\"activedefrag\": false") != NULL);
    cr_assert(strstr(on, "\"activedefrag\": true") != NULL, "%s", on);
    const char *hits = strstr(on, "\"hits\": ");
    cr_assert(hits != NULL && strtoull(hits + 8, NULL, 10) > 0, "defrag moved blocks");
    free(base);
    free(on);
}
