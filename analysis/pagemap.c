#include "pagemap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"
#include "table.h"

int pagemap_load(pagemap *m, const char *path, fs_err *err) {
    memset(m, 0, sizeof *m);
    table t;
    if (table_load(&t, path, err) != 0) {
        table_free(&t);
        return -1;
    }
    int cp = table_col(&t, "page"), cl = table_col(&t, "live_bytes");
    const char *ps = strstr(t.comment, "page_size "), *vt = strstr(t.comment, "virtual_time ");
    if (cp < 0 || cl < 0 || ps == NULL || vt == NULL) {
        table_free(&t);
        return fs_errf(err, "%s: not a fragsim page map (expected '# fragsim page map: ...' and "
                       "page,live_bytes columns)", path);
    }
    m->page_size = strtoull(ps + 10, NULL, 10);
    m->t = strtod(vt + 13, NULL);
    m->live = malloc((t.nrows ? t.nrows : 1) * sizeof *m->live);
    if (m->live == NULL || m->page_size == 0) {
        table_free(&t);
        return fs_errf(err, "%s: %s", path, m->live ? "page_size is 0" : "out of memory");
    }
    double prev = -1;
    for (size_t i = 0; i < t.nrows; i++) {
        double page = table_num(&t, i, cp), live = table_num(&t, i, cl);
        if (isnan(page) || isnan(live) || page <= prev || live < 0 || live > (double)m->page_size) {
            table_free(&t);
            return fs_errf(err, "%s:%zu: expected ascending page numbers and live bytes from 0 "
                           "to the page size", path, i + 3);
        }
        prev = page;
        m->live[m->n++] = (uint32_t)live;
        m->live_bytes += (uint64_t)live;
        if (live > 0) m->touched++;
        else m->empty++;
        if (live > 0 && live < (double)m->page_size / 2) m->half_empty++;
    }
    table_free(&t);
    return 0;
}

void pagemap_free(pagemap *m) {
    free(m->live);
    memset(m, 0, sizeof *m);
}

double pagemap_mean_fill(const pagemap *m) {
    return m->touched ? (double)m->live_bytes / (double)m->touched : 0;
}

void pagemap_describe(FILE *f, const pagemap *m) {
    char a[32], b[32];
    fprintf(f, "%zu pages with live data (%zu of them less than half full), %zu resident pages "
               "with none; live %s in %s of pages; mean fill of a page with data %.1f%%",
            m->touched, m->half_empty, m->empty, svg_format((double)m->live_bytes, SVG_BYTES, a),
            svg_format((double)(m->n * m->page_size), SVG_BYTES, b),
            100.0 * pagemap_mean_fill(m) / (double)m->page_size);
}

/* Eleven colours: a resident page with no live data, then fill deciles
 * (ColorBrewer's RdYlGn, red = holes, green = full pages). */
static const char *const colours[11] = {"#a50026", "#d73027", "#f46d43", "#fdae61", "#fee08b",
                                        "#ffffbf", "#d9ef8b", "#a6d96a", "#66bd63", "#1a9850",
                                        "#006837"};

static int bucket(uint64_t live, uint64_t bytes) {
    if (live == 0) return 0;
    int d = (int)ceil(10.0 * (double)live / (double)bytes);
    return d < 1 ? 1 : d > 10 ? 10 : d;
}

#define SVG_COLS 128
#define SVG_MAX_ROWS 96

void pagemap_svg(FILE *f, const pagemap *m, const char *title, double w) {
    size_t per = (m->n + (size_t)SVG_COLS * SVG_MAX_ROWS - 1) / ((size_t)SVG_COLS * SVG_MAX_ROWS);
    if (per == 0) per = 1;
    size_t cells = (m->n + per - 1) / per, rows = (cells + SVG_COLS - 1) / SVG_COLS;
    double cw = (w - 20) / SVG_COLS, ch = cw < 8 ? cw : 8, top = 46;
    double h = top + (double)rows * ch + 10;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "font-family=\"sans-serif\" font-size=\"12\" class=\"pagemap\">\n<title>", w, h);
    svg_escape(f, title);
    fprintf(f, "</title>\n<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n"
               "<text x=\"10\" y=\"18\" font-weight=\"bold\">", w, h);
    svg_escape(f, title);
    fprintf(f, "</text>\n<text x=\"10\" y=\"36\" fill=\"#444\">%zu page%s of %llu B per cell, "
               "%zu cells, address order</text>\n", per, per > 1 ? "s" : "",
            (unsigned long long)m->page_size, cells);
    for (size_t r = 0; r < rows; r++) {
        /* Runs of cells of one colour become one rectangle. */
        size_t c = 0;
        while (c < SVG_COLS && r * SVG_COLS + c < cells) {
            size_t start = c;
            int b = -1;
            for (; c < SVG_COLS && r * SVG_COLS + c < cells; c++) {
                size_t first = (r * SVG_COLS + c) * per, last = first + per;
                if (last > m->n) last = m->n;
                uint64_t live = 0;
                for (size_t i = first; i < last; i++) live += m->live[i];
                int cb = bucket(live, (last - first) * m->page_size);
                if (b >= 0 && cb != b) break;
                b = cb;
            }
            fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
                    10 + (double)start * cw, top + (double)r * ch, (double)(c - start) * cw,
                    ch - (ch > 3 ? 0.5 : 0), colours[b]);
        }
    }
    fputs("</svg>\n", f);
}

void pagemap_svg_legend(FILE *f) {
    fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"40\" "
          "font-family=\"sans-serif\" font-size=\"11\" class=\"legend\">\n", f);
    static const char *const names[11] = {"resident, no live data", "1-10%", "11-20%", "21-30%",
                                          "31-40%", "41-50%", "51-60%", "61-70%", "71-80%",
                                          "81-90%", "91-100%"};
    double x = 4;
    for (int i = 0; i < 11; i++) {
        fprintf(f, "<rect x=\"%.0f\" y=\"4\" width=\"14\" height=\"14\" fill=\"%s\"/>"
                   "<text x=\"%.0f\" y=\"15\">%s</text>\n", x, colours[i], x + 18, names[i]);
        x += i == 0 ? 150 : 56;
    }
    fputs("<text x=\"4\" y=\"34\">colour: the share of the page(s) holding live values</text>\n"
          "</svg>\n", f);
}

/* Text: holes stand out as '_' (resident, nothing live) and '.' (a few
 * live bytes), full pages as '#'. */
static char glyph(uint64_t live, uint64_t bytes) {
    if (live == 0) return '_';
    double share = (double)live / (double)bytes;
    return share < 0.10 ? '.' : share < 0.50 ? '-' : share < 0.90 ? '+' : '#';
}

void pagemap_text(FILE *f, const pagemap *const *maps, const char *const *titles, size_t n,
                  int cols, int rows) {
    size_t per[16], lines = 0;
    if (n > 16) n = 16;
    for (size_t k = 0; k < n; k++) {
        size_t cap = (size_t)cols * (size_t)rows;
        per[k] = (maps[k]->n + cap - 1) / cap;
        if (per[k] == 0) per[k] = 1;
        size_t cells = (maps[k]->n + per[k] - 1) / per[k], l = (cells + (size_t)cols - 1) / (size_t)cols;
        if (l > lines) lines = l;
    }
    for (size_t k = 0; k < n; k++) fprintf(f, "%-*.*s   ", cols + 2, cols + 2, titles[k]);
    fputc('\n', f);
    for (size_t k = 0; k < n; k++) {
        char head[64];
        snprintf(head, sizeof head, "%zu page%s a character", per[k], per[k] > 1 ? "s" : "");
        fprintf(f, "%-*.*s   ", cols + 2, cols + 2, head);
    }
    fputc('\n', f);
    for (size_t l = 0; l < lines; l++) {
        for (size_t k = 0; k < n; k++) {
            const pagemap *m = maps[k];
            char row[512];
            int w = 0;
            for (int c = 0; c < cols && c < (int)sizeof row - 1; c++) {
                size_t first = (l * (size_t)cols + (size_t)c) * per[k];
                if (first >= m->n) break;
                size_t last = first + per[k] > m->n ? m->n : first + per[k];
                uint64_t live = 0;
                for (size_t i = first; i < last; i++) live += m->live[i];
                row[w++] = glyph(live, (last - first) * m->page_size);
            }
            row[w] = '\0';
            if (w > 0) fprintf(f, "[%-*s]   ", cols, row);
            else fprintf(f, "%*s   ", cols + 2, "");
        }
        fputc('\n', f);
    }
    fputs("# = 90% or more of the page holds live values, + 50-90%, - 10-50%, . under 10%, "
          "_ resident with nothing live (a hole RSS pays for)\n", f);
}
