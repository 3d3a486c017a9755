#include "resultset.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "whatif.h"

static int has(const char *dir, const char *file) {
    char p[1400];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return access(p, R_OK) == 0;
}

static int by_time(const void *a, const void *b) {
    double x = ((const rs_snapshot *)a)->t, y = ((const rs_snapshot *)b)->t;
    return x < y ? -1 : x > y;
}

static void find_snapshots(rs_run *r) {
    DIR *d = opendir(r->dir);
    if (d == NULL) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name, *label;
        int is_map = strncmp(name, "pagemap-", 8) == 0, is_bins = strncmp(name, "bins-", 5) == 0;
        size_t n = strlen(name);
        if ((!is_map && !is_bins) || n < 5 || strcmp(name + n - 4, ".csv") != 0) continue;
        label = name + (is_map ? 8 : 5);
        size_t ln = (size_t)(name + n - 4 - label);
        if (ln == 0 || ln >= sizeof r->snaps[0].label) continue;
        rs_snapshot *s = NULL;
        for (size_t i = 0; i < r->nsnaps && s == NULL; i++)
            if (strlen(r->snaps[i].label) == ln && strncmp(r->snaps[i].label, label, ln) == 0)
                s = &r->snaps[i];
        if (s == NULL) {
            if (r->nsnaps == RS_MAX_SNAPSHOTS) continue;
            s = &r->snaps[r->nsnaps++];
            memset(s, 0, sizeof *s);
            memcpy(s->label, label, ln);
            s->t = strtod(s->label, NULL);
        }
        if (is_map) s->pagemap = 1;
        else s->bins = 1;
    }
    closedir(d);
    qsort(r->snaps, r->nsnaps, sizeof *r->snaps, by_time);
}

int rs_load_run(rs_run *r, const char *dir, const char *label, fs_err *err) {
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    snprintf(r->label, sizeof r->label, "%s", label ? label : dir);
    char path[1400];
    snprintf(path, sizeof path, "%s/series.csv", dir);
    if (table_load(&r->series, path, err) != 0 ||
        table_check_measures(&r->series, path, "virtual_time", err) != 0)
        return -1;
    if (result_row_load(&r->summary, dir, err) != 0) return -1;
    for (int i = 0; i < r->summary.nnames; i++)
        if (strcmp(r->summary.names[i], "allocator") == 0)
            snprintf(r->allocator, sizeof r->allocator, "%s", r->summary.values[i]);
    find_snapshots(r);
    return 0;
}

void rs_free_run(rs_run *r) {
    table_free(&r->series);
    result_row_free(&r->summary);
}

const char *rs_snapshot_path(const rs_run *r, const rs_snapshot *s, const char *kind, char *buf,
                             size_t n) {
    snprintf(buf, n, "%s/%s-%s.csv", r->dir, kind, s->label);
    return buf;
}

/* compare's directory name for an allocator (sim/cli_compare.c). */
static void entry_dirname(const char *allocator, char *out, size_t n) {
    if (strncmp(allocator, "preload:", 8) == 0) {
        const char *slash = strrchr(allocator, '/');
        snprintf(out, n, "preload-%s", slash ? slash + 1 : allocator + 8);
    } else {
        snprintf(out, n, "%s", allocator);
    }
}

static int add_run(rs_group *g, const char *dir, const char *label, fs_err *err) {
    rs_run *runs = realloc(g->runs, (g->nruns + 1) * sizeof *runs);
    if (runs == NULL) return fs_errf(err, "out of memory");
    g->runs = runs;
    if (rs_load_run(&g->runs[g->nruns], dir, label, err) != 0) {
        rs_free_run(&g->runs[g->nruns]);
        return -1;
    }
    g->nruns++;
    return 0;
}

/* A row's status says its run left results: it finished ("ok") or ran
 * until the allocator under test was exhausted ("oom"). */
static int has_results(const char *status) {
    return strcmp(status, "ok") == 0 || strcmp(status, "oom") == 0;
}

static int load_compare(rs_group *g, fs_err *err) {
    char path[1400];
    snprintf(path, sizeof path, "%s/summary.csv", g->dir);
    if (table_load(&g->rows, path, err) != 0) return -1;
    int ca = table_col(&g->rows, "allocator"), cs = table_col(&g->rows, "status");
    if (ca < 0 || cs < 0) return fs_errf(err, "%s: no allocator and status columns", path);
    for (size_t i = 0; i < g->rows.nrows; i++) {
        if (!has_results(table_str(&g->rows, i, cs))) continue;
        const char *a = table_str(&g->rows, i, ca);
        char sub[600], dir[1400];
        entry_dirname(a, sub, sizeof sub);
        snprintf(dir, sizeof dir, "%s/%s", g->dir, sub);
        if (add_run(g, dir, a, err) != 0) return -1;
    }
    return 0;
}

static int load_sweep(rs_group *g, fs_err *err) {
    char path[1400];
    snprintf(path, sizeof path, "%s/sweep.csv", g->dir);
    if (!has(g->dir, "sweep.csv"))
        return fs_errf(err, "%s: no sweep.csv: gather the points first (fragsim sweep --collect "
                       "%s)", g->dir, g->dir);
    if (table_load(&g->rows, path, err) != 0) return -1;
    int cs = table_col(&g->rows, "status");
    if (table_col(&g->rows, "id") != 0 || cs < 1)
        return fs_errf(err, "%s: expected id, the grid, then status", path);
    g->naxes = cs - 1;
    size_t loaded = 0;
    for (size_t i = 0; i < g->rows.nrows && loaded < RS_MAX_SWEEP_RUNS; i++) {
        if (!has_results(table_str(&g->rows, i, cs))) continue;
        char label[512], dir[1400];
        int n = snprintf(label, sizeof label, "%s", table_str(&g->rows, i, 0));
        for (int a = 1; a <= g->naxes && n > 0 && (size_t)n < sizeof label; a++)
            n += snprintf(label + n, sizeof label - (size_t)n, " %s=%s", g->rows.names[a],
                          table_str(&g->rows, i, a));
        snprintf(dir, sizeof dir, "%s/%s", g->dir, table_str(&g->rows, i, 0));
        if (!has(dir, "series.csv")) continue; /* gathered from another copy */
        if (add_run(g, dir, label, err) != 0) return -1;
        rs_run *run = &g->runs[g->nruns - 1];
        snprintf(run->point, sizeof run->point, "%s", table_str(&g->rows, i, 0));
        for (int a = 1; a <= g->naxes && run->ngrid < RS_MAX_GRID; a++, run->ngrid++) {
            snprintf(run->grid_key[run->ngrid], sizeof run->grid_key[0], "%s", g->rows.names[a]);
            snprintf(run->grid_value[run->ngrid], sizeof run->grid_value[0], "%s",
                     table_str(&g->rows, i, a));
        }
        loaded++;
    }
    return 0;
}

/* A what-if's remedies, each the run in its directory; a remedy sharded
 * over processes has no run of its own (its shards are beneath it). */
static int load_whatif(rs_group *g, fs_err *err) {
    char path[1400];
    snprintf(path, sizeof path, "%s/whatif.csv", g->dir);
    if (table_load(&g->rows, path, err) != 0) return -1;
    int cr = table_col(&g->rows, "remedy"), csh = table_col(&g->rows, "shard");
    int cs = table_col(&g->rows, "status");
    if (cr < 0 || csh < 0 || cs < 0) return fs_errf(err, "%s: no remedy, shard and status columns",
                                                    path);
    size_t i = 0;
    for (size_t row = 0; row < g->rows.nrows; row++) {
        if (strcmp(table_str(&g->rows, row, csh), "total") != 0) continue;
        char name[256], dir[1400];
        whatif_run_dirname(i++, table_str(&g->rows, row, cr), name, sizeof name);
        snprintf(dir, sizeof dir, "%s/%s", g->dir, name);
        if (!has_results(table_str(&g->rows, row, cs)) || !has(dir, "series.csv")) continue;
        if (add_run(g, dir, table_str(&g->rows, row, cr), err) != 0) return -1;
    }
    return 0;
}

int rs_load(rs_group *g, const char *dir, fs_err *err) {
    memset(g, 0, sizeof *g);
    snprintf(g->dir, sizeof g->dir, "%s", dir);
    size_t n = strlen(g->dir);
    while (n > 1 && g->dir[n - 1] == '/') g->dir[--n] = '\0';
    struct stat st;
    if (stat(g->dir, &st) != 0) return fs_errf(err, "%s: no such results directory", dir);
    if (!S_ISDIR(st.st_mode)) return fs_errf(err, "%s: not a directory (expected a results "
                                             "directory)", dir);
    if (has(g->dir, "whatif.csv")) {
        g->kind = RS_WHATIF;
        return load_whatif(g, err);
    }
    if (has(g->dir, "compare.txt")) {
        g->kind = RS_COMPARE;
        return load_compare(g, err);
    }
    if (has(g->dir, "points.csv") || has(g->dir, "sweep.csv")) {
        g->kind = RS_SWEEP;
        return load_sweep(g, err);
    }
    if (has(g->dir, "series.csv") && has(g->dir, "summary.csv")) {
        g->kind = RS_RUN;
        return add_run(g, g->dir, g->dir, err);
    }
    return fs_errf(err, "%s is not a fragsim results directory (expected series.csv and "
                   "summary.csv, compare.txt, points.csv or whatif.csv)", dir);
}

void rs_free(rs_group *g) {
    for (size_t i = 0; i < g->nruns; i++) rs_free_run(&g->runs[i]);
    free(g->runs);
    table_free(&g->rows);
    memset(g, 0, sizeof *g);
}

rs_run **rs_all_runs(rs_group *groups, size_t ngroups, size_t *n) {
    size_t total = 0, k = 0;
    for (size_t i = 0; i < ngroups; i++) total += groups[i].nruns;
    rs_run **all = malloc((total ? total : 1) * sizeof *all);
    if (all == NULL) return NULL;
    for (size_t i = 0; i < ngroups; i++)
        for (size_t j = 0; j < groups[i].nruns; j++) all[k++] = &groups[i].runs[j];
    *n = total;
    return all;
}
