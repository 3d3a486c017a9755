/* report, doctor and export, end to end: a small seed-blog comparison with
 * page maps, read back by the analysis commands; the page map's holes; bad
 * inputs named in plain words, with nothing half-written left behind. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(cli_report, .init = setup, .fini = teardown, .timeout = 600);

static tu_result run(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    return r;
}

static size_t count(const char *s, const char *needle) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++) n++;
    return n;
}

/* seed-blog, 20000 keys, as fast as possible; page maps at the end of the
 * inserts (180 s) and halfway through the expiries (300 s). */
static void make_compare(const char *allocators) {
    tu_result r = run((const char *[]){"compare", "--preset", "seed-blog", "--keys", "20000",
                                       "--allocators", allocators,
                                       "--page-map-at", "180,300", "-o", "cmp", "-q",
                                       "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
}

Test(cli_report, report_of_a_comparison_is_one_self_contained_page) {
    make_compare("jemalloc,mimalloc");
    tu_result r = run((const char *[]){"report", "cmp", "-o", "report.html", "--container-limit",
                                       "1gb", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *html = tu_read_file(tu_path(dir, "report.html"), NULL);
    cr_assert_not_null(html);
    cr_assert(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    cr_assert(strstr(html, "</html>") != NULL, "the page is complete");
    cr_assert_eq(count(html, "<svg"), count(html, "</svg>"), "every svg is closed");
    /* 4 overlays, per allocator 2 plots + 2 page maps, and one legend per
     * allocator's page maps. */
    cr_assert_eq(count(html, "<svg"), 4 + 2 * (2 + 2 + 1), "%zu svg elements",
                 count(html, "<svg"));
    cr_assert_eq(count(html, "class=\"pagemap\""), 4);
    cr_assert(strstr(html, ">jemalloc</text>") != NULL && strstr(html, ">mimalloc</text>") != NULL,
              "the overlays' legends name the allocators");
    cr_assert(strstr(html, "1.5: warning if held 30m") != NULL);
    cr_assert(strstr(html, "2.0: critical if held 10m") != NULL);
    cr_assert(strstr(html, "<table class=\"bins\">") != NULL, "jemalloc's size classes");
    cr_assert(strstr(html, "MEMORY DOCTOR") != NULL, "the doctor's text is in the page");
    /* What produced it, from the runs' summary.json. */
    cr_assert(strstr(html, "<table class=\"prov\">") != NULL, "a provenance block");
    cr_assert(strstr(html, "preset:seed-blog, 20000 keys") != NULL, "the preset and its keys");
    cr_assert(strstr(html, "<td>virtual</td>") != NULL, "the clock");
    cr_assert(strstr(html, "jemalloc 5.") != NULL && strstr(html, "mimalloc 2.") != NULL,
              "the allocators' versions");
    cr_assert(strstr(html, "fragsim of the runs") != NULL && strstr(html, "runs written") != NULL);
    /* The container limit on every RSS chart: each run's memory chart and
     * the comparison's RSS overlay. */
    cr_assert_eq(count(html, ">container limit 1.0 GiB</text>"), 2 + 1);
    /* Ratios on a log scale, nothing drawn at a false top. */
    cr_assert_eq(count(html, "(log scale)</text>"), 2 + 2, "two overlays, one per run");
    /* Self-contained: nothing to fetch. */
    cr_assert(strstr(html, "<script") == NULL && strstr(html, "src=") == NULL &&
              strstr(html, "<link") == NULL && strstr(html, "href=\"http") == NULL);
    free(html);
    cr_assert(!tu_exists(tu_path(dir, "report.html.partial")));
}

/* Mean live bytes per listed page with live data, from a pagemap file. */
static double mean_fill(const char *path, double *live_total, double *empty) {
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, path), 0, "%s", path);
    double live = 0, touched = 0;
    *empty = 0;
    for (size_t i = 0; i < c.nrows; i++) {
        double v = tu_csv_get(&c, i, "live_bytes");
        cr_assert(v >= 0 && v <= 4096, "row %zu: %f live bytes", i, v);
        if (i > 0) cr_assert(tu_csv_get(&c, i, "page") > tu_csv_get(&c, i - 1, "page"));
        live += v;
        touched += v > 0;
        *empty += v == 0;
    }
    tu_csv_free(&c);
    *live_total = live;
    return touched > 0 ? live / touched : 0;
}

Test(cli_report, the_page_map_after_expiry_shows_the_holes) {
    tu_result r = run((const char *[]){"run", "--preset", "seed-blog", "--keys", "20000",
                                       "--allocator", "jemalloc",
                                       "--page-map-at", "300,180", "-o", "pm", "-q",
                                       "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    double live_before, live_after, empty_before, empty_after;
    double before = mean_fill(tu_path(dir, "pm/pagemap-180.csv"), &live_before, &empty_before);
    double after = mean_fill(tu_path(dir, "pm/pagemap-300.csv"), &live_after, &empty_after);
    cr_log_info("mean live bytes per page: %.0f at 180 s, %.0f at 300 s; empty resident pages "
                "%.0f, %.0f", before, after, empty_before, empty_after);
    cr_assert(after < 0.95 * before, "holes: %.0f live bytes a page after, %.0f before", after,
              before);
    cr_assert(empty_after > empty_before, "freed pages stay resident at --speed max");
    /* Every live byte is in the map: its sum is used_memory at that time. */
    tu_csv s;
    cr_assert_eq(tu_csv_load(&s, tu_path(dir, "pm/series.csv")), 0);
    for (size_t i = 0; i < s.nrows; i++) {
        double t = tu_csv_get(&s, i, "virtual_time");
        if (t == 180) cr_assert_eq(tu_csv_get(&s, i, "used_memory"), live_before);
        if (t == 300) cr_assert_eq(tu_csv_get(&s, i, "used_memory"), live_after);
    }
    tu_csv_free(&s);
    /* jemalloc's bins: wasted = (regions - curregs) * size, utilization in [0, 1]. */
    tu_csv b;
    cr_assert_eq(tu_csv_load(&b, tu_path(dir, "pm/bins-300.csv")), 0);
    cr_assert(b.nrows > 30, "%zu bins", b.nrows);
    for (size_t i = 0; i < b.nrows; i++) {
        double regions = tu_csv_get(&b, i, "regions"), used = tu_csv_get(&b, i, "curregs");
        cr_assert_eq(regions, tu_csv_get(&b, i, "nregs") * tu_csv_get(&b, i, "curslabs"));
        cr_assert_eq(tu_csv_get(&b, i, "wasted_bytes"), (regions - used) * tu_csv_get(&b, i, "size"));
        if (regions > 0) cr_assert(used <= regions);
    }
    tu_csv_free(&b);
    /* The terminal picture: full pages before, holes after. */
    r = run((const char *[]){"report", "--pagemap", "pm", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "at 180 s") != NULL && strstr(r.out, "at 300 s") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "[####") != NULL, "full pages before: %s", r.out);
    cr_assert(strstr(r.out, "_ resident with nothing live") != NULL);
    tu_result_free(&r);
}

Test(cli_report, doctor_names_the_fragmentation_and_the_alerts) {
    make_compare("jemalloc");
    tu_result r = run((const char *[]){"doctor", "cmp/jemalloc", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "MEMORY DOCTOR") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "High allocator fragmentation (allocator_frag_ratio > 1.1") != NULL,
              "%s", r.out);
    /* Unpaced, decay has no time to return pages: the RSS overhead may
     * outweigh the holes.  Either way it is named. */
    cr_assert(strstr(r.out, "Mostly allocator fragmentation") != NULL ||
              strstr(r.out, "Mostly allocator RSS overhead") != NULL, "%s", r.out);
    /* The run lasts 13 virtual minutes: the 30-minute warning cannot fire. */
    const char *warn = strstr(r.out, "redis_mem_fragmentation_ratio > 1.5 for 30m");
    cr_assert_not_null(warn, "%s", r.out);
    cr_assert(strncmp(strchr(warn, '\n') + 1, "           never fires: the condition held ", 42) == 0,
              "%s", warn);
    cr_assert(strstr(r.out, "activedefrag") != NULL);
    tu_result_free(&r);

    /* With a limit: the RSS rule and the OOM moment. */
    r = run((const char *[]){"doctor", "cmp/jemalloc", "--container-limit", "50mb", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "redis_memory_used_rss_bytes > 0.85 * container limit for 5m") != NULL);
    cr_assert(strstr(r.out, "OOM: container limit 50.0 MiB: RSS ") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "crossed it at") != NULL, "%s", r.out);
    tu_result_free(&r);
}

Test(cli_report, doctor_compares_the_runs_at_hand) {
    make_compare("jemalloc,mimalloc");
    tu_result r = run((const char *[]){"doctor", "cmp", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert_eq(count(r.out, "fragsim doctor: "), 2, "one report per allocator: %s", r.out);
    cr_assert_eq(count(r.out, "The runs at hand (2)"), 2);
    cr_assert(strstr(r.out, "Lowest mean RSS") != NULL || strstr(r.out, "lowest mean RSS") != NULL,
              "%s", r.out);
    tu_result_free(&r);
}

Test(cli_report, prometheus_export_parses_back_to_the_series) {
    make_compare("jemalloc");
    tu_result r = run((const char *[]){"export", "prometheus", "cmp/jemalloc", "--start",
                                       "1700000000", "-o", "run.prom", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    tu_csv s;
    cr_assert_eq(tu_csv_load(&s, tu_path(dir, "cmp/jemalloc/series.csv")), 0);
    char *text = tu_read_file(tu_path(dir, "run.prom"), NULL);
    cr_assert_not_null(text);
    size_t used = 0, types = 0;
    char *save;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# TYPE ", 7) == 0) types++;
        if (line[0] == '#') continue;
        /* name{labels} value timestamp_ms */
        char name[128];
        double value, ts;
        const char *brace = strchr(line, '{'), *close = strchr(line, '}');
        cr_assert(brace && close && (size_t)(brace - line) < sizeof name, "%s", line);
        memcpy(name, line, (size_t)(brace - line));
        name[brace - line] = '\0';
        cr_assert(strncmp(name, "redis_", 6) == 0, "%s", line);
        cr_assert(strstr(line, "job=\"fragsim\"") && strstr(line, "allocator=\"jemalloc\""), "%s", line);
        cr_assert_eq(sscanf(close + 1, "%lf %lf", &value, &ts), 2, "%s", line);
        if (strcmp(name, "redis_memory_used_bytes") == 0) {
            cr_assert(used < s.nrows);
            double t = tu_csv_get(&s, used, "virtual_time");
            cr_assert_float_eq(ts, (1700000000 + t) * 1000, 0.6, "%s", line);
            cr_assert_eq(value, tu_csv_get(&s, used, "used_memory"), "%s", line);
            used++;
        }
    }
    cr_assert_eq(used, s.nrows, "one used_memory sample per row of series.csv");
    cr_assert(types >= 15, "%zu metric families", types);
    free(text);
    tu_csv_free(&s);

    r = run((const char *[]){"export", "prometheus", "cmp", "--openmetrics", "--start", "0", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    size_t n = strlen(r.out);
    cr_assert(n > 6 && strcmp(r.out + n - 6, "# EOF\n") == 0, "OpenMetrics ends with # EOF");
    cr_assert(strstr(r.out, "# TYPE redis_expired_keys counter") != NULL);
    cr_assert(strstr(r.out, "\nredis_expired_keys_total{") != NULL);
    tu_result_free(&r);
}

Test(cli_report, bad_inputs_are_named_and_leave_nothing) {
    make_compare("jemalloc");
    cr_assert_eq(tu_write_file(tu_path(dir, "notes.txt"), "hello\n"), 0);
    cr_assert_eq(mkdir(tu_path(dir, "empty"), 0777), 0);
    /* A series.csv cut mid-row. */
    char *series = tu_read_file(tu_path(dir, "cmp/jemalloc/series.csv"), NULL);
    char *third = strchr(strchr(strchr(series, '\n') + 1, '\n') + 1, '\n');
    strcpy(third + 1, "390.000000,1,2\n");
    cr_assert_eq(tu_write_file(tu_path(dir, "cmp/jemalloc/series.csv"), series), 0);
    free(series);
    const char *const *cases[] = {
        (const char *[]){"report", "nosuch", "-o", "out.html", NULL},
        (const char *[]){"report", "empty", "-o", "out.html", NULL},
        (const char *[]){"report", "notes.txt", "-o", "out.html", NULL},
        (const char *[]){"report", "cmp", "-o", "out.html", NULL},
        (const char *[]){"doctor", "cmp/jemalloc", NULL},
        (const char *[]){"export", "prometheus", "nosuch", "-o", "out.prom", NULL},
        (const char *[]){"report", "-o", "out.html", NULL},
        (const char *[]){"doctor", "--container-limit", "lots", "cmp", NULL},
        (const char *[]){"export", "graphite", "cmp", NULL},
        (const char *[]){"report", "--pagemap", "empty", NULL},
    };
    const char *expect[] = {"nosuch: no such results directory", "is not a fragsim results directory",
                            "notes.txt: not a directory", "series.csv:4: 3 fields under a header",
                            "series.csv:4:", "nosuch: no such results directory",
                            "expected one or more results directories", "--container-limit 'lots'",
                            "expected the format 'prometheus'", "empty"};
    int code[] = {1, 1, 1, 1, 1, 1, 2, 2, 2, 1};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tu_result r = run(cases[i]);
        cr_assert_eq(r.exit_code, code[i], "case %zu: exit %d, %s", i, r.exit_code, r.err);
        cr_assert(strstr(r.err, expect[i]) != NULL, "case %zu: %s", i, r.err);
        tu_result_free(&r);
    }
    cr_assert(!tu_exists(tu_path(dir, "out.html")) && !tu_exists(tu_path(dir, "out.prom")));
}

Test(cli_report, help_for_each_command) {
    const char *cmds[] = {"report", "doctor", "export"};
    for (size_t i = 0; i < 3; i++) {
        tu_result r = run((const char *[]){cmds[i], "--help", NULL});
        cr_assert_eq(r.exit_code, 0);
        cr_assert(strncmp(r.out, "usage: fragsim ", 15) == 0, "%s", r.out);
        tu_result_free(&r);
    }
    tu_result r = run((const char *[]){"help", NULL});
    cr_assert(strstr(r.out, "  report") && strstr(r.out, "  doctor") && strstr(r.out, "  export"));
    tu_result_free(&r);
}

Test(cli_report, a_sweep_becomes_trade_off_plots_with_their_front) {
    tu_result r = run((const char *[]){"sweep", "--preset", "seed-blog", "--keys", "5000",
                                       "--grid",
                                       "jemalloc.dirty_decay_ms=0,10000,-1", "-o", "sw", "-q",
                                       "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    r = run((const char *[]){"report", "sw", "-o", "sw.html", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *html = tu_read_file(tu_path(dir, "sw.html"), NULL);
    cr_assert_not_null(html);
    /* Three trade-offs (CPU and purges against mean RSS, purges against
     * peak RSS), each with its front, and the points' RSS overlaid. */
    cr_assert_eq(count(html, ">Pareto front</text>"), 3, "%s", html);
    cr_assert_eq(count(html, "<svg"), 4);
    cr_assert(strstr(html, "Trade-off: mean RSS against CPU seconds of the run") != NULL);
    /* Points are labelled by number; the key table and the overlay's
     * legend name every grid value. */
    cr_assert(strstr(html, "<th>jemalloc.dirty_decay_ms</th>") != NULL, "the key table's axis");
    cr_assert(strstr(html, "<td>3</td><td>p0003</td><td>-1</td>") != NULL, "point 3 is -1");
    cr_assert(strstr(html, ">1: 0</text>") && strstr(html, ">2: 10000</text>") &&
              strstr(html, ">3: -1</text>"), "the legend names every grid value");
    cr_assert(strstr(html, "font-size=\"10\" fill=\"#333\">") != NULL, "numbered points");
    free(html);
    r = run((const char *[]){"doctor", "sw", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "The runs at hand (3)") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "p0001 jemalloc.dirty_decay_ms=0") != NULL, "%s", r.out);
    tu_result_free(&r);
}

/* A run holding sorted sets: its page says how many keys of each encoding
 * were left and their bytes, as summary.csv's keys_ and bytes_ columns say. */
Test(cli_report, the_keys_by_encoding_are_tabled) {
    tu_result r = run((const char *const[]){"run", "--preset", "leaderboard", "--keys", "300",
                                            "-o", "lb", "-q", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *csv = tu_read_file(tu_path(dir, "lb/summary.csv"), NULL);
    cr_assert_not_null(csv);
    cr_assert(strstr(csv, ",keys_zset_listpack,") != NULL && strstr(csv, ",bytes_list_quicklist") != NULL);
    free(csv);
    r = run((const char *const[]){"report", "lb", "-o", "lb.html", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *html = tu_read_file(tu_path(dir, "lb.html"), NULL);
    cr_assert_not_null(html);
    const char *t = strstr(html, "Keys by type and encoding at the end");
    cr_assert_not_null(t, "no encoding table");
    cr_assert(strstr(t, "<td>zset_listpack</td>") != NULL && strstr(t, "<td>zset_skiplist</td>") != NULL);
    cr_assert(strstr(t, "<td>list_quicklist</td>") == NULL || strstr(t, "<td>list_quicklist</td>") > strstr(t, "</table>"),
              "an encoding with no key is not listed");
    free(html);
}
