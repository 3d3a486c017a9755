#include "result_rows.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/sample.h"

int csv_split(char *line, char **fields, int max) {
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max) return n;
        if (*p == '"') {
            /* Quoted: "" is a quote; the field ends at the closing quote. */
            char *out = ++p;
            fields[n++] = out;
            while (*p && !(*p == '"' && p[1] != '"')) {
                if (*p == '"') p++;
                *out++ = *p++;
            }
            if (*p == '"') p++;
            *out = '\0';
            if (*p == ',') *p++ = '\0';
            else return n;
            continue;
        }
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL) {
            p[strcspn(p, "\r\n")] = '\0';
            return n;
        }
        *comma = '\0';
        p = comma + 1;
    }
}

void csv_put_field(FILE *f, const char *s) {
    if (strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

char *result_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf != NULL) buf[fread(buf, 1, (size_t)n, f)] = '\0';
    fclose(f);
    return buf;
}

int result_number(const char *field, double *v, const char **why) {
    char *end;
    errno = 0;
    double x = strtod(field, &end);
    if (end == field || *end != '\0') return *why = "not a number", -1;
    if (!isfinite(x) || errno == ERANGE) return *why = "not finite", -1;
    if (x < 0) return *why = "negative", -1;
    if (x > RESULT_MAX_VALUE) return *why = "too large", -1;
    *v = x;
    return 0;
}

static int is_text_column(const char *name) {
    static const char *const text[] = {"allocator", "allocator_options", "trace", "trace_digest",
                                       "remedy"};
    for (size_t i = 0; i < sizeof text / sizeof *text; i++)
        if (strcmp(name, text[i]) == 0) return 1;
    return 0;
}

int result_signed_column(const char *name) {
    const char *u = strchr(name, '_');
    for (size_t i = 0; i < sample_ncolumns; i++)
        if (sample_columns[i].type == SAMPLE_I64 &&
            (strcmp(name, sample_columns[i].name) == 0 ||
             (u != NULL && strcmp(u + 1, sample_columns[i].name) == 0)))
            return 1;
    return 0;
}

static int row_check(const result_row *r, const char *path, fs_err *err) {
    if (r->nnames < 1 || strcmp(r->names[0], "allocator") != 0)
        return fs_errf(err, "%s:1:1: expected a header starting with 'allocator': not a "
                       "fragsim summary", path);
    for (int k = 0; k < r->nvalues; k++) {
        double v;
        const char *why;
        if (is_text_column(r->names[k]) || r->values[k][0] == '\0') continue;
        if (result_number(r->values[k], &v, &why) != 0 &&
            !(strcmp(why, "negative") == 0 && result_signed_column(r->names[k])))
            return fs_errf(err, "%s:2:%d: %s '%.40s' is %s", path, k + 1, r->names[k],
                           r->values[k], why);
    }
    return 0;
}

int result_row_load(result_row *r, const char *dir, fs_err *err) {
    char path[1300];
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    memset(r, 0, sizeof *r);
    r->text = result_read_file(path);
    char *nl = r->text ? strchr(r->text, '\n') : NULL;
    if (nl == NULL) return fs_errf(err, "cannot read %s", path);
    *nl = '\0';
    r->nnames = csv_split(r->text, r->names, RESULT_ROW_MAX_FIELDS);
    r->nvalues = csv_split(nl + 1, r->values, RESULT_ROW_MAX_FIELDS);
    if (r->nvalues != r->nnames)
        return fs_errf(err, "%s:2: %d fields under a header of %d", path, r->nvalues, r->nnames);
    return row_check(r, path, err);
}

double result_row_get(const result_row *r, const char *name) {
    for (int i = 0; i < r->nnames && i < r->nvalues; i++)
        if (strcmp(r->names[i], name) == 0)
            return *r->values[i] ? strtod(r->values[i], NULL) : NAN;
    return NAN;
}

void result_row_free(result_row *r) {
    free(r->text);
    r->text = NULL;
}
