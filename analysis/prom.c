#include "prom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The *_bytes companions of the ratios and used_memory_peak are read from
 * series.csv's columns of INFO's names; results written before those
 * columns existed get them derived ("=a-b": a - b; "=peak": the running
 * maximum of used_memory).  (Redis 7.4's allocator_frag_bytes, the small
 * bins', has no derivation: only its column says it.) */
const prom_metric prom_metrics[] = {
    {"redis_up", "gauge", "=1", "1: the (simulated) server answered"},
    {"redis_memory_used_bytes", "gauge", "used_memory", "used_memory: usable bytes of live values"},
    {"redis_memory_used_rss_bytes", "gauge", "used_memory_rss",
     "used_memory_rss: the server's RSS (the heap's plus an empty server's)"},
    {"redis_memory_used_peak_bytes", "gauge", "=peak", "used_memory_peak: used_memory's maximum so far"},
    {"redis_allocator_allocated_bytes", "gauge", "allocator_allocated", "allocator_allocated"},
    {"redis_allocator_active_bytes", "gauge", "allocator_active", "allocator_active"},
    {"redis_allocator_resident_bytes", "gauge", "allocator_resident", "allocator_resident"},
    {"redis_mem_fragmentation_ratio", "gauge", "mem_fragmentation_ratio",
     "process fragmentation: used_memory_rss / (used_memory + used_memory_startup)"},
    {"redis_mem_fragmentation_bytes", "gauge", "=used_memory_rss-used_memory",
     "used_memory_rss - (used_memory + used_memory_startup)"},
    {"redis_allocator_frag_ratio", "gauge", "allocator_frag_ratio",
     "allocator fragmentation: allocator_active / allocator_allocated"},
    {"redis_allocator_frag_bytes", "gauge", "=allocator_active-allocator_allocated",
     "allocator_active - allocator_allocated"},
    {"redis_allocator_rss_ratio", "gauge", "allocator_rss_ratio",
     "allocator RSS overhead: allocator_resident / allocator_active"},
    {"redis_allocator_rss_bytes", "gauge", "=allocator_resident-allocator_active",
     "allocator_resident - allocator_active"},
    {"redis_rss_overhead_ratio", "gauge", "rss_overhead_ratio",
     "non-allocator RSS overhead: used_memory_rss / allocator_resident"},
    {"redis_rss_overhead_bytes", "gauge", "=used_memory_rss-allocator_resident",
     "used_memory_rss - allocator_resident"},
    {"redis_db_keys", "gauge", "keys", "live keys (db0)"},
    {"redis_expired_keys_total", "counter", "expired_keys", "keys expired so far"},
};
const size_t prom_nmetrics = sizeof prom_metrics / sizeof prom_metrics[0];

/* The metric's values over the samples (malloc'd, NAN: no value). */
static double *values(const rs_run *run, const prom_metric *m) {
    const table *s = &run->series;
    double *v = malloc((s->nrows ? s->nrows : 1) * sizeof *v);
    if (v == NULL) return NULL;
    /* INFO's field name, the metric's without "redis_" (or used_memory_peak). */
    int field = strcmp(m->column, "=peak") == 0 ? table_col(s, "used_memory_peak")
                                                 : table_col(s, m->name + 6);
    if (strcmp(m->column, "=1") == 0) {
        for (size_t i = 0; i < s->nrows; i++) v[i] = 1;
    } else if (m->column[0] == '=' && field >= 0) {
        for (size_t i = 0; i < s->nrows; i++) v[i] = table_num(s, i, field);
    } else if (strcmp(m->column, "=peak") == 0) {
        int c = table_col(s, "used_memory");
        double peak = NAN;
        for (size_t i = 0; i < s->nrows; i++) {
            double u = table_num(s, i, c);
            if (!isnan(u) && (isnan(peak) || u > peak)) peak = u;
            v[i] = peak;
        }
    } else if (m->column[0] == '=') {
        char a[64], *minus;
        snprintf(a, sizeof a, "%s", m->column + 1);
        minus = strchr(a, '-');
        *minus = '\0';
        int ca = table_col(s, a), cb = table_col(s, minus + 1);
        for (size_t i = 0; i < s->nrows; i++) v[i] = table_num(s, i, ca) - table_num(s, i, cb);
    } else {
        int c = table_col(s, m->column);
        for (size_t i = 0; i < s->nrows; i++) v[i] = table_num(s, i, c);
    }
    return v;
}

/* A label value: backslash, quote and newline escaped. */
static void label_value(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') fputc('\\', f);
        if (*s == '\n') fputs("\\n", f);
        else fputc(*s, f);
    }
}

/* A sweep point's grid values, each its own label, so that a query can
 * select and group by them: jemalloc.dirty_decay_ms=0 becomes
 * jemalloc_dirty_decay_ms="0" (label names allow [a-zA-Z0-9_] only).  The
 * allocator key is the allocator label already. */
static void grid_labels(FILE *f, const rs_run *run) {
    for (int g = 0; g < run->ngrid; g++) {
        const char *k = run->grid_key[g];
        if (strcmp(k, "allocator") == 0) continue;
        fputc(',', f);
        if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_')) fputc('_', f);
        for (; *k; k++)
            fputc((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
                          (*k >= '0' && *k <= '9') || *k == '_' ? *k : '_', f);
        fputs("=\"", f);
        label_value(f, run->grid_value[g]);
        fputc('"', f);
    }
}

int prom_write(FILE *f, rs_run *const *runs, size_t n, double start, int openmetrics) {
    for (size_t k = 0; k < prom_nmetrics; k++) {
        const prom_metric *m = &prom_metrics[k];
        /* OpenMetrics names a counter's family without its _total. */
        int strip = openmetrics && strcmp(m->type, "counter") == 0;
        int len = (int)strlen(m->name) - (strip ? 6 : 0);
        fprintf(f, "# HELP %.*s %s\n# TYPE %.*s %s\n", len, m->name, m->help, len, m->name, m->type);
        for (size_t r = 0; r < n; r++) {
            const rs_run *run = runs[r];
            int ct = table_col(&run->series, "virtual_time");
            double *v = values(run, m);
            if (v == NULL) return -1;
            for (size_t i = 0; i < run->series.nrows; i++) {
                if (isnan(v[i]) || isinf(v[i])) continue;
                double t = start + table_num(&run->series, i, ct);
                fprintf(f, "%s{job=\"fragsim\",instance=\"", m->name);
                label_value(f, run->ngrid > 0 ? run->point : run->label);
                fputs("\",allocator=\"", f);
                label_value(f, run->allocator);
                fputs("\"", f);
                grid_labels(f, run);
                if (strcmp(m->name, "redis_db_keys") == 0) fputs(",db=\"db0\"", f);
                if (openmetrics) fprintf(f, "} %.15g %.3f\n", v[i], t);
                else fprintf(f, "} %.15g %.0f\n", v[i], t * 1000);
            }
            free(v);
        }
    }
    if (openmetrics) fputs("# EOF\n", f);
    return ferror(f) ? -1 : 0;
}
