#include "compare.h"

#include "result_rows.h"

#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* A byte figure is NAN only when the allocator does not report it. */
static const char *mib(double bytes, char *buf) {
    if (isnan(bytes)) return "n/a";
    snprintf(buf, 32, "%.1f", bytes / (1024.0 * 1024.0));
    return buf;
}

static const char *ratio(double v, char *buf) {
    if (isnan(v)) return "-";
    snprintf(buf, 32, "%.3f", v);
    return buf;
}

static void print_table(FILE *f, const compare_entry *e, const result_row *rows, size_t n) {
    fprintf(f, "%-24s %9s %9s %9s %9s %9s %9s %8s %8s %8s %10s  %s\n", "allocator", "rss_peak",
            "rss_final", "act_peak", "act_final", "res_peak", "res_final", "frag_pk", "frag_fin",
            "wall_s", "events/s", "status");
    for (size_t i = 0; i < n; i++) {
        char b[10][32];
        const result_row *r = &rows[i];
        double nan = NAN;
#define G(name) (e[i].ok ? result_row_get(r, name) : nan)
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
    fprintf(f, "# MiB.  rss = used_memory_rss (the server's: heap RSS plus an empty server's); "
               "act = allocator_active; res = allocator_resident (n/a: the allocator does not "
               "report it)\n"
               "# frag = mem_fragmentation_ratio, process fragmentation: RSS / (used_memory + "
               "used_memory_startup) "
               "(peak: while used_memory >= 10%% of its peak; final with no key left: an empty "
               "server's)\n");
}

/* Appends every run's series.csv to out, an allocator column first. */
static int merge_series(FILE *out, const compare_entry *e, size_t n, fs_err *err) {
    char *header = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!e[i].ok) continue;
        char path[1300];
        snprintf(path, sizeof path, "%s/series.csv", e[i].dir);
        char *text = result_read_file(path);
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
            csv_put_field(out, e[i].allocator);
            fputc(',', out);
            fwrite(line, 1, (size_t)(next - line), out);
        }
        free(text);
    }
    free(header);
    return 0;
}

int compare_write(const char *dir, const compare_entry *e, size_t n, int quiet, fs_err *err) {
    result_row *rows = calloc(n, sizeof *rows);
    int rc = -1;
    FILE *sum = NULL, *series = NULL, *table = NULL;
    const result_row *model = NULL;
    char path[1300];
    if (rows == NULL) return fs_errf(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!e[i].ok) continue;
        if (result_row_load(&rows[i], e[i].dir, err) != 0) goto out;
        if (model == NULL) model = &rows[i];
    }
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    if ((sum = fopen(path, "w")) == NULL) goto io;
    fputs("allocator,status", sum);
    if (model != NULL)
        for (int k = 1; k < model->nnames; k++) fprintf(sum, ",%s", model->names[k]);
    fputc('\n', sum);
    for (size_t i = 0; i < n; i++) {
        csv_put_field(sum, e[i].allocator);
        fputc(',', sum);
        csv_put_field(sum, e[i].status);
        if (model != NULL)
            for (int k = 1; k < model->nnames; k++) {
                fputc(',', sum);
                if (e[i].ok) csv_put_field(sum, rows[i].values[k]);
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
    fs_errf(err, "cannot write %s: %s", path, strerror(errno));
out:
    if (sum && fclose(sum) != 0 && rc == 0) rc = fs_errf(err, "cannot write summary.csv: %s", strerror(errno));
    if (series && fclose(series) != 0 && rc == 0) rc = fs_errf(err, "cannot write series.csv: %s", strerror(errno));
    if (table && fclose(table) != 0 && rc == 0) rc = fs_errf(err, "cannot write compare.txt: %s", strerror(errno));
    for (size_t i = 0; i < n; i++) result_row_free(&rows[i]);
    free(rows);
    return rc;
}
