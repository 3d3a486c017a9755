#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define MAX_FIELDS 256

int compare_csv_split(char *line, char **fields, int max) {
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

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf != NULL) {
        buf[fread(buf, 1, (size_t)n, f)] = '\0';
    }
    fclose(f);
    return buf;
}

/* One run's summary.csv: the header and the row, split. */
typedef struct run_row {
    char *text;
    char *names[MAX_FIELDS], *values[MAX_FIELDS];
    int nnames, nvalues;
} run_row;

static int load_row(run_row *r, const char *dir, fs_err *err) {
    char path[1300];
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    memset(r, 0, sizeof *r);
    r->text = read_all(path);
    char *nl = r->text ? strchr(r->text, '\n') : NULL;
    if (nl == NULL) return fs_errf(err, "cannot read %s", path);
    *nl = '\0';
    r->nnames = compare_csv_split(r->text, r->names, MAX_FIELDS);
    r->nvalues = compare_csv_split(nl + 1, r->values, MAX_FIELDS);
    if (r->nvalues != r->nnames)
        return fs_errf(err, "%s: %d fields under a header of %d", path, r->nvalues, r->nnames);
    return 0;
}

static double row_get(const run_row *r, const char *name) {
    for (int i = 0; i < r->nnames; i++)
        if (strcmp(r->names[i], name) == 0)
            return *r->values[i] ? strtod(r->values[i], NULL) : NAN;
    return NAN;
}

static void put_field(FILE *f, const char *s) {
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

static const char *mib(double bytes, char *buf) {
    if (isnan(bytes)) return "-";
    snprintf(buf, 32, "%.1f", bytes / (1024.0 * 1024.0));
    return buf;
}

static const char *ratio(double v, char *buf) {
    if (isnan(v)) return "-";
    snprintf(buf, 32, "%.3f", v);
    return buf;
}

static void print_table(FILE *f, const compare_entry *e, const run_row *rows, size_t n) {
    fprintf(f, "%-24s %9s %9s %9s %9s %9s %9s %8s %8s %8s %10s  %s\n", "allocator", "rss_peak",
            "rss_final", "act_peak", "act_final", "res_peak", "res_final", "frag_pk", "frag_fin",
            "wall_s", "events/s", "status");
    for (size_t i = 0; i < n; i++) {
        char b[10][32];
        const run_row *r = &rows[i];
        double nan = NAN;
#define G(name) (e[i].ok ? row_get(r, name) : nan)
        char eps[32];
        if (isnan(G("events_per_second"))) snprintf(eps, sizeof eps, "-");
        else snprintf(eps, sizeof eps, "%.0f", G("events_per_second"));
        char wall[32];
        if (isnan(G("wall_time"))) snprintf(wall, sizeof wall, "-");
        else snprintf(wall, sizeof wall, "%.2f", G("wall_time"));
        const char *name = e[i].allocator;
        if (strlen(name) > 24 && strncmp(name, "preload:", 8) == 0) {
            const char *slash = strrchr(name, '/');
            snprintf(b[9], sizeof b[9], "preload:%.16s", slash ? slash + 1 : name + 8);
            name = b[9];
        }
        fprintf(f, "%-24s %9s %9s %9s %9s %9s %9s %8s %8s %8s %10s  %s\n", name,
                mib(G("peak_used_memory_rss"), b[0]), mib(G("final_used_memory_rss"), b[1]),
                mib(G("peak_allocator_active"), b[2]), mib(G("final_allocator_active"), b[3]),
                mib(G("peak_allocator_resident"), b[4]), mib(G("final_allocator_resident"), b[5]),
                ratio(G("peak_mem_fragmentation_ratio"), b[6]),
                ratio(G("final_mem_fragmentation_ratio"), b[7]), wall, eps, e[i].status);
#undef G
    }
    fprintf(f, "# MiB.  rss = used_memory_rss (process RSS); act = allocator_active; res = "
               "allocator_resident ('-': the allocator does not report it)\n"
               "# frag = mem_fragmentation_ratio, process fragmentation: RSS / used_memory "
               "(peak: while used_memory >= 10%% of its peak; final '-': no live data)\n");
}

/* Appends every run's series.csv to out, an allocator column first. */
static int merge_series(FILE *out, const compare_entry *e, size_t n, fs_err *err) {
    char *header = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!e[i].ok) continue;
        char path[1300];
        snprintf(path, sizeof path, "%s/series.csv", e[i].dir);
        char *text = read_all(path);
        if (text == NULL) {
            free(header);
            return fs_errf(err, "cannot read %s", path);
        }
        char *nl = strchr(text, '\n');
        if (nl == NULL) {
            free(text);
            free(header);
            return fs_errf(err, "%s has no header", path);
        }
        *nl = '\0';
        if (header == NULL) {
            header = strdup(text);
            fprintf(out, "allocator,%s\n", header);
        } else if (strcmp(header, text) != 0) {
            free(text);
            free(header);
            return fs_errf(err, "%s: its columns differ from the other runs'", path);
        }
        for (char *line = nl + 1, *next; *line; line = next) {
            next = strchr(line, '\n');
            next = next ? next + 1 : line + strlen(line);
            put_field(out, e[i].allocator);
            fputc(',', out);
            fwrite(line, 1, (size_t)(next - line), out);
        }
        free(text);
    }
    free(header);
    return 0;
}

int compare_write(const char *dir, const compare_entry *e, size_t n, int quiet, fs_err *err) {
    run_row *rows = calloc(n, sizeof *rows);
    int rc = -1;
    FILE *sum = NULL, *series = NULL, *table = NULL;
    const run_row *model = NULL;
    char path[1300];
    if (rows == NULL) return fs_errf(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!e[i].ok) continue;
        if (load_row(&rows[i], e[i].dir, err) != 0) goto out;
        if (model == NULL) model = &rows[i];
    }
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    if ((sum = fopen(path, "w")) == NULL) goto io;
    fputs("allocator,status", sum);
    if (model != NULL)
        for (int k = 1; k < model->nnames; k++) fprintf(sum, ",%s", model->names[k]);
    fputc('\n', sum);
    for (size_t i = 0; i < n; i++) {
        put_field(sum, e[i].allocator);
        fputc(',', sum);
        put_field(sum, e[i].status);
        if (model != NULL)
            for (int k = 1; k < model->nnames; k++) {
                fputc(',', sum);
                if (e[i].ok) put_field(sum, rows[i].values[k]);
            }
        fputc('\n', sum);
    }
    snprintf(path, sizeof path, "%s/series.csv", dir);
    if ((series = fopen(path, "w")) == NULL) goto io;
    if (merge_series(series, e, n, err) != 0) goto out;
    snprintf(path, sizeof path, "%s/compare.txt", dir);
    if ((table = fopen(path, "w")) == NULL) goto io;
    print_table(table, e, rows, n);
    if (ferror(sum) || ferror(series) || ferror(table)) goto io;
    if (!quiet) print_table(stdout, e, rows, n);
    rc = 0;
    goto out;
io:
    fs_errf(err, "cannot write %s", path);
out:
    if (sum && fclose(sum) != 0 && rc == 0) rc = fs_errf(err, "cannot write summary.csv");
    if (series && fclose(series) != 0 && rc == 0) rc = fs_errf(err, "cannot write series.csv");
    if (table && fclose(table) != 0 && rc == 0) rc = fs_errf(err, "cannot write compare.txt");
    for (size_t i = 0; i < n; i++) free(rows[i].text);
    free(rows);
    return rc;
}
