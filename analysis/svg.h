/* svg: a small writer of SVG charts, for reports that are one file with no
 * network and no helper program: lines, scatter points, bars, axes with
 * ticks at round numbers, threshold lines and a legend.
 *
 * Usage: svg_begin (picture size, title), svg_ranges (the data's extent;
 * rounded out to whole ticks), svg_axes, then any number of svg_line /
 * svg_scatter / svg_bars / svg_hline / svg_vline, then svg_end.  Output is
 * deterministic: the same data give the same bytes.  Coordinates are in
 * px, values in the data's own units (bytes, seconds); a NAN value leaves a
 * gap.  Front end only (stdio). */
#ifndef FRAGSIM_SVG_H
#define FRAGSIM_SVG_H

#include <stddef.h>
#include <stdio.h>

typedef enum svg_unit { SVG_PLAIN, SVG_BYTES } svg_unit;

typedef struct svg_plot {
    FILE *f;
    double width, height;            /* the picture, px */
    double left, right, top, bottom; /* the plot area, px */
    double x0, x1, y0, y1;           /* data ranges, after rounding */
    double xstep, ystep;             /* tick spacing, data units */
    svg_unit xunit, yunit;
    double yscale;                   /* bytes: 1024^k */
    const char *yscale_name;         /* "MiB" ... */
    int nlegend;
    int ylog;                        /* y on a log scale (svg_ranges_log) */
    int has_y2;                      /* a second y axis on the right (svg_ranges_y2) */
    double y2_0, y2_1, y2step;       /* its range and tick spacing, data units */
    const char *y2label;
} svg_plot;

/* Opens an <svg> element of w x h px with a title (escaped). */
void svg_begin(svg_plot *p, FILE *f, double w, double h, const char *title);
/* Sets the ranges, rounded out to round tick values (y from 0 when all
 * values are positive and y_from_zero). */
void svg_ranges(svg_plot *p, double x0, double x1, svg_unit xunit, double y0, double y1,
                svg_unit yunit, int y_from_zero);
/* As svg_ranges, y on a log scale from y0 to y1 (both above 0): ratios
 * that run from 1 to 500 keep 1.5 and 2.0 apart and nothing is cut off.
 * Ticks at 1, 1.5, 2, 3, 5, 10, 20, 50 ... and their tenths. */
void svg_ranges_log(svg_plot *p, double x0, double x1, double y0, double y1);
/* A second y axis on the right, from 0 to y1 rounded out (call after
 * svg_ranges, before svg_axes): svg_line_y2 draws against it.  The plot
 * area narrows to make room for its ticks. */
void svg_ranges_y2(svg_plot *p, double y1, const char *label);
/* Grid, ticks and their labels, the axis titles. */
void svg_axes(svg_plot *p, const char *xlabel, const char *ylabel);
/* A polyline through (x[i], y[i]), broken at NANs; dashed when dash.
 * name: a legend entry (NULL: none). */
void svg_line(svg_plot *p, const double *x, const double *y, size_t n, const char *color,
              int dash, const char *name);
/* svg_line against the second y axis; its legend entry says so. */
void svg_line_y2(svg_plot *p, const double *x, const double *y, size_t n, const char *color,
                 int dash, const char *name);
/* Points, each with an optional label drawn beside it and as its tooltip. */
void svg_scatter(svg_plot *p, const double *x, const double *y, size_t n, const char *color,
                 const char *const *labels, const char *name);
/* Points with short labels (a number each) that never overlap: points on
 * one spot share a label ("1, 4"), each label takes the first free place
 * around its point, and one with no free place is left out.  titles[i]
 * (or NULL) is a point's tooltip.  Returns how many points went unlabelled. */
size_t svg_scatter_keyed(svg_plot *p, const double *x, const double *y, size_t n,
                         const char *color, const char *const *labels, const char *const *titles,
                         const char *name);
/* Bars at x[i] (data units), w data units wide. */
void svg_bars(svg_plot *p, const double *x, const double *y, size_t n, double w,
              const char *color, const char *name);
/* A horizontal (vertical) line across the plot at y (x), with a label. */
void svg_hline(svg_plot *p, double y, const char *color, const char *label);
/* svg_hline with its label under the line (for two lines close together). */
void svg_hline_below(svg_plot *p, double y, const char *color, const char *label);
void svg_vline(svg_plot *p, double x, const char *color, const char *label);
void svg_end(svg_plot *p);

/* Extent of the non-NAN values; returns 0 when there is none. */
int svg_extent(const double *v, size_t n, double *lo, double *hi);
/* Writes s with & < > " escaped. */
void svg_escape(FILE *f, const char *s);
/* A value as an axis would print it (bytes in KiB/MiB/GiB) into buf (32). */
const char *svg_format(double v, svg_unit unit, char *buf);

#endif
