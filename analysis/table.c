#include "table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "result_rows.h"

static double parse_num(const char *s) {
    if (*s == '\0') return NAN;
    char *end;
    double v = strtod(s, &end);
    return *end == '\0' ? v : NAN;
}

int table_load(table *t, const char *path, fs_err *err) {
    memset(t, 0, sizeof *t);
    t->text = result_read_file(path);
    if (t->text == NULL) return fs_errf(err, "cannot read %s", path);
    char *p = t->text, *fields[TABLE_MAX_COLUMNS];
    size_t line = 1, cap = 0;
    /* Comment lines first, then the header. */
    while (*p == '#') {
        char *nl = strchr(p, '\n');
        if (t->comment[0] == '\0') {
            const char *c = p + 1 + (p[1] == ' ');
            size_t n = nl ? (size_t)(nl - c) : strlen(c);
            if (n >= sizeof t->comment) n = sizeof t->comment - 1;
            memcpy(t->comment, c, n);
            t->comment[n] = '\0';
        }
        if (nl == NULL) return fs_errf(err, "%s: no header line", path);
        p = nl + 1;
        line++;
    }
    char *nl = strchr(p, '\n');
    if (*p == '\0' || *p == '\n') return fs_errf(err, "%s: no header line", path);
    if (nl) *nl = '\0';
    t->ncols = csv_split(p, fields, TABLE_MAX_COLUMNS);
    t->names = malloc((size_t)t->ncols * sizeof *t->names);
    if (t->names == NULL) return fs_errf(err, "out of memory reading %s", path);
    memcpy(t->names, fields, (size_t)t->ncols * sizeof *fields);
    p = nl ? nl + 1 : p + strlen(p);
    while (*p) {
        line++;
        nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        char *next = nl ? nl + 1 : p + strlen(p);
        if (*p == '\0' || *p == '\r') {
            p = next;
            continue;
        }
        int n = csv_split(p, fields, TABLE_MAX_COLUMNS);
        if (n != t->ncols)
            return fs_errf(err, "%s:%zu: %d fields under a header of %d: is the file cut short "
                           "or not fragsim's?", path, line, n, t->ncols);
        if (t->nrows == cap) {
            cap = cap ? cap * 2 : 256;
            char **cells = realloc(t->cells, cap * (size_t)t->ncols * sizeof *cells);
            double *num = realloc(t->num, cap * (size_t)t->ncols * sizeof *num);
            size_t *lines = realloc(t->lines, cap * sizeof *lines);
            if (cells) t->cells = cells;
            if (num) t->num = num;
            if (lines) t->lines = lines;
            if (cells == NULL || num == NULL || lines == NULL)
                return fs_errf(err, "out of memory reading %s", path);
        }
        for (int c = 0; c < n; c++) {
            t->cells[t->nrows * (size_t)t->ncols + (size_t)c] = fields[c];
            t->num[t->nrows * (size_t)t->ncols + (size_t)c] = parse_num(fields[c]);
        }
        t->lines[t->nrows++] = line;
        p = next;
    }
    return 0;
}

void table_free(table *t) {
    free(t->text);
    free(t->names);
    free(t->cells);
    free(t->num);
    free(t->lines);
    memset(t, 0, sizeof *t);
}

int table_check_measures(const table *t, const char *path, const char *time_col, fs_err *err) {
    int tc = table_col(t, time_col);
    if (tc < 0) return fs_errf(err, "%s:1: no %s column: not a fragsim series", path, time_col);
    double prev = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *f = table_str(t, r, c);
            double v;
            const char *why;
            if (f[0] == '\0') {
                if (c == tc)
                    return fs_errf(err, "%s:%zu:%d: %s is empty", path, t->lines[r], c + 1,
                                   time_col);
                continue;
            }
            if (result_number(f, &v, &why) != 0 &&
                !(strcmp(why, "negative") == 0 && result_signed_column(t->names[c])))
                return fs_errf(err, "%s:%zu:%d: %s '%.40s' is %s", path, t->lines[r], c + 1,
                               t->names[c], f, why);
        }
        double now = table_num(t, r, tc);
        if (r > 0 && now < prev)
            return fs_errf(err, "%s:%zu:%d: %s goes backwards (%g after %g)", path, t->lines[r],
                           tc + 1, time_col, now, prev);
        prev = now;
    }
    return 0;
}

int table_col(const table *t, const char *name) {
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0) return i;
    return -1;
}

double table_num(const table *t, size_t row, int col) {
    if (col < 0 || col >= t->ncols || row >= t->nrows) return NAN;
    return t->num[row * (size_t)t->ncols + (size_t)col];
}

const char *table_str(const table *t, size_t row, int col) {
    if (col < 0 || col >= t->ncols || row >= t->nrows) return "";
    return t->cells[row * (size_t)t->ncols + (size_t)col];
}

double *table_column(const table *t, const char *name) {
    double *v = malloc((t->nrows ? t->nrows : 1) * sizeof *v);
    if (v == NULL) return NULL;
    int c = table_col(t, name);
    for (size_t i = 0; i < t->nrows; i++) v[i] = table_num(t, i, c);
    return v;
}
