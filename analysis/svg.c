#include "svg.h"

#include <math.h>
#include <string.h>

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

static double px(const svg_plot *p, double x) {
    return p->left + (x - p->x0) / (p->x1 - p->x0) * (p->right - p->left);
}

static double py(const svg_plot *p, double y) {
    return p->bottom - (y - p->y0) / (p->y1 - p->y0) * (p->bottom - p->top);
}

/* A tick label: y in the plot's byte unit, numbers otherwise. */
static void tick_label(const svg_plot *p, double v, int is_y, char *buf) {
    if (is_y && p->yunit == SVG_BYTES) snprintf(buf, 32, "%g", v / p->yscale);
    else snprintf(buf, 32, "%g", fabs(v) < 1e-9 * (p->x1 - p->x0 + 1) ? 0.0 : v);
}

void svg_axes(svg_plot *p, const char *xlabel, const char *ylabel) {
    FILE *f = p->f;
    char b[32];
    fprintf(f, "<g stroke=\"#ddd\">\n");
    for (double y = p->y0; y <= p->y1 + p->ystep * 1e-6; y += p->ystep)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", p->left, py(p, y),
                p->right, py(p, y));
    for (double x = p->x0; x <= p->x1 + p->xstep * 1e-6; x += p->xstep)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", px(p, x), p->top,
                px(p, x), p->bottom);
    fprintf(f, "</g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#444\"/>\n<g fill=\"#333\">\n", p->left, p->top, p->right - p->left,
            p->bottom - p->top);
    for (double y = p->y0; y <= p->y1 + p->ystep * 1e-6; y += p->ystep) {
        tick_label(p, y, 1, b);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", p->left - 6,
                py(p, y) + 4, b);
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
    double y = p->top + 8 + 18 * p->nlegend++, x = p->right + 14;
    if (dot)
        fprintf(p->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x + 11, y - 4,
                color);
    else
        fprintf(p->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                      "stroke-width=\"2.5\"%s/>\n", x, y - 4, x + 22, y - 4, color,
                dash ? " stroke-dasharray=\"6 4\"" : "");
    fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">", x + 28, y);
    /* Long names (a sweep point's id and grid values) are cut to the
     * column in the middle: the start and the last value tell them apart. */
    char cut[32];
    size_t len = strlen(name);
    if (len > 27) snprintf(cut, sizeof cut, "%.6s...%s", name, name + len - 18);
    svg_escape(p->f, len > 27 ? cut : name);
    fputs("</text>\n", p->f);
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

void svg_scatter(svg_plot *p, const double *x, const double *y, size_t n, const char *color,
                 const char *const *labels, const char *name) {
    for (size_t i = 0; i < n; i++) {
        if (!inside(p, x[i], y[i])) continue;
        fprintf(p->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" fill-opacity=\"0.8\">",
                px(p, x[i]), py(p, y[i]), color);
        if (labels && labels[i]) {
            fputs("<title>", p->f);
            svg_escape(p->f, labels[i]);
            fputs("</title>", p->f);
        }
        fputs("</circle>\n", p->f);
        if (labels && labels[i]) {
            fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#333\">",
                    px(p, x[i]) + 7, py(p, y[i]) - 6);
            svg_escape(p->f, labels[i]);
            fputs("</text>\n", p->f);
        }
    }
    legend(p, color, 0, 1, name);
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

void svg_hline(svg_plot *p, double y, const char *color, const char *label) {
    if (!(y >= p->y0 && y <= p->y1)) return;
    fprintf(p->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                  "stroke-width=\"1.5\" stroke-dasharray=\"3 3\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
                  "fill=\"%s\" text-anchor=\"end\">", p->left, py(p, y), p->right, py(p, y), color,
            p->right - 4, py(p, y) - 4, color);
    svg_escape(p->f, label);
    fputs("</text>\n", p->f);
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
