#include "sweep.h"

#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "result_rows.h"

int sweep_plan_add(sweep_plan *p, const char *spec, fs_err *err) {
    const char *eq = strchr(spec, '=');
    if (eq == NULL || eq == spec || (size_t)(eq - spec) >= sizeof p->axes[0].key || eq[1] == '\0')
        return fs_errf(err, "--grid '%s': expected KEY=V1,V2,... (or V1|V2|... when values "
                       "hold commas)", spec);
    if (p->naxes == SWEEP_MAX_AXES) return fs_errf(err, "at most %d --grid keys", SWEEP_MAX_AXES);
    sweep_axis a;
    memset(&a, 0, sizeof a);
    memcpy(a.key, spec, (size_t)(eq - spec));
    for (int i = 0; i < p->naxes; i++)
        if (strcmp(p->axes[i].key, a.key) == 0)
            return fs_errf(err, "--grid key '%s' is given twice", a.key);
    a.buf = strdup(eq + 1);
    const char *sep = strchr(a.buf, '|') ? "|" : ",";
    char *save;
    for (char *v = strtok_r(a.buf, sep, &save); v; v = strtok_r(NULL, sep, &save)) {
        if (a.nvalues == SWEEP_MAX_VALUES) {
            free(a.buf);
            return fs_errf(err, "--grid %s: at most %d values", a.key, SWEEP_MAX_VALUES);
        }
        a.values[a.nvalues++] = v;
    }
    size_t n = p->naxes == 0 ? 1 : p->npoints;
    if (a.nvalues == 0 || n * (size_t)a.nvalues > SWEEP_MAX_POINTS) {
        free(a.buf);
        return a.nvalues == 0 ? fs_errf(err, "--grid %s: no values", a.key)
                              : fs_errf(err, "the grid would have more than %d points",
                                        SWEEP_MAX_POINTS);
    }
    p->axes[p->naxes++] = a;
    p->npoints = n * (size_t)a.nvalues;
    return 0;
}

void sweep_plan_free(sweep_plan *p) {
    for (int i = 0; i < p->naxes; i++) free(p->axes[i].buf);
    memset(p, 0, sizeof *p);
}

const char *sweep_value(const sweep_plan *p, size_t point, int axis) {
    for (int a = p->naxes - 1; a > axis; a--) point /= (size_t)p->axes[a].nvalues;
    return p->axes[axis].values[point % (size_t)p->axes[axis].nvalues];
}

void sweep_point_id(size_t point, char *buf) { snprintf(buf, 16, "p%04zu", point + 1); }

const char *sweep_point_allocator(const sweep_plan *p, size_t point, const char *fixed) {
    for (int x = 0; x < p->naxes; x++)
        if (strcmp(p->axes[x].key, "allocator") == 0) return sweep_value(p, point, x);
    return fixed;
}

int sweep_applies(const sweep_plan *p, size_t point, int axis, const char *fixed) {
    const char *key = p->axes[axis].key, *dot = strchr(key, '.');
    if (dot == NULL) return 1;
    const char *a = sweep_point_allocator(p, point, fixed);
    return strlen(a) == (size_t)(dot - key) && strncmp(a, key, (size_t)(dot - key)) == 0;
}

int sweep_repeats(const sweep_plan *p, size_t point, const char *fixed) {
    for (int x = 0; x < p->naxes; x++)
        if (!sweep_applies(p, point, x, fixed) && sweep_value(p, point, x) != p->axes[x].values[0])
            return 1;
    return 0;
}

int sweep_write_points(const sweep_plan *p, const char *dir, const char *fixed, fs_err *err) {
    char path[1300];
    snprintf(path, sizeof path, "%s/points.csv", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) return fs_errf(err, "cannot create %s", path);
    fputs("id", f);
    for (int a = 0; a < p->naxes; a++) {
        fputc(',', f);
        csv_put_field(f, p->axes[a].key);
    }
    fputc('\n', f);
    for (size_t i = 0; i < p->npoints; i++) {
        if (sweep_repeats(p, i, fixed)) continue;
        char id[16];
        sweep_point_id(i, id);
        fputs(id, f);
        for (int a = 0; a < p->naxes; a++) {
            fputc(',', f);
            csv_put_field(f, sweep_applies(p, i, a, fixed) ? sweep_value(p, i, a) : "n/a");
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0) return fs_errf(err, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

/* ---- gathering ---- */

typedef struct point_row {
    char *fields[SWEEP_MAX_AXES + 1]; /* id, then the grid values */
    const char *status;
    result_row result;
    int found;
    int oom;     /* its summary.json says the allocator's exhaustion stopped it */
    int pareto;  /* on the front of defrag CPU against final RSS */
    char bad[400]; /* "bad summary: ..." when the point's summary.csv failed its check */
} point_row;

/* Whether the run in dir stopped on the exhaustion of the allocator under
 * test: its summary.json then says why ("stopped"), and its row says "oom"
 * when gathered by --collect, as the sweep that ran it said. */
static int stopped_by_oom(const char *dir) {
    char path[1400];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *text = result_read_file(path);
    int oom = text != NULL && strstr(text, "\n  \"stopped\": \"") != NULL;
    free(text);
    return oom;
}

/* The row's field under the model's k-th name ("" when it has none): rows
 * are matched by column name, not by position. */
static const char *field_named(const point_row *r, const result_row *model, int k) {
    if (k < r->result.nnames && strcmp(r->result.names[k], model->names[k]) == 0)
        return k < r->result.nvalues ? r->result.values[k] : "";
    for (int i = 0; i < r->result.nnames && i < r->result.nvalues; i++)
        if (strcmp(r->result.names[i], model->names[k]) == 0) return r->result.values[i];
    return "";
}

/* n/a: the allocator does not report it, or the point has no results
 * (its status says which). */
static const char *mib(double bytes, char *buf) {
    if (isnan(bytes)) return "n/a";
    snprintf(buf, 32, "%.1f", bytes / (1024.0 * 1024.0));
    return buf;
}

static const char *num(double v, const char *fmt, char *buf) {
    if (isnan(v)) return "n/a";
    snprintf(buf, 32, fmt, v);
    return buf;
}

/* The grid columns, each as wide as its longest value. */
static void print_grid_header(FILE *f, char **names, int nnames, const point_row *rows, size_t n,
                              int *width) {
    for (int c = 0; c < nnames; c++) {
        width[c] = (int)strlen(names[c]);
        for (size_t i = 0; i < n; i++)
            if ((int)strlen(rows[i].fields[c]) > width[c]) width[c] = (int)strlen(rows[i].fields[c]);
    }
    for (int c = 0; c < nnames; c++) fprintf(f, "%-*s ", width[c], names[c]);
}

/* A defrag sweep's table: what each setting cost and bought. */
static void print_defrag_table(FILE *f, char **names, int nnames, const point_row *rows, size_t n) {
    int width[SWEEP_MAX_AXES + 1];
    print_grid_header(f, names, nnames, rows, n, width);
    fprintf(f, "%10s %9s %9s %11s %9s %6s  %s\n", "defrag_cpu", "rss_peak", "rss_final",
            "afrag_final", "moved", "pareto", "status");
    for (size_t i = 0; i < n; i++) {
        const point_row *r = &rows[i];
        char b[5][32];
        double nan = NAN;
#define G(name) (r->found ? result_row_get(&r->result, name) : nan)
        for (int c = 0; c < nnames; c++) fprintf(f, "%-*s ", width[c], r->fields[c]);
        fprintf(f, "%10s %9s %9s %11s %9s %6s  %s\n", num(G("final_active_defrag_cpu"), "%.3f", b[0]),
                mib(G("peak_used_memory_rss"), b[1]), mib(G("final_used_memory_rss"), b[2]),
                num(G("final_allocator_frag_ratio"), "%.4f", b[3]),
                mib(G("final_active_defrag_bytes"), b[4]), r->pareto ? "*" : "", r->status);
#undef G
    }
    fprintf(f, "# defrag_cpu: thread CPU seconds spent in active defrag; rss = used_memory_rss "
               "(the server's RSS, MiB), peak and final;\n# afrag_final: allocator fragmentation "
               "(allocator_active / allocator_allocated) at the end; moved: MiB moved by defrag;\n"
               "# pareto *: no other point has both less defrag CPU and less final RSS\n");
}

/* Marks the Pareto front of defrag CPU against final RSS (both to be
 * low); returns 1 when the sweep's runs did active defrag at all. */
static int mark_defrag_front(point_row *rows, size_t n) {
    int any = 0;
    for (size_t i = 0; i < n; i++)
        any |= rows[i].found && result_row_get(&rows[i].result, "final_active_defrag_cpu") > 0;
    if (!any) return 0;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    size_t *front = malloc(n * sizeof *front);
    if (x != NULL && y != NULL && front != NULL) {
        for (size_t i = 0; i < n; i++) {
            x[i] = rows[i].found ? result_row_get(&rows[i].result, "final_active_defrag_cpu") : NAN;
            y[i] = rows[i].found ? result_row_get(&rows[i].result, "final_used_memory_rss") : NAN;
        }
        size_t nf = report_pareto(x, y, n, front);
        for (size_t k = 0; k < nf; k++) rows[front[k]].pareto = 1;
    }
    free(x);
    free(y);
    free(front);
    return 1;
}

static void print_table(FILE *f, char **names, int nnames, const point_row *rows, size_t n) {
    int width[SWEEP_MAX_AXES + 1];
    print_grid_header(f, names, nnames, rows, n, width);
    fprintf(f, "%9s %9s %9s %10s %8s %9s %8s  %s\n", "rss_mean", "rss_peak", "rss_final",
            "purged", "npurge", "nmadvise", "wall_s", "status");
    for (size_t i = 0; i < n; i++) {
        const point_row *r = &rows[i];
        char b[7][32];
        double nan = NAN;
#define G(name) (r->found ? result_row_get(&r->result, name) : nan)
        for (int c = 0; c < nnames; c++) fprintf(f, "%-*s ", width[c], r->fields[c]);
        fprintf(f, "%9s %9s %9s %10s %8s %9s %8s  %s\n", mib(G("mean_used_memory_rss"), b[0]),
                mib(G("peak_used_memory_rss"), b[1]), mib(G("final_used_memory_rss"), b[2]),
                mib(G("final_allocator_purged"), b[3]), num(G("final_allocator_npurge"), "%.0f", b[4]),
                num(G("final_allocator_nmadvise"), "%.0f", b[5]), num(G("wall_time"), "%.2f", b[6]),
                r->status);
#undef G
    }
    fprintf(f, "# MiB.  rss = used_memory_rss (the server's RSS): mean over the samples, peak, final;\n"
               "# purged = allocator_purged, npurge / nmadvise = allocator_npurge / _nmadvise "
               "at the end (n/a: the allocator does not report it)\n");
}

int sweep_collect(const char *const *dirs, int ndirs, const char *out_dir,
                  const char *const *status, int quiet, size_t *missing, fs_err *err) {
    char path[1300];
    snprintf(path, sizeof path, "%s/points.csv", dirs[0]);
    char *text = result_read_file(path);
    if (text == NULL) return fs_errf(err, "cannot read %s: is %s a sweep directory?", path, dirs[0]);
    char *save, *line = strtok_r(text, "\n", &save);
    char *names[SWEEP_MAX_AXES + 1];
    int nnames = line ? csv_split(line, names, SWEEP_MAX_AXES + 1) : 0;
    if (nnames < 1 || strcmp(names[0], "id") != 0) {
        free(text);
        return fs_errf(err, "%s: expected a header starting with 'id'", path);
    }
    size_t cap = 64, n = 0;
    point_row *rows = calloc(cap, sizeof *rows);
    int rc = -1;
    FILE *csv = NULL, *table = NULL;
    const result_row *model = NULL;
    char csv_path[1300], table_path[1300];
    *missing = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        if (n == cap) {
            rows = realloc(rows, 2 * cap * sizeof *rows);
            memset(rows + cap, 0, cap * sizeof *rows);
            cap *= 2;
        }
        point_row *r = &rows[n];
        if (csv_split(line, r->fields, SWEEP_MAX_AXES + 1) != nnames) {
            fs_errf(err, "%s:%zu: expected %d fields", path, n + 2, nnames);
            goto out;
        }
        for (int d = 0; d < ndirs && !r->found; d++) {
            char pdir[1300], spath[1400];
            snprintf(pdir, sizeof pdir, "%s/%s", dirs[d], r->fields[0]);
            snprintf(spath, sizeof spath, "%s/summary.csv", pdir);
            fs_err why;
            if (result_row_load(&r->result, pdir, &why) == 0) {
                r->found = 1;
                r->oom = stopped_by_oom(pdir);
            } else {
                result_row_free(&r->result);
                /* A summary that is there but damaged: this point is
                 * reported as such, the others stand. */
                if (access(spath, F_OK) == 0 && r->bad[0] == '\0')
                    snprintf(r->bad, sizeof r->bad, "bad summary: %s", why.msg);
            }
        }
        r->status = r->bad[0] && !r->found ? r->bad
                    : status ? status[n] : r->found ? (r->oom ? "oom" : "ok") : "missing";
        if (!r->found) (*missing)++;
        if (r->found && model == NULL) model = &r->result;
        n++;
    }
    /* Both files are written beside their names and renamed at the end, so
     * a failed gathering leaves no half-written table behind. */
    snprintf(csv_path, sizeof csv_path, "%s/sweep.csv.partial", out_dir);
    snprintf(table_path, sizeof table_path, "%s/sweep.txt.partial", out_dir);
    snprintf(path, sizeof path, "%s", csv_path);
    if ((csv = fopen(path, "w")) == NULL) goto io;
    for (int c = 0; c < nnames; c++) {
        if (c) fputc(',', csv);
        csv_put_field(csv, names[c]);
    }
    int defrag = mark_defrag_front(rows, n);
    fputs(defrag ? ",status,defrag_pareto" : ",status", csv);
    if (model)
        for (int k = 0; k < model->nnames; k++) {
            fputc(',', csv);
            csv_put_field(csv, model->names[k]);
        }
    fputc('\n', csv);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < nnames; c++) {
            if (c) fputc(',', csv);
            csv_put_field(csv, rows[i].fields[c]);
        }
        fputc(',', csv);
        csv_put_field(csv, rows[i].status);
        if (defrag) fputs(rows[i].pareto ? ",1" : ",0", csv);
        if (model)
            for (int k = 0; k < model->nnames; k++) {
                fputc(',', csv);
                if (rows[i].found) csv_put_field(csv, field_named(&rows[i], model, k));
            }
        fputc('\n', csv);
    }
    snprintf(path, sizeof path, "%s", table_path);
    if ((table = fopen(path, "w")) == NULL) goto io;
    void (*print)(FILE *, char **, int, const point_row *, size_t) =
        defrag ? print_defrag_table : print_table;
    print(table, names, nnames, rows, n);
    if (!quiet) print(stdout, names, nnames, rows, n);
    if (ferror(csv) || ferror(table)) goto io;
    rc = 0;
    goto out;
io:
    fs_errf(err, "cannot write %s: %s", path, strerror(errno));
out:
    if (csv && fclose(csv) != 0 && rc == 0) rc = fs_errf(err, "cannot write sweep.csv: %s", strerror(errno));
    if (table && fclose(table) != 0 && rc == 0) rc = fs_errf(err, "cannot write sweep.txt: %s", strerror(errno));
    if (csv != NULL) {
        char final[1300];
        snprintf(final, sizeof final, "%s/sweep.csv", out_dir);
        if (rc == 0 && rename(csv_path, final) != 0) rc = fs_errf(err, "cannot write %s: %s", final, strerror(errno));
        snprintf(final, sizeof final, "%s/sweep.txt", out_dir);
        if (rc == 0 && table != NULL && rename(table_path, final) != 0)
            rc = fs_errf(err, "cannot write %s: %s", final, strerror(errno));
        if (rc != 0) {
            remove(csv_path);
            remove(table_path);
        }
    }
    for (size_t i = 0; i < n; i++) result_row_free(&rows[i].result);
    free(rows);
    free(text);
    return rc;
}
