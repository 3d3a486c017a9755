/* The SVG writer: well-formed output, round tick ranges, gaps at NANs,
 * escaping, lines outside the range left out, and the same bytes twice. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/svg.h"

static size_t count(const char *s, const char *needle) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++) n++;
    return n;
}

/* A chart drawn into a string (malloc'd). */
static char *chart(const double *x, const double *y, size_t n) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    svg_plot p;
    svg_begin(&p, f, 600, 300, "memory <over> time & more");
    svg_ranges(&p, 0, 780, SVG_PLAIN, 0, 955011072, SVG_BYTES, 1);
    svg_axes(&p, "virtual seconds", "bytes");
    svg_line(&p, x, y, n, "#d62728", 0, "used_memory_rss");
    svg_hline(&p, 800.0 * 1024 * 1024, "#000", "limit");
    svg_hline(&p, 5e12, "#000", "far above the range");
    svg_vline(&p, 300, "#000", "OOM kill");
    svg_end(&p);
    fclose(f);
    return buf;
}

Test(svg, a_chart_is_well_formed_and_deterministic) {
    double x[6] = {0, 100, 200, 300, 400, 500}, y[6] = {1e8, 5e8, NAN, 9e8, 7e8, 2e8};
    char *a = chart(x, y, 6), *b = chart(x, y, 6);
    cr_assert_str_eq(a, b, "the same data give the same bytes");
    cr_assert_eq(count(a, "<svg"), 1);
    cr_assert_eq(count(a, "</svg>"), 1);
    cr_assert(strstr(a, "memory &lt;over&gt; time &amp; more") != NULL, "the title is escaped");
    /* The NAN splits the line: two "M" moves in its path. */
    const char *path = strstr(a, "<path");
    cr_assert_not_null(path);
    const char *end = strstr(path, "/>");
    size_t moves = 0;
    for (const char *p = path; p < end; p++) moves += *p == 'M';
    cr_assert_eq(moves, 2, "a gap at the NAN");
    cr_assert(strstr(a, ">limit</text>") != NULL);
    cr_assert(strstr(a, "far above the range") == NULL, "a line outside the range is left out");
    cr_assert(strstr(a, "(MiB)") != NULL, "bytes are labelled in MiB at this size");
    cr_assert(strstr(a, ">used_memory_rss</text>") != NULL, "the legend names the line");
    free(a);
    free(b);
}

Test(svg, ranges_round_out_to_whole_ticks) {
    svg_plot p;
    FILE *f = fopen("/dev/null", "w");
    svg_begin(&p, f, 600, 300, "t");
    svg_ranges(&p, 0, 779.9991, SVG_PLAIN, 1.02, 2.61, SVG_PLAIN, 0);
    cr_assert_float_eq(p.x0, 0, 1e-9);
    cr_assert_float_eq(p.x1, 800, 1e-9, "%f", p.x1);
    cr_assert_float_eq(p.xstep, 200, 1e-9, "%f", p.xstep);
    cr_assert(p.y0 <= 1.02 && p.y1 >= 2.61);
    cr_assert_float_eq(fmod(p.y1 / p.ystep + 1e-9, 1), 0, 1e-6, "y1 is a whole tick");
    svg_end(&p);
    fclose(f);
}

Test(svg, long_series_are_thinned_but_keep_their_peak) {
    size_t n = 100000;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) x[i] = (double)i * 780.0 / (double)n, y[i] = 1e8;
    y[54321] = 9e8; /* one spike */
    char *s = chart(x, y, n);
    const char *path = strstr(s, "<path");
    size_t vertices = 0;
    for (const char *p = path; *p && *p != '/'; p++) vertices += *p == 'L' || *p == 'M';
    cr_assert(vertices <= 4000, "%zu vertices", vertices);
    /* The spike's y: 9e8 bytes on a 0..~910 MiB axis lands near the top. */
    double top = 1e9;
    for (const char *p = path; (p = strpbrk(p, "ML")) != NULL && p < strstr(path, "/>"); p++) {
        double px, py;
        if (sscanf(p + 1, "%lf %lf", &px, &py) == 2 && py < top) top = py;
    }
    cr_assert(top < 100, "the spike survives thinning (highest point at y=%.1f; the flat line is near 230)", top);
    free(s);
    free(x);
    free(y);
}

Test(svg, formats_bytes_and_extents) {
    char b[32];
    cr_assert_str_eq(svg_format(1536, SVG_BYTES, b), "1.5 KiB");
    cr_assert_str_eq(svg_format(512, SVG_BYTES, b), "512 B");
    cr_assert_str_eq(svg_format(NAN, SVG_BYTES, b), "-");
    double v[4] = {NAN, 3, -1, NAN}, lo, hi;
    cr_assert_eq(svg_extent(v, 4, &lo, &hi), 1);
    cr_assert_float_eq(lo, -1, 0);
    cr_assert_float_eq(hi, 3, 0);
    cr_assert_eq(svg_extent(v, 1, &lo, &hi), 0, "only NANs: no extent");
}

/* A picture drawn by fn into a string (malloc'd). */
/* Not inlined: GCC then sees open_memstream's buffer as a local. */
__attribute__((noinline)) static char *draw(void (*fn)(svg_plot *p, FILE *f)) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    svg_plot p;
    fn(&p, f);
    svg_end(&p);
    fclose(f);
    return buf;
}

/* Ratios from 1 to 500: on a log scale every point is inside the plot and
 * the path never leaves it. */
static void log_ratios(svg_plot *p, FILE *f) {
    double x[5] = {0, 10, 20, 30, 40}, y[5] = {1.02, 1.4, 2.5, 40, 500};
    svg_begin(p, f, 600, 300, "ratios");
    svg_ranges_log(p, 0, 40, 1.02, 500);
    svg_axes(p, "virtual seconds", "ratio (log scale)");
    svg_line(p, x, y, 5, "#d62728", 0, "mem_fragmentation_ratio");
    svg_hline(p, 2.0, "#b00000", "2.0");
    svg_hline_below(p, 1.5, "#e69500", "1.5");
}

Test(svg, a_log_scale_keeps_every_ratio_and_the_seed_lines) {
    char *a = draw(log_ratios);
    svg_plot p;
    FILE *f = fopen("/dev/null", "w");
    svg_begin(&p, f, 600, 300, "t");
    svg_ranges_log(&p, 0, 40, 1.02, 500);
    cr_assert(p.y0 <= 1.02 && p.y0 > 0.5, "from %g", p.y0);
    cr_assert(p.y1 >= 500 && p.y1 <= 1000, "to %g", p.y1);
    fclose(f);
    const char *path = strstr(a, "<path"), *end = strstr(path, "/>");
    size_t moves = 0, lines = 0;
    for (const char *q = path; q < end; q++) moves += *q == 'M', lines += *q == 'L';
    cr_assert_eq(moves, 1, "one stroke: no point left out");
    cr_assert_eq(lines, 4, "all five points drawn");
    /* Every vertex lies inside the plot area (y from top 34 to bottom 254). */
    for (const char *q = path; (q = strpbrk(q, "ML")) != NULL && q < end; q++) {
        double vx, vy;
        cr_assert_eq(sscanf(q + 1, "%lf %lf", &vx, &vy), 2);
        cr_assert(vy >= 34 - 0.1 && vy <= 254 + 0.1, "vertex at y %g", vy);
    }
    cr_assert(strstr(a, ">1.5</text>") && strstr(a, ">2.0</text>") && strstr(a, ">100</text>"));
    free(a);
}

/* Hits in the millions and an effort of 25 %: the effort on its own axis. */
static void two_axes(svg_plot *p, FILE *f) {
    double x[3] = {0, 10, 20}, hits[3] = {0, 1e6, 2e6}, effort[3] = {0, 25, 10};
    svg_begin(p, f, 660, 300, "defrag");
    svg_ranges(p, 0, 20, SVG_PLAIN, 0, 2e6, SVG_PLAIN, 1);
    svg_ranges_y2(p, 25, "effort (% of CPU)");
    svg_axes(p, "virtual seconds", "count");
    svg_line(p, x, hits, 3, "#111", 0, "active_defrag_hits");
    svg_line_y2(p, x, effort, 3, "#222", 0, "active_defrag_running");
}

Test(svg, a_second_axis_draws_the_effort_at_its_own_scale) {
    char *a = draw(two_axes);
    cr_assert(strstr(a, "effort (% of CPU)") != NULL, "the right axis is titled");
    cr_assert(strstr(a, ">25</text>") != NULL, "a tick at 25 on the right axis");
    cr_assert(strstr(a, ">(right axis)</text>") != NULL || strstr(a, "(right axis)") != NULL);
    /* The effort's peak (25 of 25) is drawn at the top of the plot, not flat at 0. */
    const char *path = strstr(a, "stroke=\"#222\"");
    cr_assert_not_null(path);
    const char *d = strstr(path, "d=\"");
    double x0, y0, x1, y1;
    cr_assert_eq(sscanf(d + 3, "M%lf %lf L%lf %lf", &x0, &y0, &x1, &y1), 4);
    cr_assert(y0 - y1 > 150, "the effort rises %g px", y0 - y1);
    free(a);
}

/* Points crowded on and around one spot: labels never overlap. */
static void crowded(svg_plot *p, FILE *f) {
    double x[12], y[12];
    static const char *const labels[12] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
                                           "11", "12"};
    for (int i = 0; i < 12; i++) x[i] = 100 + (i % 4) * 3, y[i] = 50 + (i / 4) * 2;
    x[11] = x[10], y[11] = y[10]; /* two on one spot */
    svg_begin(p, f, 660, 380, "crowded");
    svg_ranges(p, 0, 200, SVG_PLAIN, 0, 100, SVG_PLAIN, 1);
    svg_axes(p, "x", "y");
    svg_scatter_keyed(p, x, y, 12, "#111", labels, NULL, "grid point");
}

Test(svg, point_labels_never_overlap) {
    char *a = draw(crowded);
    double bx[64][4];
    size_t nb = 0;
    for (const char *q = a; (q = strstr(q, "<text x=\"")) != NULL; q++) {
        double tx, ty;
        char label[64];
        if (sscanf(q, "<text x=\"%lf\" y=\"%lf\" font-size=\"10\" fill=\"#333\">%63[^<]", &tx, &ty,
                   label) != 3)
            continue;
        cr_assert(nb < 64);
        /* the writer's own estimate: 6 px a character, 12 px high */
        bx[nb][0] = tx, bx[nb][1] = ty - 10, bx[nb][2] = tx + 6.0 * (double)strlen(label),
        bx[nb][3] = ty;
        nb++;
    }
    cr_assert(nb >= 3, "%zu labels placed", nb);
    for (size_t i = 0; i < nb; i++)
        for (size_t j = i + 1; j < nb; j++)
            cr_assert(bx[i][0] >= bx[j][2] || bx[j][0] >= bx[i][2] || bx[i][1] >= bx[j][3] ||
                          bx[j][1] >= bx[i][3],
                      "labels %zu and %zu overlap", i, j);
    cr_assert(strstr(a, ">12</text>") == NULL, "two points on one spot share a label");
    free(a);
}

/* A long legend name wraps; no value is cut away. */
static void long_legend(svg_plot *p, FILE *f) {
    double x[2] = {0, 1}, y[2] = {1, 2};
    svg_begin(p, f, 660, 300, "legend");
    svg_ranges(p, 0, 1, SVG_PLAIN, 0, 2, SVG_PLAIN, 1);
    svg_axes(p, "x", "y");
    svg_line(p, x, y, 2, "#111", 0, "7: jemalloc.dirty_decay_ms=10000, jemalloc.muzzy_decay_ms=5000");
}

Test(svg, a_long_legend_wraps_and_keeps_every_value) {
    char *a = draw(long_legend);
    cr_assert(strstr(a, "10000") != NULL && strstr(a, "5000</text>") != NULL, "%s", a);
    cr_assert(strstr(a, "...") == NULL, "nothing cut");
    free(a);
}

/* Counts up to 300,000 on the y axis: their tick labels carry a suffix, so
 * they stay clear of the turned axis title (a six-digit label ran into it). */
static void big_counts(svg_plot *p, FILE *f) {
    svg_begin(p, f, 660, 380, "counts");
    svg_ranges(p, 0, 10, SVG_PLAIN, 0, 300000, SVG_PLAIN, 1);
    svg_axes(p, "seconds", "hits and misses (count, cumulative)");
}

Test(svg, large_count_ticks_are_short) {
    char *a = draw(big_counts);
    cr_assert(strstr(a, ">300k</text>") != NULL, "the top tick reads 300k");
    cr_assert(strstr(a, ">300000</text>") == NULL);
    cr_assert(strstr(a, ">10</text>") != NULL, "small x ticks unchanged");
    free(a);
}
