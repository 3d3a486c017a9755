/* The report's pictures, each one <svg> drawn with svg.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "report.h"

const char *const report_colours[10] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

#define PLOT_H 300

void report_escape(FILE *f, const char *s) { svg_escape(f, s); }

static double col_max(const rs_run *r, const char *name) {
    double lo = 0, hi = 0, *v = table_column(&r->series, name);
    int any = v && svg_extent(v, r->series.nrows, &lo, &hi);
    free(v);
    return any ? hi : NAN;
}

/* Extent of a ratio column's values above 0 (a log axis takes no 0). */
static int ratio_extent(const double *v, size_t n, double *lo, double *hi) {
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] > 0) || isinf(v[i])) continue;
        if (!any || v[i] < *lo) *lo = v[i];
        if (!any || v[i] > *hi) *hi = v[i];
        any = 1;
    }
    return any;
}

/* The container limit across an RSS chart, and where RSS first crossed it. */
static void limit_line(svg_plot *p, double limit) {
    char b[32], label[96];
    snprintf(label, sizeof label, "container limit %s", svg_format(limit, SVG_BYTES, b));
    svg_hline(p, limit, "#000", label);
}

void report_plot_memory(FILE *f, const rs_run *r, double limit) {
    static const char *const cols[] = {"used_memory", "allocator_active", "allocator_resident",
                                       "used_memory_rss"};
    static const int colour[] = {0, 2, 3, 1}, dash[] = {0, 0, 1, 0};
    double *t = table_column(&r->series, "virtual_time"), t0 = 0, t1 = 1, hi = 0;
    if (t == NULL) return;
    svg_extent(t, r->series.nrows, &t0, &t1);
    for (int k = 0; k < 4; k++) {
        double m = col_max(r, cols[k]);
        if (m > hi) hi = m;
    }
    if (limit > hi) hi = limit;
    svg_plot p;
    svg_begin(&p, f, REPORT_WIDTH, PLOT_H, "Memory over virtual time");
    svg_ranges(&p, t0, t1, SVG_PLAIN, 0, hi, SVG_BYTES, 1);
    svg_axes(&p, "virtual seconds", "bytes");
    for (int k = 0; k < 4; k++) {
        double *v = table_column(&r->series, cols[k]);
        if (v != NULL && svg_extent(v, r->series.nrows, &(double){0}, &(double){0}))
            svg_line(&p, t, v, r->series.nrows, report_colours[colour[k]], dash[k], cols[k]);
        free(v);
    }
    if (limit > 0) {
        limit_line(&p, limit);
        double *rss = table_column(&r->series, "used_memory_rss");
        size_t i = rss ? alerts_first_above(rss, r->series.nrows, limit) : r->series.nrows;
        if (i < r->series.nrows) svg_vline(&p, t[i], "#000", "OOM kill");
        free(rss);
    }
    svg_end(&p);
    free(t);
}

void report_plot_ratios(FILE *f, const rs_run *r) {
    static const char *const cols[] = {"mem_fragmentation_ratio", "allocator_frag_ratio",
                                       "allocator_rss_ratio"};
    static const int colour[] = {1, 2, 3};
    double *t = table_column(&r->series, "virtual_time"), t0 = 0, t1 = 1;
    if (t == NULL) return;
    svg_extent(t, r->series.nrows, &t0, &t1);
    /* A ratio over a nearly empty data set runs off to 30 or 500
     * (sample.h): on a log scale it stays in the picture, whole, and 1.5
     * and 2.0 stay apart. */
    double lo = 1, hi = 2.2;
    for (int k = 0; k < 3; k++) {
        double *v = table_column(&r->series, cols[k]), a = 0, b = 0;
        if (v && ratio_extent(v, r->series.nrows, &a, &b)) {
            if (a < lo) lo = a;
            if (b > hi) hi = b;
        }
        free(v);
    }
    svg_plot p;
    svg_begin(&p, f, REPORT_WIDTH, PLOT_H, "Fragmentation ratios over virtual time");
    svg_ranges_log(&p, t0, t1, lo, hi);
    svg_axes(&p, "virtual seconds", "ratio (log scale)");
    for (int k = 0; k < 3; k++) {
        double *v = table_column(&r->series, cols[k]);
        if (v == NULL) continue;
        if (svg_extent(v, r->series.nrows, &(double){0}, &(double){0}))
            svg_line(&p, t, v, r->series.nrows, report_colours[colour[k]], 0, cols[k]);
        free(v);
    }
    svg_hline_below(&p, 1.5, "#e69500", "1.5: warning if held 30m");
    svg_hline(&p, 2.0, "#b00000", "2.0: critical if held 10m");
    double *mf = table_column(&r->series, "mem_fragmentation_ratio");
    alert_rule rules[3];
    size_t nr = alerts_seed(0, rules);
    for (size_t k = 0; mf && k < nr; k++) {
        alert_result res;
        alerts_eval(t, mf, r->series.nrows, rules[k].threshold, rules[k].for_s, &res);
        char label[96];
        snprintf(label, sizeof label, "%s fires", rules[k].severity);
        if (!isnan(res.first_fired)) svg_vline(&p, res.first_fired, k ? "#b00000" : "#e69500", label);
    }
    free(mf);
    svg_end(&p);
    free(t);
}

void report_plot_overlay(FILE *f, rs_run *const *runs, size_t n, const char *column,
                         const char *title, svg_unit unit, int ratio_lines, double limit,
                         const char *const *names) {
    double t0 = 0, t1 = 1, y0 = ratio_lines ? 1 : 0, y1 = ratio_lines ? 2.2 : 1;
    int any_t = 0, any_y = ratio_lines;
    for (size_t i = 0; i < n; i++) {
        double lo, hi, *t = table_column(&runs[i]->series, "virtual_time");
        if (t && svg_extent(t, runs[i]->series.nrows, &lo, &hi)) {
            t0 = any_t && t0 < lo ? t0 : lo;
            t1 = any_t && t1 > hi ? t1 : hi;
            any_t = 1;
        }
        free(t);
        double *v = table_column(&runs[i]->series, column);
        int ok = v && (ratio_lines ? ratio_extent(v, runs[i]->series.nrows, &lo, &hi)
                                   : svg_extent(v, runs[i]->series.nrows, &lo, &hi));
        free(v);
        if (!ok) continue;
        y0 = any_y && y0 < lo ? y0 : lo;
        y1 = any_y && y1 > hi ? y1 : hi;
        any_y = 1;
    }
    if (limit > y1) y1 = limit;
    svg_plot p;
    svg_begin(&p, f, REPORT_WIDTH, PLOT_H, title);
    /* Ratios on a log scale: a run near empty at the end reaches 30 or
     * 500, and every line is drawn whole. */
    if (ratio_lines) svg_ranges_log(&p, t0, t1, y0, y1);
    else svg_ranges(&p, t0, t1, SVG_PLAIN, y0, y1, unit, 1);
    char ylabel[128];
    snprintf(ylabel, sizeof ylabel, "%s%s", column, ratio_lines ? " (log scale)" : "");
    svg_axes(&p, "virtual seconds", ylabel);
    for (size_t i = 0; i < n; i++) {
        double *t = table_column(&runs[i]->series, "virtual_time");
        double *v = table_column(&runs[i]->series, column);
        if (t && v)
            svg_line(&p, t, v, runs[i]->series.nrows, report_colours[i % 10], i >= 10,
                     names ? names[i] : runs[i]->label);
        free(t);
        free(v);
    }
    if (ratio_lines) {
        svg_hline_below(&p, 1.5, "#e69500", "1.5");
        svg_hline(&p, 2.0, "#b00000", "2.0");
    }
    if (limit > 0) limit_line(&p, limit);
    svg_end(&p);
}

int report_plot_defrag(FILE *f, const rs_run *r) {
    static const char *const cols[] = {"active_defrag_running", "active_defrag_hits",
                                       "active_defrag_misses"};
    int present[3], any = 0;
    for (int k = 0; k < 3; k++) any |= present[k] = table_col(&r->series, cols[k]) >= 0;
    if (!any) return 0;
    /* Columns of zeros: activedefrag was off, or never started. */
    double top = 0;
    for (int k = 0; k < 3; k++)
        if (present[k] && col_max(r, cols[k]) > top) top = col_max(r, cols[k]);
    if (!(top > 0)) return 0;
    double *t = table_column(&r->series, "virtual_time"), t0 = 0, t1 = 1, hi = 1;
    svg_extent(t, r->series.nrows, &t0, &t1);
    /* The effort is a percentage (active_defrag_running, Redis's CPU
     * share for defrag), the hits and misses counts up to millions: the
     * effort gets an axis of its own on the right. */
    for (int k = 1; k < 3; k++) {
        double m = present[k] ? col_max(r, cols[k]) : NAN;
        if (m > hi) hi = m;
    }
    double effort = present[0] ? col_max(r, cols[0]) : NAN;
    svg_plot p;
    svg_begin(&p, f, REPORT_WIDTH, PLOT_H, "Active defrag: effort and hits over virtual time");
    svg_ranges(&p, t0, t1, SVG_PLAIN, 0, hi, SVG_PLAIN, 1);
    if (present[0]) svg_ranges_y2(&p, effort > 0 ? effort * 1.1 : 1, "effort (% of CPU)");
    svg_axes(&p, "virtual seconds", "hits and misses (count, cumulative)");
    for (int k = 0; k < 3; k++) {
        if (!present[k]) continue;
        double *v = table_column(&r->series, cols[k]);
        if (v && k == 0) svg_line_y2(&p, t, v, r->series.nrows, report_colours[k + 4], 0, cols[k]);
        else if (v) svg_line(&p, t, v, r->series.nrows, report_colours[k + 4], 0, cols[k]);
        free(v);
    }
    svg_end(&p);
    free(t);
    return 1;
}

size_t report_pareto(const double *x, const double *y, size_t n, size_t *front) {
    size_t nf = 0;
    /* Quadratic, and grids have at most a few thousand points. */
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i])) continue;
        int dominated = 0;
        for (size_t j = 0; j < n && !dominated; j++)
            dominated = j != i && !isnan(x[j]) && !isnan(y[j]) && x[j] <= x[i] && y[j] <= y[i] &&
                        (x[j] < x[i] || y[j] < y[i]);
        if (!dominated) front[nf++] = i;
    }
    for (size_t i = 1; i < nf; i++)
        for (size_t j = i; j > 0 && x[front[j]] < x[front[j - 1]]; j--) {
            size_t s = front[j];
            front[j] = front[j - 1];
            front[j - 1] = s;
        }
    return nf;
}

const char *report_sweep_name(const rs_group *g, size_t row, char *buf, size_t n) {
    const table *t = &g->rows;
    int k = snprintf(buf, n, "%zu:", row + 1);
    for (int a = 1; a <= g->naxes && k >= 0 && (size_t)k < n; a++)
        k += snprintf(buf + k, n - (size_t)k, "%s%s", a > 1 ? ", " : " ", table_str(t, row, a));
    return buf;
}

int report_plot_tradeoff(FILE *f, const rs_group *g, const char *xcol, const char *xlabel,
                         svg_unit xunit, const char *ycol, const char *ylabel, double limit) {
    const table *t = &g->rows;
    int cx = table_col(t, xcol), cy = table_col(t, ycol);
    if (cx < 0 || cy < 0 || t->nrows == 0) return 0;
    size_t n = t->nrows;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    char **labels = calloc(n, sizeof *labels), **titles = calloc(n, sizeof *titles);
    size_t *front = malloc(n * sizeof *front), nf = 0;
    if (!x || !y || !labels || !titles || !front) goto out;
    for (size_t i = 0; i < n; i++) {
        x[i] = table_num(t, i, cx);
        y[i] = table_num(t, i, cy);
        /* The label is the point's number; its grid values are in the key
         * table below the plots and in the tooltip. */
        char buf[512];
        snprintf(buf, sizeof buf, "%zu", i + 1);
        labels[i] = strdup(buf);
        titles[i] = strdup(report_sweep_name(g, i, buf, sizeof buf));
    }
    nf = report_pareto(x, y, n, front);
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    svg_extent(x, n, &x0, &x1);
    svg_extent(y, n, &y0, &y1);
    /* The container limit stretches the axis only when it is near the
     * points: a limit far above them would flatten their differences into
     * one row along the bottom.  Otherwise a note under the chart says
     * where it is. */
    int limit_drawn = limit > 0 && limit <= y1 + (y1 - y0 > 0.1 * y1 ? y1 - y0 : 0.1 * y1) &&
                      limit >= y0 - (y1 - y0);
    if (limit_drawn && limit > y1) y1 = limit;
    if (limit_drawn && limit < y0) y0 = limit;
    char title[256];
    snprintf(title, sizeof title, "Trade-off: %s against %s", ylabel, xlabel);
    svg_plot p;
    svg_begin(&p, f, REPORT_WIDTH, 380, title);
    svg_ranges(&p, x0, x1, xunit, y0, y1, SVG_BYTES, 0);
    svg_axes(&p, xlabel, ylabel);
    double *fx = malloc((nf ? nf : 1) * sizeof *fx), *fy = malloc((nf ? nf : 1) * sizeof *fy);
    if (fx && fy) {
        for (size_t i = 0; i < nf; i++) fx[i] = x[front[i]], fy[i] = y[front[i]];
        svg_line(&p, fx, fy, nf, report_colours[1], 1, "Pareto front");
    }
    size_t left_out = svg_scatter_keyed(&p, x, y, n, report_colours[0], (const char *const *)labels,
                                        (const char *const *)titles, "grid point, by number");
    /* The front's points over the others, in their colour. */
    if (fx && fy) svg_scatter(&p, fx, fy, nf, report_colours[1], NULL, "on the front");
    if (limit_drawn) limit_line(&p, limit);
    svg_end(&p);
    if (limit > 0 && !limit_drawn) {
        char b[32], c[32];
        fprintf(f, "<p class=\"note\">container limit %s: %s every point (%s %s), so not "
                   "drawn to scale here.</p>\n", svg_format(limit, SVG_BYTES, b),
                limit > y1 ? "above" : "below", limit > y1 ? "highest" : "lowest",
                svg_format(limit > y1 ? y1 : y0, SVG_BYTES, c));
    }
    if (left_out > 0)
        fprintf(f, "<p class=\"note\">%zu point%s left unnumbered here for want of room: the "
                   "table below has every point.</p>\n", left_out, left_out == 1 ? "" : "s");
    free(fx);
    free(fy);
out:
    for (size_t i = 0; labels && i < n; i++) free(labels[i]);
    for (size_t i = 0; titles && i < n; i++) free(titles[i]);
    free(labels);
    free(titles);
    free(x);
    free(y);
    free(front);
    return 1;
}

void report_sweep_key(FILE *f, const rs_group *g) {
    static const char *const cols[] = {"mean_used_memory_rss", "peak_used_memory_rss",
                                       "cpu_time", "final_allocator_nmadvise"};
    static const char *const heads[] = {"mean RSS", "peak RSS", "CPU s", "madvise calls"};
    const table *t = &g->rows;
    fputs("<table class=\"bins\"><tr><th>#</th><th>id</th>", f);
    for (int a = 1; a <= g->naxes; a++) {
        fputs("<th>", f);
        report_escape(f, t->names[a]);
        fputs("</th>", f);
    }
    for (int k = 0; k < 4; k++)
        if (table_col(t, cols[k]) >= 0) fprintf(f, "<th>%s</th>", heads[k]);
    fputs("</tr>\n", f);
    char b[32];
    for (size_t i = 0; i < t->nrows; i++) {
        fprintf(f, "<tr><td>%zu</td><td>", i + 1);
        report_escape(f, table_str(t, i, 0));
        fputs("</td>", f);
        for (int a = 1; a <= g->naxes; a++) {
            fputs("<td>", f);
            report_escape(f, table_str(t, i, a));
            fputs("</td>", f);
        }
        for (int k = 0; k < 4; k++) {
            int c = table_col(t, cols[k]);
            if (c < 0) continue;
            double v = table_num(t, i, c);
            if (k < 2) fprintf(f, "<td>%s</td>", svg_format(v, SVG_BYTES, b));
            else if (isnan(v)) fputs("<td>-</td>", f);
            else fprintf(f, k == 2 ? "<td>%.2f</td>" : "<td>%.0f</td>", v);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* One bar cell: the bar from the cell's left edge, then the figure. */
static void bar_cell(FILE *f, double v, double max, double change, int show_change) {
    char a[32];
    fprintf(f, "<td style=\"text-align:left;white-space:nowrap\"><span class=\"bar\" "
               "style=\"width:160px\"><span style=\"width:%.1f%%\"></span></span> %s",
            max > 0 ? 100 * v / max : 0, svg_format(v, SVG_BYTES, a));
    if (show_change && !isnan(change)) fprintf(f, " (%+.1f%%)", change);
    fputs("</td>", f);
}

int report_whatif_bars(FILE *f, const rs_group *g, double limit) {
    const table *t = &g->rows;
    static const char *const cols[] = {"rss_peak", "rss_mean", "rss_final"};
    static const char *const deltas[] = {"rss_peak_change_pct", "rss_mean_change_pct",
                                         "rss_final_change_pct"};
    int cr = table_col(t, "remedy"), csh = table_col(t, "shard"), cv[3], cd[3];
    double max[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        cv[k] = table_col(t, cols[k]);
        cd[k] = table_col(t, deltas[k]);
        if (cv[k] < 0 || cd[k] < 0) return 0;
    }
    if (cr < 0 || csh < 0) return 0;
    for (size_t i = 0; i < t->nrows; i++)
        for (int k = 0; k < 3; k++)
            if (strcmp(table_str(t, i, csh), "total") == 0 && table_num(t, i, cv[k]) > max[k])
                max[k] = table_num(t, i, cv[k]);
    for (int k = 0; limit > 0 && k < 3; k++)
        if (limit > max[k]) max[k] = limit;
    fputs("<table class=\"bins\"><tr><th>remedy</th><th>peak RSS</th><th>mean RSS</th>"
          "<th>final RSS</th></tr>\n", f);
    for (size_t i = 0; i < t->nrows; i++) {
        if (strcmp(table_str(t, i, csh), "total") != 0) continue;
        fputs("<tr><td style=\"text-align:left\">", f);
        report_escape(f, table_str(t, i, cr));
        fputs("</td>", f);
        for (int k = 0; k < 3; k++) {
            double v = table_num(t, i, cv[k]), d = table_num(t, i, cd[k]);
            if (isnan(v)) {
                fputs("<td>-</td>", f);
                continue;
            }
            bar_cell(f, v, max[k], d, i > 0);
        }
        fputs("</tr>\n", f);
    }
    if (limit > 0) {
        fputs("<tr class=\"total\"><td style=\"text-align:left\">container limit</td>", f);
        for (int k = 0; k < 3; k++) bar_cell(f, limit, max[k], NAN, 0);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    return 1;
}

int report_bins_table(FILE *f, const char *path, fs_err *err) {
    table t;
    if (table_load(&t, path, err) != 0) {
        table_free(&t);
        return -1;
    }
    int cs = table_col(&t, "size"), cl = table_col(&t, "curslabs"), cr = table_col(&t, "curregs");
    int cn = table_col(&t, "regions"), cw = table_col(&t, "wasted_bytes");
    if (cs < 0 || cl < 0 || cr < 0 || cn < 0 || cw < 0) {
        table_free(&t);
        return fs_errf(err, "%s: not a fragsim size-class table", path);
    }
    char a[32];
    double used = 0, regions = 0, wasted = 0;
    fputs("<table class=\"bins\"><tr><th>size</th><th>slabs</th><th>regions used / in slabs</th>"
          "<th>utilization</th><th>bytes wasted</th></tr>\n", f);
    for (size_t i = 0; i < t.nrows; i++) {
        double slabs = table_num(&t, i, cl), u = table_num(&t, i, cr), n = table_num(&t, i, cn);
        if (!(slabs > 0)) continue;
        double share = n > 0 ? u / n : 0, w = table_num(&t, i, cw);
        used += u, regions += n, wasted += w;
        fprintf(f, "<tr><td>%.0f B</td><td>%.0f</td><td>%.0f / %.0f</td><td><span class=\"bar\">"
                   "<span style=\"width:%.0f%%\"></span></span> %.1f%%</td><td>%s</td></tr>\n",
                table_num(&t, i, cs), slabs, u, n, 100 * share, 100 * share,
                svg_format(w, SVG_BYTES, a));
    }
    fprintf(f, "<tr class=\"total\"><td>all bins</td><td></td><td>%.0f / %.0f</td><td>%.1f%%</td>"
               "<td>%s</td></tr></table>\n", used, regions, regions > 0 ? 100 * used / regions : 0,
            svg_format(wasted, SVG_BYTES, a));
    table_free(&t);
    return 0;
}
