/* report: `fragsim report`, one self-contained HTML file (inline SVG and
 * CSS, no script, no network) from any number of results directories.
 *
 * report_html.c lays out the page; report_plots.c draws each picture with
 * svg.h.  For a run: memory and the fragmentation ratios over virtual time
 * (with the seed's 1.5 and 2.0 lines and the alerts' firing times), the
 * heap page maps side by side, jemalloc's size classes, and the doctor's
 * text; for a comparison, every allocator overlaid; for a sweep, the
 * trade-off scatter plots with their Pareto front; for a what-if, its
 * remedies' RSS as bars and over time.  Front end only. */
#ifndef FRAGSIM_REPORT_H
#define FRAGSIM_REPORT_H

#include <stdio.h>

#include "resultset.h"
#include "svg.h"

typedef struct report_opts {
    double container_limit; /* bytes; 0: none */
} report_opts;

/* Writes the page.  Returns 0, or -1 when f reports a write error. */
int report_html(FILE *f, rs_group *groups, size_t ngroups, const report_opts *o);

/* ---- pictures (report_plots.c); each writes one <svg> ---- */
extern const char *const report_colours[10];
#define REPORT_WIDTH 660

/* used_memory, allocator_active, allocator_resident and RSS over time,
 * with the container limit and the OOM moment when limit > 0. */
void report_plot_memory(FILE *f, const rs_run *r, double limit);
/* The three ratios, the seed's 1.5 and 2.0 lines and the alerts' firing
 * times. */
void report_plot_ratios(FILE *f, const rs_run *r);
/* One column of several runs, one line each. */
void report_plot_overlay(FILE *f, rs_run *const *runs, size_t n, const char *column,
                         const char *title, svg_unit unit, int ratio_lines);
/* Active defrag's effort and hits over time, from the series' defrag
 * columns (active_defrag_running, active_defrag_hits); returns 0 and draws
 * nothing when the run has none. */
int report_plot_defrag(FILE *f, const rs_run *r);
/* A sweep's points, x against y (sweep.csv columns), the Pareto front
 * (lowest y for any x) marked.  Returns 0 when the columns are missing. */
int report_plot_tradeoff(FILE *f, const rs_group *g, const char *xcol, const char *xlabel,
                         svg_unit xunit, const char *ycol, const char *ylabel);
/* The Pareto front of points (x[i], y[i]), both to be low: the indexes of
 * the points no other point matches or beats on both axes and beats on one,
 * into front[] by ascending x.  NAN points are left out.  Returns the count. */
size_t report_pareto(const double *x, const double *y, size_t n, size_t *front);
/* A what-if's remedies (whatif.csv's total rows) as a bar chart: peak,
 * mean and final RSS, each bar scaled to its column's largest, with the
 * change against the baseline.  Returns 0 when the columns are missing. */
int report_whatif_bars(FILE *f, const rs_group *g);
/* jemalloc's size classes from bins-T.csv as a table with a bar per bin. */
int report_bins_table(FILE *f, const char *path, fs_err *err);

/* Writes text into HTML, escaped. */
void report_escape(FILE *f, const char *s);

#endif
