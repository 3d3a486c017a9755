/* The report's pictures, each one <svg> drawn with svg.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "report.h"

const char *const report_colours[10] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

#define PLOT_H 300
/* Ratios above this are drawn at the top edge: the seed's lines at 1.5 and
 * 2.0 must stay readable. */
#define RATIO_TOP 5.0

void report_escape(FILE *f, const char *s) { svg_escape(f, s); }

static double col_max(const rs_run *r, const char *name) {
    double lo = 0, hi = 0, *v = table_column(&r->series, name);
    int any = v && svg_extent(v, r->series.nrows, &lo, &hi);
    free(v);
    return any ? hi : NAN;
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
        char b[32], label[96];
        snprintf(label, sizeof label, "container limit %s", svg_format(limit, SVG_BYTES, b));
        svg_hline(&p, limit, "#000", label);
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
    /* A ratio over a nearly empty data set runs off to 30 or 500 and says
     * nothing (sample.h): the range stops a little above the peaks taken
     * while used_memory was at least 10% of its peak, and higher values
     * are drawn at the top edge. */
    double top = 2.2;
    for (int k = 0; k < 3; k++) {
        char name[64];
        snprintf(name, sizeof name, "peak_%s", cols[k]);
        double pk = result_row_get(&r->summary, name);
        if (!isnan(pk) && pk * 1.1 > top) top = pk * 1.1;
    }
    if (top > RATIO_TOP) top = RATIO_TOP;
    svg_plot p;
    svg_begin(&p, f, REPORT_WIDTH, PLOT_H, "Fragmentation ratios over virtual time");
    svg_ranges(&p, t0, t1, SVG_PLAIN, 1, top, SVG_PLAIN, 0);
    svg_axes(&p, "virtual seconds", "ratio (higher values drawn at the top)");
    for (int k = 0; k < 3; k++) {
        double *v = table_column(&r->series, cols[k]);
        if (v == NULL) continue;
        for (size_t i = 0; i < r->series.nrows; i++)
            if (v[i] > p.y1) v[i] = p.y1;
        if (svg_extent(v, r->series.nrows, &(double){0}, &(double){0}))
            svg_line(&p, t, v, r->series.nrows, report_colours[colour[k]], 0, cols[k]);
        free(v);
    }
    svg_hline(&p, 1.5, "#e69500", "1.5: warning if held 30m");
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
                         const char *title, svg_unit unit, int ratio_lines) {
    double t0 = 0, t1 = 1, y0 = 0, y1 = 1;
    int any_t = 0, any_y = 0;
    for (size_t i = 0; i < n; i++) {
        double lo, hi, *t = table_column(&runs[i]->series, "virtual_time");
        if (t && svg_extent(t, runs[i]->series.nrows, &lo, &hi)) {
            t0 = any_t && t0 < lo ? t0 : lo;
            t1 = any_t && t1 > hi ? t1 : hi;
            any_t = 1;
        }
        free(t);
        if (ratio_lines) {
            char name[96];
            snprintf(name, sizeof name, "peak_%s", column);
            hi = result_row_get(&runs[i]->summary, name) * 1.1;
            lo = 1;
            if (isnan(hi)) continue;
        } else {
            double *v = table_column(&runs[i]->series, column);
            int ok = v && svg_extent(v, runs[i]->series.nrows, &lo, &hi);
            free(v);
            if (!ok) continue;
        }
        y0 = any_y && y0 < lo ? y0 : lo;
        y1 = any_y && y1 > hi ? y1 : hi;
        any_y = 1;
    }
    if (ratio_lines && y1 < 2.2) y1 = 2.2;
    if (ratio_lines && y1 > RATIO_TOP) y1 = RATIO_TOP;
    svg_plot p;
    svg_begin(&p, f, REPORT_WIDTH, PLOT_H, title);
    svg_ranges(&p, t0, t1, SVG_PLAIN, ratio_lines ? 1 : y0, y1, unit, !ratio_lines);
    svg_axes(&p, "virtual seconds", column);
    for (size_t i = 0; i < n; i++) {
        double *t = table_column(&runs[i]->series, "virtual_time");
        double *v = table_column(&runs[i]->series, column);
        if (t && v) {
            for (size_t k = 0; ratio_lines && k < runs[i]->series.nrows; k++)
                if (v[k] > p.y1) v[k] = p.y1;
            svg_line(&p, t, v, runs[i]->series.nrows, report_colours[i % 10], i >= 10, runs[i]->label);
        }
        free(t);
        free(v);
    }
    if (ratio_lines) {
        svg_hline(&p, 1.5, "#e69500", "1.5");
        svg_hline(&p, 2.0, "#b00000", "2.0");
    }
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
    for (int k = 0; k < 3; k++) {
        double m = present[k] ? col_max(r, cols[k]) : NAN;
        if (m > hi) hi = m;
    }
    svg_plot p;
    svg_begin(&p, f, REPORT_WIDTH, PLOT_H, "Active defrag: effort and hits over virtual time");
    svg_ranges(&p, t0, t1, SVG_PLAIN, 0, hi, SVG_PLAIN, 1);
    svg_axes(&p, "virtual seconds", "count");
    for (int k = 0; k < 3; k++) {
        if (!present[k]) continue;
        double *v = table_column(&r->series, cols[k]);
        if (v) svg_line(&p, t, v, r->series.nrows, report_colours[k + 4], 0, cols[k]);
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

int report_plot_tradeoff(FILE *f, const rs_group *g, const char *xcol, const char *xlabel,
                         svg_unit xunit, const char *ycol, const char *ylabel) {
    const table *t = &g->rows;
    int cx = table_col(t, xcol), cy = table_col(t, ycol);
    if (cx < 0 || cy < 0 || t->nrows == 0) return 0;
    size_t n = t->nrows;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    char **labels = calloc(n, sizeof *labels);
    size_t *front = malloc(n * sizeof *front), nf = 0;
    if (!x || !y || !labels || !front) goto out;
    for (size_t i = 0; i < n; i++) {
        x[i] = table_num(t, i, cx);
        y[i] = table_num(t, i, cy);
        char buf[512];
        int k = 0;
        for (int a = 1; a <= g->naxes && k >= 0 && (size_t)k < sizeof buf; a++)
            k += snprintf(buf + k, sizeof buf - (size_t)k, "%s%s", a > 1 ? " " : "",
                          table_str(t, i, a));
        labels[i] = strdup(g->naxes ? buf : table_str(t, i, 0));
    }
    nf = report_pareto(x, y, n, front);
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    svg_extent(x, n, &x0, &x1);
    svg_extent(y, n, &y0, &y1);
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
    svg_scatter(&p, x, y, n, report_colours[0], (const char *const *)labels, "grid point");
    if (fx && fy) svg_scatter(&p, fx, fy, nf, report_colours[1], NULL, "on the front");
    svg_end(&p);
    free(fx);
    free(fy);
out:
    for (size_t i = 0; labels && i < n; i++) free(labels[i]);
    free(labels);
    free(x);
    free(y);
    free(front);
    return 1;
}

int report_whatif_bars(FILE *f, const rs_group *g) {
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
    char a[32];
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
            fprintf(f, "<td><span class=\"bar\" style=\"width:160px\"><span style=\"width:%.1f%%\">"
                       "</span></span> %s", max[k] > 0 ? 100 * v / max[k] : 0,
                    svg_format(v, SVG_BYTES, a));
            if (!isnan(d) && i > 0) fprintf(f, " (%+.1f%%)", d);
            fputs("</td>", f);
        }
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
