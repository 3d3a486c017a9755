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
/* One column of several runs, one line each, named names[i] (NULL: the
 * runs' labels).  ratio_lines: a log scale with the seed's 1.5 and 2.0
 * lines; limit > 0: the container limit across it (RSS charts). */
void report_plot_overlay(FILE *f, rs_run *const *runs, size_t n, const char *column,
                         const char *title, svg_unit unit, int ratio_lines, double limit,
                         const char *const *names);
/* Active defrag's effort and hits over time, from the series' defrag
 * columns (active_defrag_running, active_defrag_hits); returns 0 and draws
 * nothing when the run has none. */
int report_plot_defrag(FILE *f, const rs_run *r);
/* A sweep's points, x against y (sweep.csv columns), the Pareto front
 * (lowest y for any x) marked.  Returns 0 when the columns are missing. */
/* Each point is labelled with its number (report_sweep_key's table); the
 * container limit (limit > 0) is drawn on it. */
int report_plot_tradeoff(FILE *f, const rs_group *g, const char *xcol, const char *xlabel,
                         svg_unit xunit, const char *ycol, const char *ylabel, double limit);
/* The sweep's points by number, every grid value and the figures the
 * trade-off plots draw: the key to their labels and legends. */
void report_sweep_key(FILE *f, const rs_group *g);
/* A sweep point's number and grid values, "3: 0, 10000", into buf. */
const char *report_sweep_name(const rs_group *g, size_t row, char *buf, size_t n);
/* Where the group's runs came from: trace or preset, keys, clock or speed,
 * allocators and their versions, fragsim's version, when they were
 * written and when the page was (report_provenance.c). */
void report_provenance(FILE *f, const rs_group *g);
/* The Pareto front of points (x[i], y[i]), both to be low: the indexes of
 * the points no other point matches or beats on both axes and beats on one,
 * into front[] by ascending x.  NAN points are left out.  Returns the count. */
size_t report_pareto(const double *x, const double *y, size_t n, size_t *front);
/* A what-if's remedies (whatif.csv's total rows) as a bar chart: peak,
 * mean and final RSS, each bar scaled to its column's largest (and the
 * container limit, limit > 0, as a row of its own), all starting at one
 * left edge, with the change against the baseline.  Returns 0 when the
 * columns are missing. */
int report_whatif_bars(FILE *f, const rs_group *g, double limit);
/* jemalloc's size classes from bins-T.csv as a table with a bar per bin. */
int report_bins_table(FILE *f, const char *path, fs_err *err);

/* Writes text into HTML, escaped. */
void report_escape(FILE *f, const char *s);

#endif
