#include "whatif.h"

#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "result_rows.h"

/* The series columns a what-if row is computed from. */
/* RSS is the emulated server's (used_memory_rss): fragsim's own
 * structures are not in it, so a remedy that needs a bigger table in the
 * replay (a shard per key, a TTL per prefix) does not look costlier for
 * it, as no server would hold it; the server's start-up memory is, so
 * separate instances each pay it (and its used_memory_startup counts in
 * each one's process fragmentation). */
enum { C_VT, C_REQ, C_USED, C_ALLOC, C_ACTIVE, C_RSS, C_STARTUP, NCOLS };
static const char *const col_names[NCOLS] = {"virtual_time", "requested_bytes", "used_memory",
                                             "allocator_allocated", "allocator_active",
                                             "used_memory_rss", "used_memory_startup"};

typedef struct series {
    double *v[NCOLS];
    size_t n;
} series;

static void series_free(series *s) {
    for (int c = 0; c < NCOLS; c++) free(s->v[c]);
    memset(s, 0, sizeof *s);
}

/* A shard in an arena of the run's own process (shards.csv) has no RSS
 * of its own: its arena's resident bytes stand in. */
static const char *const arena_col_names[NCOLS] = {"virtual_time", "requested_bytes",
                                                   "used_memory", "allocator_allocated",
                                                   "allocator_active", "allocator_resident",
                                                   NULL};

/* Adds the CSV at path, columns `names`, into *s sample by sample (the
 * first one sets the sample times; the others must have the same, as
 * shards of one trace do: every shard sees the trace's clock events).
 * shard: only the rows whose shard column says so (shards.csv); NULL:
 * every row.  A NULL name is a column of zeros. */
static int series_load(series *s, const char *path, const char *const names[NCOLS],
                       const char *shard, fs_err *err) {
    char *text = result_read_file(path);
    if (text == NULL) return fs_errf(err, "cannot read %s", path);
    char *save, *line = strtok_r(text, "\n", &save);
    char *f[64];
    int idx[NCOLS], shard_idx = -1, nf = line ? csv_split(line, f, 64) : 0;
    for (int k = 0; shard && k < nf; k++)
        if (strcmp(f[k], "shard") == 0) shard_idx = k;
    for (int c = 0; c < NCOLS; c++) {
        idx[c] = -1;
        for (int k = 0; names[c] && k < nf; k++)
            if (strcmp(f[k], names[c]) == 0) idx[c] = k;
        if ((names[c] && idx[c] < 0) || (shard && shard_idx < 0)) {
            free(text);
            return fs_errf(err, "%s: no column %s", path, idx[c] < 0 ? names[c] : "shard");
        }
    }
    int first = s->v[0] == NULL;
    size_t row = 0;
    for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        nf = csv_split(line, f, 64);
        if (shard && (shard_idx >= nf || strcmp(f[shard_idx], shard) != 0)) continue;
        if (first) {
            for (int c = 0; c < NCOLS; c++) {
                double *nv = realloc(s->v[c], (row + 1) * sizeof(double));
                if (nv == NULL) {
                    free(text);
                    return fs_errf(err, "out of memory");
                }
                s->v[c] = nv;
                s->v[c][row] = 0;
            }
            s->n = row + 1;
        }
        if (row >= s->n) break;
        for (int c = 0; c < NCOLS; c++) {
            double x = idx[c] < 0 ? 0 : idx[c] < nf && *f[idx[c]] ? strtod(f[idx[c]], NULL) : NAN;
            /* The last sample is taken where each shard's replay ended
             * (its last event), which may differ by a few milliseconds. */
            if (c == C_VT && !first && x != s->v[C_VT][row] && row + 1 < s->n) {
                free(text);
                return fs_errf(err, "%s: sampled at %.3f s where the other shards were at "
                               "%.3f s", path, x, s->v[C_VT][row]);
            }
            if (c == C_VT) s->v[c][row] = first ? x : fmax(x, s->v[c][row]);
            else s->v[c][row] += x; /* NAN stays NAN: not reported by this allocator */
        }
        row++;
    }
    free(text);
    if (row != s->n) return fs_errf(err, "%s: %zu samples where the other shards have %zu", path,
                                    row, s->n);
    return 0;
}

/* Sample i's RSS and the used_memory it is over, the server's. */
static double rss_at(const series *s, size_t i) { return s->v[C_RSS][i]; }
static double server_used(const series *s, size_t i) {
    return s->v[C_USED][i] + s->v[C_STARTUP][i];
}

/* Adds dir/series.csv, a process's samples. */
static int series_add(series *s, const char *dir, fs_err *err) {
    char path[1400];
    snprintf(path, sizeof path, "%s/series.csv", dir);
    return series_load(s, path, col_names, NULL, err);
}

typedef struct figures {
    int ok;
    double rss_peak, rss_mean, rss_final, used_peak, used_final, req_peak, req_final;
    double frag_peak, frag_final, afrag_peak, afrag_final;
    double cpu;  /* the replay's CPU seconds (the remedy's setup left out) */
    double zstd; /* estimated CPU of compressing the values (--compress-sample), else 0 */
} figures;

/* What a remedy costs in CPU: the replay and, for compression, zstd. */
static double cpu_total(const figures *g) { return g->cpu + g->zstd; }

static double ratio(double a, double b) { return b > 0 && !isnan(a) ? a / b : NAN; }

/* Peaks, finals and ratios as a run's summary computes them: a ratio's
 * peak counts only samples with used_memory at least 10% of its peak. */
static void figures_of(const series *s, figures *g) {
    g->rss_peak = g->used_peak = g->req_peak = 0;
    g->frag_peak = g->afrag_peak = NAN;
    g->rss_mean = 0;
    for (size_t i = 0; i < s->n; i++) {
        /* Samples are evenly spaced in virtual time (but for the last), so
         * their mean is the time average of RSS: what the expiry phase,
         * where fragmentation lives, costs while it lasts. */
        g->rss_mean += rss_at(s, i) / (double)s->n;
        g->rss_peak = fmax(g->rss_peak, rss_at(s, i));
        g->used_peak = fmax(g->used_peak, s->v[C_USED][i]);
        g->req_peak = fmax(g->req_peak, s->v[C_REQ][i]);
    }
    for (size_t i = 0; i < s->n; i++) {
        if (!(s->v[C_USED][i] >= 0.1 * g->used_peak) || !(s->v[C_USED][i] > 0)) continue;
        double fr = ratio(rss_at(s, i), server_used(s, i));
        double af = ratio(s->v[C_ACTIVE][i], s->v[C_ALLOC][i]);
        if (!isnan(fr)) g->frag_peak = isnan(g->frag_peak) ? fr : fmax(g->frag_peak, fr);
        if (!isnan(af)) g->afrag_peak = isnan(g->afrag_peak) ? af : fmax(g->afrag_peak, af);
    }
    size_t l = s->n ? s->n - 1 : 0;
    g->rss_final = s->n ? rss_at(s, l) : NAN;
    g->used_final = s->n ? s->v[C_USED][l] : NAN;
    g->req_final = s->n ? s->v[C_REQ][l] : NAN;
    g->frag_final = s->n ? ratio(rss_at(s, l), server_used(s, l)) : NAN;
    g->afrag_final = s->n ? ratio(s->v[C_ACTIVE][l], s->v[C_ALLOC][l]) : NAN;
}

/* Shard k of a remedy whose shards shared its one process, each in an
 * arena: its rows of shards.csv.  Its RSS figures are the arena's
 * allocator_resident; the process's fragmentation ratio and CPU are the
 * whole process's, not a shard's, and are left out. */
static int gather_arena(const whatif_entry *e, int k, figures *g, fs_err *err) {
    memset(g, 0, sizeof *g);
    if (!e->ok[0]) return 0;
    series s = {0};
    char path[1400];
    snprintf(path, sizeof path, "%s/shards.csv", e->dir[0]);
    if (series_load(&s, path, arena_col_names, e->shard_label[k], err) != 0) {
        series_free(&s);
        return -1;
    }
    figures_of(&s, g);
    series_free(&s);
    g->frag_peak = g->frag_final = g->cpu = g->zstd = NAN;
    g->ok = 1;
    return 0;
}

/* One process's figures, or the sum of several's. */
static int gather(const whatif_entry *e, int first, int count, figures *g, fs_err *err) {
    memset(g, 0, sizeof *g);
    series s = {0};
    for (int k = first; k < first + count; k++) {
        if (!e->ok[k]) return 0;
        result_row r;
        if (series_add(&s, e->dir[k], err) != 0 || result_row_load(&r, e->dir[k], err) != 0) {
            series_free(&s);
            return -1;
        }
        /* The sample's measurement and the TTL pre-pass ran before the
         * replay and are not what the remedy costs a server. */
        double setup = result_row_get(&r, "remedy_setup_cpu_seconds");
        double zstd = result_row_get(&r, "compress_cpu_seconds");
        g->cpu += result_row_get(&r, "cpu_time") - (isnan(setup) ? 0 : setup);
        g->zstd += isnan(zstd) ? 0 : zstd;
        result_row_free(&r);
    }
    figures_of(&s, g);
    series_free(&s);
    g->ok = 1;
    return 0;
}

static const char *mib(double b, char *buf) {
    if (isnan(b)) return "-";
    snprintf(buf, 32, "%.1f", b / (1024.0 * 1024.0));
    return buf;
}

static const char *num(double v, const char *fmt, char *buf) {
    if (isnan(v)) return "-";
    snprintf(buf, 32, fmt, v);
    return buf;
}

static double change(double v, double base) {
    return base > 0 && !isnan(v) ? 100.0 * (v - base) / base : NAN;
}

static void put_num(FILE *f, double v, const char *fmt) {
    fputc(',', f);
    if (!isnan(v)) fprintf(f, fmt, v);
}

void whatif_run_dirname(size_t i, const char *remedy, char *out, size_t n) {
    snprintf(out, n, "%02zu-%s", i, remedy);
    for (char *c = out; *c; c++)
        if (*c == '/' || *c == ':' || *c == '+') *c = '_';
}

/* Rows beneath the total: a process or an arena per shard. */
static int nsub(const whatif_entry *e) {
    return e->narenas ? e->narenas : e->nshards > 1 ? e->nshards : 0;
}

/* Row k beneath the total: its process's status (an arena's is the one
 * process's). */
static const char *sub_status(const whatif_entry *e, int k) {
    int q = e->narenas ? 0 : k;
    return e->ok[q] ? "ok" : e->status[q];
}

static const char *status_of(const whatif_entry *e) {
    for (int k = 0; k < e->nshards; k++)
        if (!e->ok[k]) return e->status[k];
    return "ok";
}

static void print_row(FILE *f, const char *name, const figures *g, const figures *base,
                      const char *status) {
    char b[15][32];
    fprintf(f, "%-30s %9s %9s %9s %9s %9s %7s %7s %7s %7s %8s %7s %8s %8s %8s %7s  %s\n", name,
            mib(g->ok ? g->rss_peak : NAN, b[0]), mib(g->ok ? g->rss_mean : NAN, b[12]),
            mib(g->ok ? g->rss_final : NAN, b[1]),
            mib(g->ok ? g->used_peak : NAN, b[2]), mib(g->ok ? g->req_peak : NAN, b[3]),
            num(g->ok ? g->frag_peak : NAN, "%.3f", b[4]),
            num(g->ok ? g->frag_final : NAN, "%.3f", b[5]),
            num(g->ok ? g->afrag_peak : NAN, "%.3f", b[6]),
            num(g->ok ? g->afrag_final : NAN, "%.3f", b[7]), num(g->ok ? g->cpu : NAN, "%.2f", b[8]),
            num(g->ok ? g->zstd : NAN, "%.2f", b[14]),
            num(g->ok && base ? change(g->rss_peak, base->rss_peak) : NAN, "%+.1f%%", b[9]),
            num(g->ok && base ? change(g->rss_mean, base->rss_mean) : NAN, "%+.1f%%", b[13]),
            num(g->ok && base ? change(g->rss_final, base->rss_final) : NAN, "%+.1f%%", b[10]),
            num(g->ok && base ? change(cpu_total(g), cpu_total(base)) : NAN, "%+.1f%%", b[11]),
            status);
}

static void print_table(FILE *f, const whatif_entry *e, size_t n, const figures *tot,
                        figures *const *sub, const whatif_headroom *h) {
    fprintf(f, "%-30s %9s %9s %9s %9s %9s %7s %7s %7s %7s %8s %7s %8s %8s %8s %7s  %s\n", "remedy",
            "rss_peak", "rss_mean", "rss_final", "used_peak", "req_peak", "frag_pk", "frag_fn",
            "afrag_pk", "afrag_fn", "cpu_s", "zstd_s", "d_rss_pk", "d_rss_mn", "d_rss_fn", "d_cpu",
            "status");
    const figures *base = tot[0].ok ? &tot[0] : NULL;
    for (size_t i = 0; i < n; i++) {
        print_row(f, e[i].remedy, &tot[i], base, status_of(&e[i]));
        for (int k = 0; k < nsub(&e[i]); k++) {
            char name[160];
            snprintf(name, sizeof name, "  %s %s %s", e[i].narenas ? "arena" : "shard",
                     e[i].shard_label[k], e[i].shard_class[k]);
            print_row(f, name, &sub[i][k], NULL, sub_status(&e[i], k));
        }
    }
    fprintf(f, "# MiB.  rss = used_memory_rss (the server's: fragsim's own memory left out); used = "
               "used_memory; req = requested_bytes (what the trace asked for, after the remedy)\n"
               "# frag = mem_fragmentation_ratio (process: rss / (used_memory + "
               "used_memory_startup)); afrag = "
               "allocator_frag_ratio (allocator_active / allocator_allocated)\n"
               "# pk: peak (ratios: while used_memory >= 10%% of its peak); mean / mn: over the run; "
               "fn: at the end.  "
               "cpu_s: CPU seconds of the replay process(es)\n"
               "# zstd_s: CPU seconds compressing the values would cost (bytes compressed x "
               "the cost per byte measured on --compress-sample); d_cpu counts cpu_s + zstd_s\n"
               "# d_*: change against the baseline.  Sharded rows: the shards' processes added "
               "sample by sample, each shard beneath\n"
               "# arena rows: shards in arenas of one process (the total is that process); "
               "their rss_* are the arena's allocator_resident, frag and cpu are not a shard's\n");
    if (!base) return;
    char b[4][32];
    fprintf(f, "\n# Headroom for maxmemory %s MiB (%s), safety margin %.0f%%; rule of thumb: a "
               "container limit 30-50%% above maxmemory\n",
            mib((double)h->maxmemory, b[0]), h->maxmemory_from, h->margin * 100);
    fprintf(f, "%-30s %11s %11s %10s  %s\n", "remedy", "limit_MiB", "limit+margin", "headroom",
            "against 30-50%");
    for (size_t i = 0; i < n; i++) {
        if (!tot[i].ok) continue;
        double lim = tot[i].rss_peak, limm = lim * (1 + h->margin);
        double hr = h->maxmemory ? 100.0 * (limm / (double)h->maxmemory - 1) : NAN;
        /* Above 50% the rule's largest limit would be crossed (the OOM
         * kill); below 30% even its smallest limit is enough. */
        const char *verdict = isnan(hr) ? "-" : hr > 50 ? "above 50%: the rule's limit is too small"
                            : hr >= 30 ? "within 30-50%" : "below 30%: the rule's limit suffices";
        fprintf(f, "%-30s %11s %11s %10s  %s\n", e[i].remedy, mib(lim, b[1]), mib(limm, b[2]),
                num(hr, "%+.0f%%", b[3]), verdict);
    }
    fprintf(f, "# limit = peak RSS (all processes); headroom = (limit + margin) over maxmemory\n");
}

static void csv_row(FILE *f, const char *remedy, const char *shard, int procs, const char *status,
                    const figures *g, const figures *base, const whatif_headroom *h,
                    const char *cls, const char *heap) {
    csv_put_field(f, remedy);
    fputc(',', f);
    csv_put_field(f, shard);
    fprintf(f, ",%d,", procs);
    csv_put_field(f, status);
    double nan = NAN;
    const double v[] = {g->rss_peak, g->rss_mean, g->rss_final, g->used_peak, g->used_final, g->req_peak,
                        g->req_final};
    for (size_t k = 0; k < sizeof v / sizeof *v; k++) put_num(f, g->ok ? v[k] : nan, "%.0f");
    const double r[] = {g->frag_peak, g->frag_final, g->afrag_peak, g->afrag_final};
    for (size_t k = 0; k < sizeof r / sizeof *r; k++) put_num(f, g->ok ? r[k] : nan, "%.4f");
    put_num(f, g->ok ? g->cpu : nan, "%.3f");
    put_num(f, g->ok ? g->zstd : nan, "%.3f");
    int b = g->ok && base != NULL;
    put_num(f, b ? change(g->rss_peak, base->rss_peak) : nan, "%.2f");
    put_num(f, b ? change(g->rss_mean, base->rss_mean) : nan, "%.2f");
    put_num(f, b ? change(g->rss_final, base->rss_final) : nan, "%.2f");
    put_num(f, b ? change(g->used_peak, base->used_peak) : nan, "%.2f");
    put_num(f, b ? change(cpu_total(g), cpu_total(base)) : nan, "%.2f");
    /* A container holds a process: an arena shard has none of its own. */
    double limm = g->ok && procs > 0 ? g->rss_peak * (1 + h->margin) : nan;
    put_num(f, limm, "%.0f");
    put_num(f, h->maxmemory ? 100.0 * (limm / (double)h->maxmemory - 1) : nan, "%.2f");
    fputc(',', f);
    csv_put_field(f, cls);
    fputc(',', f);
    csv_put_field(f, heap);
    fputc('\n', f);
}

int whatif_write(const char *dir, const whatif_entry *e, size_t n, whatif_headroom *h,
                 int quiet, fs_err *err) {
    figures *tot = calloc(n, sizeof *tot);
    figures **sub = calloc(n, sizeof *sub);
    int rc = -1;
    FILE *csv = NULL, *txt = NULL;
    char path[1400];
    if (tot == NULL || sub == NULL) goto oom;
    for (size_t i = 0; i < n; i++) {
        if ((sub[i] = calloc((size_t)nsub(&e[i]) + 1, sizeof **sub)) == NULL) goto oom;
        if (gather(&e[i], 0, e[i].nshards, &tot[i], err) != 0) goto out;
        for (int k = 0; k < nsub(&e[i]); k++)
            if ((e[i].narenas ? gather_arena(&e[i], k, &sub[i][k], err)
                              : gather(&e[i], k, 1, &sub[i][k], err)) != 0)
                goto out;
    }
    if (h->maxmemory == 0 && tot[0].ok) {
        h->maxmemory = (uint64_t)tot[0].used_peak;
        h->maxmemory_from = "none given: the baseline's peak used_memory, the least that never "
                            "evicts";
    }
    snprintf(path, sizeof path, "%s/whatif.csv", dir);
    if ((csv = fopen(path, "w")) == NULL) goto io;
    fputs("remedy,shard,processes,status,rss_peak,rss_mean,rss_final,used_memory_peak,used_memory_final,"
          "requested_peak,requested_final,mem_fragmentation_ratio_peak,"
          "mem_fragmentation_ratio_final,allocator_frag_ratio_peak,allocator_frag_ratio_final,"
          "cpu_seconds,compress_cpu_seconds,rss_peak_change_pct,rss_mean_change_pct,rss_final_change_pct,used_memory_peak_change_pct,"
          "cpu_change_pct,container_limit,headroom_pct,shard_class,shard_heap\n", csv);
    for (size_t i = 0; i < n; i++) {
        csv_row(csv, e[i].remedy, "total", e[i].nshards, status_of(&e[i]), &tot[i],
                tot[0].ok ? &tot[0] : NULL, h, "", "");
        for (int k = 0; k < nsub(&e[i]); k++) {
            csv_row(csv, e[i].remedy, e[i].shard_label[k], e[i].narenas ? 0 : 1,
                    sub_status(&e[i], k), &sub[i][k], NULL, h,
                    e[i].shard_class[k], e[i].narenas ? "arena" : "process");
        }
    }
    snprintf(path, sizeof path, "%s/whatif.txt", dir);
    if ((txt = fopen(path, "w")) == NULL) goto io;
    print_table(txt, e, n, tot, sub, h);
    if (ferror(csv) || ferror(txt)) goto io;
    if (!quiet) print_table(stdout, e, n, tot, sub, h);
    rc = 0;
    goto out;
oom:
    fs_errf(err, "out of memory");
    goto out;
io:
    fs_errf(err, "cannot write %s: %s", path, strerror(errno));
out:
    if (csv && fclose(csv) != 0 && rc == 0) rc = fs_errf(err, "cannot write whatif.csv: %s", strerror(errno));
    if (txt && fclose(txt) != 0 && rc == 0) rc = fs_errf(err, "cannot write whatif.txt: %s", strerror(errno));
    for (size_t i = 0; sub && i < n; i++) free(sub[i]);
    free(sub);
    free(tot);
    return rc;
}

/* What the checklist needs from the baseline's samples: the fragmentation
 * peak in bytes, when Redis's defrag start rule would first hold, and the
 * seed's alerts. */
static void baseline_measures(const series *b, const checklist_settings *cs,
                              checklist_measures *cm) {
    cm->frag_bytes_peak = 0;
    cm->defrag_start_at = NAN;
    double *fr = malloc((b->n ? b->n : 1) * sizeof *fr);
    double *rs = malloc((b->n ? b->n : 1) * sizeof *rs);
    if (rs == NULL) {
        free(fr);
        fr = NULL;
    }
    for (size_t i = 0; i < b->n; i++) {
        double alloc = b->v[C_ALLOC][i], active = b->v[C_ACTIVE][i];
        double bytes = active - alloc, pct = alloc > 0 ? 100.0 * (active / alloc - 1) : NAN;
        if (!isnan(bytes)) cm->frag_bytes_peak = fmax(cm->frag_bytes_peak, bytes);
        if (isnan(cm->defrag_start_at) && pct >= cs->threshold_lower &&
            bytes >= (double)cs->ignore_bytes)
            cm->defrag_start_at = b->v[C_VT][i];
        if (fr) fr[i] = ratio(rss_at(b, i), b->v[C_USED][i]);
        if (fr) rs[i] = rss_at(b, i);
    }
    cm->duration = b->n ? b->v[C_VT][b->n - 1] : 0;
    /* The RSS alert gets the largest limit the rule of thumb allows. */
    double limit = 1.5 * (double)cs->maxmemory;
    alert_rule rules[3];
    cm->nalerts = fr ? alerts_seed(limit, rules) : 0;
    for (size_t a = 0; a < cm->nalerts; a++) {
        int rss = strcmp(rules[a].column, "used_memory_rss") == 0;
        alert_result res;
        alerts_eval(b->v[C_VT], rss ? rs : fr, b->n, rules[a].threshold, rules[a].for_s,
                    &res);
        checklist_alert *al = &cm->alerts[a];
        al->name = rules[a].name;
        if (rss)
            snprintf(al->expr, sizeof al->expr, "used_memory_rss > 0.85 x %.1f MiB for %.0fm "
                     "(limit 1.5 x maxmemory)", limit / (1024.0 * 1024.0), rules[a].for_s / 60);
        else
            snprintf(al->expr, sizeof al->expr, "%s", rules[a].expr);
        al->first_fired = res.first_fired;
        al->longest = res.episodes ? res.longest : 0;
        al->worst = res.episodes ? res.worst : NAN;
    }
    free(fr);
    free(rs);
}

int whatif_checklist(const char *dir, const whatif_entry *e, const whatif_headroom *h,
                     checklist_settings *cs, checklist_measures *cm, int quiet, fs_err *err) {
    cs->maxmemory = h->maxmemory;
    cs->maxmemory_from = h->maxmemory_from;
    cs->margin = h->margin;
    cm->rss_peak = cm->afrag_peak = NAN;
    cm->defrag_start_at = NAN;
    cm->nalerts = 0;
    figures base;
    if (gather(e, 0, 1, &base, err) != 0) return -1;
    if (base.ok) {
        series s = {0};
        if (series_add(&s, e->dir[0], err) != 0) return -1;
        cm->rss_peak = base.rss_peak;
        cm->afrag_peak = base.afrag_peak;
        baseline_measures(&s, cs, cm);
        series_free(&s);
    }
    checklist_item items[CHECKLIST_MAX_ITEMS];
    size_t n = checklist_eval(cs, cm, items);
    char path[1400];
    const char *names[2] = {"checklist.txt", "checklist.csv"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        FILE *f = fopen(path, "w");
        if (f == NULL) return fs_errf(err, "cannot write %s: %s", path, strerror(errno));
        if (k == 0) checklist_print(f, items, n);
        else checklist_csv(f, items, n);
        if (ferror(f) | fclose(f)) return fs_errf(err, "cannot write %s: %s", path, strerror(errno));
    }
    if (!quiet) {
        putchar('\n');
        checklist_print(stdout, items, n);
    }
    return 0;
}
