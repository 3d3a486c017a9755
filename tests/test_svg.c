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
