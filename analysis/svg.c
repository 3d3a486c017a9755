#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEGEND_CHARS 27 /* a legend line, in the 190 px column */
#define MAX_POINTS 4000 /* a line's vertices; longer series keep each bucket's extremes */

void svg_escape(FILE *f, const char *s) {
    for (; *s; s++) switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

int svg_extent(const double *v, size_t n, double *lo, double *hi) {
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i]) || isinf(v[i])) continue;
        if (!any || v[i] < *lo) *lo = v[i];
        if (!any || v[i] > *hi) *hi = v[i];
        any = 1;
    }
    return any;
}

/* 1, 2, 2.5 or 5 times a power of ten, the nearest at or above x. */
static double nice_step(double x) {
    if (!(x > 0)) return 1;
    double e = pow(10, floor(log10(x))), f = x / e;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * e;
}

static const char *const byte_units[] = {"B", "KiB", "MiB", "GiB", "TiB"};

const char *svg_format(double v, svg_unit unit, char *buf) {
    if (isnan(v)) return strcpy(buf, "-");
    if (unit == SVG_BYTES) {
        int k = 0;
        double s = v;
        while (fabs(s) >= 1024 && k < 4) {
            s /= 1024;
            k++;
        }
        snprintf(buf, 32, k ? "%.1f %s" : "%.0f %s", s, byte_units[k]);
    } else {
        snprintf(buf, 32, "%g", fabs(v) < 1e-12 ? 0.0 : v);
    }
    return buf;
}

void svg_begin(svg_plot *p, FILE *f, double w, double h, const char *title) {
    memset(p, 0, sizeof *p);
    p->f = f;
    p->width = w;
    p->height = h;
    p->left = 70;
    p->right = w - 190; /* the legend's column */
    p->top = 34;
    p->bottom = h - 46;
    p->yscale = 1;
    p->yscale_name = "";
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
            w, h, w, h);
    fputs("<title>", f);
    svg_escape(f, title);
    fprintf(f, "</title>\n<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n"
               "<text x=\"%.1f\" y=\"20\" font-size=\"14\" font-weight=\"bold\">", w, h, p->left);
    svg_escape(f, title);
    fputs("</text>\n", f);
}

static void round_range(double *lo, double *hi, double *step) {
    if (!(*hi > *lo)) {
        double pad = fabs(*lo) > 0 ? fabs(*lo) * 0.1 : 1;
        *lo -= pad;
        *hi += pad;
    }
    *step = nice_step((*hi - *lo) / 6);
    *lo = floor(*lo / *step + 1e-9) * *step;
    *hi = ceil(*hi / *step - 1e-9) * *step;
}

void svg_ranges(svg_plot *p, double x0, double x1, svg_unit xunit, double y0, double y1,
                svg_unit yunit, int y_from_zero) {
    p->xunit = xunit;
    p->yunit = yunit;
    if (y_from_zero && y0 > 0) y0 = 0;
    if (yunit == SVG_BYTES) {
        double m = fabs(y1) > fabs(y0) ? fabs(y1) : fabs(y0);
        int k = 0;
        while (m / p->yscale >= 1024 && k < 4) {
            p->yscale *= 1024;
            k++;
        }
        p->yscale_name = byte_units[k];
    }
    y0 /= p->yscale;
    y1 /= p->yscale;
    round_range(&x0, &x1, &p->xstep);
    round_range(&y0, &y1, &p->ystep);
    p->x0 = x0;
    p->x1 = x1;
    p->y0 = y0 * p->yscale;
    p->y1 = y1 * p->yscale;
    p->ystep *= p->yscale;
}

/* Log-scale ticks: these mantissas of each power of ten, fewer as the
 * range spans more decades (log_mantissas). */
static const double log_ticks[] = {1, 1.5, 2, 3, 5};
static const double log_ticks_wide[] = {1, 2, 5};

static const double *log_mantissas(const svg_plot *p, size_t *n) {
    double decades = log10(p->y1 / p->y0);
    *n = decades <= 1.3 ? 5 : decades <= 2.5 ? 3 : 1;
    return *n == 5 ? log_ticks : log_ticks_wide;
}

void svg_ranges_log(svg_plot *p, double x0, double x1, double y0, double y1) {
    svg_ranges(p, x0, x1, SVG_PLAIN, 1, 2, SVG_PLAIN, 0);
    if (!(y0 > 0)) y0 = 1;
    if (!(y1 > y0)) y1 = y0 * 2;
    /* Out to the nearest tick below and above. */
    double e = pow(10, floor(log10(y0))), lo = e;
    for (size_t i = 0; i < sizeof log_ticks / sizeof *log_ticks; i++)
        if (log_ticks[i] * e <= y0 * (1 + 1e-9)) lo = log_ticks[i] * e;
    e = pow(10, floor(log10(y1)));
    double hi = 10 * e;
    for (size_t i = sizeof log_ticks / sizeof *log_ticks; i-- > 0;)
        if (log_ticks[i] * e >= y1 * (1 - 1e-9)) hi = log_ticks[i] * e;
    p->ylog = 1;
    p->y0 = lo;
    p->y1 = hi;
}

void svg_ranges_y2(svg_plot *p, double y1, const char *label) {
    double lo = 0;
    if (!(y1 > 0)) y1 = 1;
    round_range(&lo, &y1, &p->y2step);
    p->has_y2 = 1;
    p->y2_0 = lo;
    p->y2_1 = y1;
    p->y2label = label;
    p->right -= 56; /* its tick labels and title, left of the legend */
}

static double px(const svg_plot *p, double x) {
    return p->left + (x - p->x0) / (p->x1 - p->x0) * (p->right - p->left);
}

static double py(const svg_plot *p, double y) {
    if (p->ylog)
        return p->bottom - (log(y) - log(p->y0)) / (log(p->y1) - log(p->y0)) * (p->bottom - p->top);
    return p->bottom - (y - p->y0) / (p->y1 - p->y0) * (p->bottom - p->top);
}

/* The y values of the ticks: steps, or the log scale's round values. */
static size_t y_ticks(const svg_plot *p, double *v, size_t max) {
    size_t n = 0;
    if (p->ylog) {
        size_t nm;
        const double *m = log_mantissas(p, &nm);
        for (double e = pow(10, floor(log10(p->y0))); e <= p->y1 && n < max; e *= 10)
            for (size_t i = 0; i < nm && n < max; i++) {
                double t = m[i] * e;
                if (t >= p->y0 * (1 - 1e-9) && t <= p->y1 * (1 + 1e-9)) v[n++] = t;
            }
        return n;
    }
    for (double y = p->y0; y <= p->y1 + p->ystep * 1e-6 && n < max; y += p->ystep) v[n++] = y;
    return n;
}

/* A tick label: y in the plot's byte unit, numbers otherwise. */
static void tick_label(const svg_plot *p, double v, int is_y, char *buf) {
    if (is_y && p->yunit == SVG_BYTES) {
        snprintf(buf, 32, "%g", v / p->yscale);
        return;
    }
    if (fabs(v) < 1e-9 * (p->x1 - p->x0 + 1)) v = 0;
    /* Counts past 10,000 with a metric suffix: "300000" beside the axis
     * ran into the turned axis title. */
    double a = fabs(v);
    if (a >= 1e9) snprintf(buf, 32, "%gG", v / 1e9);
    else if (a >= 1e6) snprintf(buf, 32, "%gM", v / 1e6);
    else if (a >= 1e4) snprintf(buf, 32, "%gk", v / 1e3);
    else snprintf(buf, 32, "%g", v);
}

void svg_axes(svg_plot *p, const char *xlabel, const char *ylabel) {
    FILE *f = p->f;
    char b[32];
    double yt[64];
    size_t nyt = y_ticks(p, yt, 64);
    fprintf(f, "<g stroke=\"#ddd\">\n");
    for (size_t i = 0; i < nyt; i++)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", p->left,
                py(p, yt[i]), p->right, py(p, yt[i]));
    for (double x = p->x0; x <= p->x1 + p->xstep * 1e-6; x += p->xstep)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", px(p, x), p->top,
                px(p, x), p->bottom);
    fprintf(f, "</g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#444\"/>\n<g fill=\"#333\">\n", p->left, p->top, p->right - p->left,
            p->bottom - p->top);
    for (size_t i = 0; i < nyt; i++) {
        tick_label(p, yt[i], 1, b);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", p->left - 6,
                py(p, yt[i]) + 4, b);
    }
    /* The second axis: ticks on the right edge, its title turned beside them. */
    for (double y = p->y2_0; p->has_y2 && y <= p->y2_1 + p->y2step * 1e-6; y += p->y2step) {
        double yy = p->bottom - (y - p->y2_0) / (p->y2_1 - p->y2_0) * (p->bottom - p->top);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\">%g</text>\n", p->right, yy, p->right + 4, yy,
                p->right + 6, yy + 4, fabs(y) < 1e-12 ? 0.0 : y);
    }
    if (p->has_y2) {
        fprintf(f, "<text transform=\"translate(%.1f %.1f) rotate(90)\" text-anchor=\"middle\">",
                p->right + 40, (p->top + p->bottom) / 2);
        svg_escape(f, p->y2label);
        fputs("</text>\n", f);
    }
    for (double x = p->x0; x <= p->x1 + p->xstep * 1e-6; x += p->xstep) {
        tick_label(p, x, 0, b);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", px(p, x),
                p->bottom + 16, b);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (p->left + p->right) / 2,
            p->bottom + 36);
    svg_escape(f, xlabel);
    fprintf(f, "</text>\n<text transform=\"translate(16 %.1f) rotate(-90)\" "
               "text-anchor=\"middle\">", (p->top + p->bottom) / 2);
    svg_escape(f, ylabel);
    if (p->yunit == SVG_BYTES) fprintf(f, " (%s)", p->yscale_name);
    fputs("</text>\n</g>\n", f);
}

static void legend(svg_plot *p, const char *color, int dash, int dot, const char *name) {
    if (name == NULL) return;
    double y = p->top + 8 + 18 * p->nlegend++, x = p->right + (p->has_y2 ? 70 : 14);
    if (dot)
        fprintf(p->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x + 11, y - 4,
                color);
    else
        fprintf(p->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                      "stroke-width=\"2.5\"%s/>\n", x, y - 4, x + 22, y - 4, color,
                dash ? " stroke-dasharray=\"6 4\"" : "");
    /* Long names (a sweep point's grid values) wrap onto more lines of
     * the column, broken after a space, comma or '=', never cut short:
     * the legend names every value. */
    size_t len = strlen(name), at = 0;
    while (at < len) {
        size_t take = len - at;
        if (take > LEGEND_CHARS) {
            take = LEGEND_CHARS;
            for (size_t k = LEGEND_CHARS; k > LEGEND_CHARS / 2; k--)
                if (strchr(" ,=", name[at + k - 1])) {
                    take = k;
                    break;
                }
        }
        char line[LEGEND_CHARS + 1];
        snprintf(line, sizeof line, "%.*s", (int)take, name + at);
        fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">", x + 28, y);
        svg_escape(p->f, line);
        fputs("</text>\n", p->f);
        at += take;
        if (at < len) y = p->top + 8 + 18 * p->nlegend++;
    }
}

static int inside(const svg_plot *p, double x, double y) {
    return !isnan(x) && !isnan(y) && x >= p->x0 && x <= p->x1 && y >= p->y0 - 1e-9 * fabs(p->y1) &&
           y <= p->y1 + 1e-9 * fabs(p->y1);
}

void svg_line(svg_plot *p, const double *x, const double *y, size_t n, const char *color,
              int dash, const char *name) {
    FILE *f = p->f;
    size_t k = n > MAX_POINTS ? (n + MAX_POINTS / 2 - 1) / (MAX_POINTS / 2) : 1;
    int open = 0;
    fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s d=\"", color,
            dash ? " stroke-dasharray=\"6 4\"" : "");
    for (size_t b = 0; b < n; b += k) {
        /* Each bucket of k samples keeps its lowest and highest point, in
         * time order, so peaks survive thinning. */
        size_t lo = b, hi = b, end = b + k < n ? b + k : n;
        for (size_t i = b; i < end; i++) {
            if (isnan(y[i])) continue;
            if (isnan(y[lo]) || y[i] < y[lo]) lo = i;
            if (isnan(y[hi]) || y[i] > y[hi]) hi = i;
        }
        size_t pick[2] = {lo < hi ? lo : hi, lo < hi ? hi : lo};
        for (int j = 0; j < (lo == hi ? 1 : 2); j++) {
            size_t i = pick[j];
            if (!inside(p, x[i], y[i])) {
                open = 0;
                continue;
            }
            fprintf(f, "%s%.1f %.1f ", open ? "L" : "M", px(p, x[i]), py(p, y[i]));
            open = 1;
        }
    }
    fputs("\"/>\n", f);
    legend(p, color, dash, 0, name);
}

void svg_line_y2(svg_plot *p, const double *x, const double *y, size_t n, const char *color,
                 int dash, const char *name) {
    /* The same drawing with the second axis's range in place of the first. */
    svg_plot q = *p;
    q.y0 = p->y2_0;
    q.y1 = p->y2_1;
    q.ylog = 0;
    char label[160];
    snprintf(label, sizeof label, "%s (right axis)", name ? name : "");
    svg_line(&q, x, y, n, color, dash, name ? label : NULL);
    p->nlegend = q.nlegend;
}

void svg_scatter(svg_plot *p, const double *x, const double *y, size_t n, const char *color,
                 const char *const *labels, const char *name) {
    svg_scatter_keyed(p, x, y, n, color, labels, labels, name);
}

/* A label's box, px. */
typedef struct box { double x0, y0, x1, y1; } box;

static int boxes_meet(box a, box b) {
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

size_t svg_scatter_keyed(svg_plot *p, const double *x, const double *y, size_t n,
                         const char *color, const char *const *labels, const char *const *titles,
                         const char *name) {
    size_t unlabelled = 0;
    box *placed = calloc(2 * n + 1, sizeof *placed);
    size_t nplaced = 0;
    /* Every point's circle is taken before any label is placed. */
    for (size_t i = 0; i < n; i++) {
        if (!inside(p, x[i], y[i])) continue;
        double cx = px(p, x[i]), cy = py(p, y[i]);
        fprintf(p->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" fill-opacity=\"0.8\">",
                cx, cy, color);
        if (titles && titles[i]) {
            fputs("<title>", p->f);
            svg_escape(p->f, titles[i]);
            fputs("</title>", p->f);
        }
        fputs("</circle>\n", p->f);
        if (placed) placed[nplaced++] = (box){cx - 5, cy - 5, cx + 5, cy + 5};
    }
    if (labels == NULL || placed == NULL) {
        free(placed);
        legend(p, color, 0, 1, name);
        return 0;
    }
    /* Points drawn on one spot share one label ("1, 4"); each label goes to
     * the first place around its point where it meets no circle, no label
     * and stays in the plot, or is left out (and counted). */
    char *done = calloc(n, 1);
    for (size_t i = 0; done && i < n; i++) {
        if (done[i] || labels[i] == NULL || !inside(p, x[i], y[i])) continue;
        double cx = px(p, x[i]), cy = py(p, y[i]);
        char text[256] = "";
        size_t len = 0;
        for (size_t j = i; j < n; j++) {
            if (done[j] || labels[j] == NULL || !inside(p, x[j], y[j])) continue;
            if (fabs(px(p, x[j]) - cx) > 3 || fabs(py(p, y[j]) - cy) > 3) continue;
            done[j] = 1;
            len += (size_t)snprintf(text + len, len < sizeof text ? sizeof text - len : 0, "%s%s",
                                    len ? ", " : "", labels[j]);
            if (len >= sizeof text) len = sizeof text - 1;
        }
        double w = 6.0 * (double)strlen(text) + 2, h = 12;
        static const double at[][2] = {{8, -6}, {8, 10}, {-8, -6}, {-8, 10}, {-6, -10},
                                       {-6, 20}, {16, -14}, {16, 18}, {-16, -14}, {-16, 18}};
        int ok = 0;
        box bx = {0, 0, 0, 0};
        for (size_t k = 0; k < sizeof at / sizeof *at && !ok; k++) {
            /* at[k]: the baseline's offset; negative x puts the text's end there */
            double tx = at[k][0] >= 0 ? cx + at[k][0] : cx + at[k][0] - w, ty = cy + at[k][1];
            if (k == 4 || k == 5) tx = cx - w / 2;
            bx = (box){tx, ty - h + 2, tx + w, ty + 2};
            ok = bx.x0 >= p->left && bx.x1 <= p->right && bx.y0 >= p->top && bx.y1 <= p->bottom;
            for (size_t m = 0; ok && m < nplaced; m++) ok = !boxes_meet(bx, placed[m]);
        }
        if (!ok) {
            unlabelled++;
            continue;
        }
        placed[nplaced++] = bx;
        fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#333\">", bx.x0 + 1,
                bx.y1 - 2);
        svg_escape(p->f, text);
        fputs("</text>\n", p->f);
    }
    free(done);
    free(placed);
    legend(p, color, 0, 1, name);
    return unlabelled;
}

void svg_bars(svg_plot *p, const double *x, const double *y, size_t n, double w,
              const char *color, const char *name) {
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i]) || isnan(x[i])) continue;
        double y0 = p->y0 > 0 ? p->y0 : 0, x0 = px(p, x[i] - w / 2), x1 = px(p, x[i] + w / 2);
        double top = py(p, y[i] < p->y1 ? y[i] : p->y1), base = py(p, y0);
        fprintf(p->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                x0, top < base ? top : base, fabs(x1 - x0) > 1 ? fabs(x1 - x0) : 1,
                fabs(base - top), color);
    }
    legend(p, color, 0, 0, name);
}

/* A white outline under a label's letters, so that series drawn through it
 * leave it readable. */
#define SVG_HALO "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\""

static void hline(svg_plot *p, double y, const char *color, const char *label, int below) {
    if (!(y >= p->y0 && y <= p->y1)) return;
    /* The label sits above the line, or below it when asked (two lines
     * close together) or when the line runs along the top. */
    double ly = below || py(p, y) - p->top < 14 ? py(p, y) + 13 : py(p, y) - 4;
    fprintf(p->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                  "stroke-width=\"1.5\" stroke-dasharray=\"3 3\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
                  "fill=\"%s\" text-anchor=\"end\" " SVG_HALO ">", p->left, py(p, y), p->right,
            py(p, y), color,
            p->right - 4, ly, color);
    svg_escape(p->f, label);
    fputs("</text>\n", p->f);
}

void svg_hline(svg_plot *p, double y, const char *color, const char *label) {
    hline(p, y, color, label, 0);
}

void svg_hline_below(svg_plot *p, double y, const char *color, const char *label) {
    hline(p, y, color, label, 1);
}

void svg_vline(svg_plot *p, double x, const char *color, const char *label) {
    if (!(x >= p->x0 && x <= p->x1)) return;
    fprintf(p->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                  "stroke-width=\"1.5\" stroke-dasharray=\"3 3\"/>\n<text transform=\"translate("
                  "%.1f %.1f) rotate(-90)\" fill=\"%s\" text-anchor=\"end\">", px(p, x), p->top,
            px(p, x), p->bottom, color, px(p, x) - 4, p->top + 4, color);
    svg_escape(p->f, label);
    fputs("</text>\n", p->f);
}

void svg_end(svg_plot *p) { fputs("</svg>\n", p->f); }
