#include "doctor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "svg.h"

#define MB (1024.0 * 1024.0)

const char *doctor_time(double t, char *buf) {
    if (isnan(t)) return strcpy(buf, "-");
    t = round(t);
    if (t < 120) snprintf(buf, 48, "%.0f s", t);
    else if (t < 7200) snprintf(buf, 48, "%.0f s (%dm%02ds)", t, (int)(t / 60), (int)fmod(t, 60));
    else snprintf(buf, 48, "%.0f s (%dh%02dm)", t, (int)(t / 3600), (int)fmod(t / 60, 60));
    return buf;
}

static const char *dur(double s, char *buf) {
    s = round(s);
    if (s < 120) snprintf(buf, 48, "%.0f s", s);
    else if (s < 7200) snprintf(buf, 48, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else snprintf(buf, 48, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    return buf;
}

static const char *bytes(double v, char *buf) { return svg_format(v, SVG_BYTES, buf); }

typedef struct cols {
    size_t n;
    double *t, *used, *rss, *alloc, *active, *resident, *dirty;
    double *mem_frag, *alloc_frag, *alloc_rss, *rss_over;
    double *frag_bytes; /* allocator_frag_bytes: the version's (Redis 7.4: small bins') */
} cols;

static void cols_load(cols *c, const rs_run *r) {
    const table *s = &r->series;
    c->n = s->nrows;
    c->t = table_column(s, "virtual_time");
    c->used = table_column(s, "used_memory");
    c->rss = table_column(s, "used_memory_rss");
    c->alloc = table_column(s, "allocator_allocated");
    c->active = table_column(s, "allocator_active");
    c->resident = table_column(s, "allocator_resident");
    c->dirty = table_column(s, "allocator_dirty");
    c->mem_frag = table_column(s, "mem_fragmentation_ratio");
    c->alloc_frag = table_column(s, "allocator_frag_ratio");
    c->alloc_rss = table_column(s, "allocator_rss_ratio");
    c->rss_over = table_column(s, "rss_overhead_ratio");
    c->frag_bytes = table_column(s, "allocator_frag_bytes");
    /* The server's used_memory holds its start-up memory too (results
     * written before used_memory_startup was kept have none). */
    double *startup = table_column(s, "used_memory_startup");
    for (size_t i = 0; startup != NULL && c->used != NULL && i < c->n; i++)
        if (!isnan(startup[i])) c->used[i] += startup[i];
    free(startup);
}

static void cols_free(cols *c) {
    double *all[] = {c->t, c->used, c->rss, c->alloc, c->active, c->resident, c->dirty,
                     c->mem_frag, c->alloc_frag, c->alloc_rss, c->rss_over, c->frag_bytes};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}

/* ---- MEMORY DOCTOR ---- */

enum { MD_PEAK, MD_RSS, MD_ALLOC_FRAG, MD_ALLOC_RSS, MD_PROC_RSS, MD_NRULES };

static const struct {
    const char *name, *cond, *advice;
} md_rules[MD_NRULES] = {
    {"Peak memory", "used_memory_peak / used_memory > 1.5",
     "The allocator seldom returns what a peak left behind; MEMORY PURGE may reclaim some"},
    {"High total RSS", "mem_fragmentation_ratio > 1.4 and RSS - used_memory > 10 MB",
     "RSS is well above the data: a past peak, or a workload that fragments the allocator"},
    {"High allocator fragmentation", "allocator_frag_ratio > 1.1 and allocator_frag_bytes > 10 MB",
     "Holes inside pages that still hold live values: Redis suggests activedefrag"},
    {"High allocator RSS overhead", "allocator_rss_ratio > 1.1 and resident - active > 10 MB",
     "Free pages the allocator keeps resident: Redis suggests MEMORY PURGE"},
    {"High non-allocator RSS", "rss_overhead_ratio > 1.1 and RSS - allocator_resident > 10 MB",
     "RSS outside the allocator (here: the server's code, libraries and start-up memory)"},
};
/* The statistics each rule reads that an allocator may not report. */
static const char *const md_needs[MD_NRULES] = {
    [MD_ALLOC_FRAG] = "allocator_active", [MD_ALLOC_RSS] = "allocator_active and _resident",
    [MD_PROC_RSS] = "allocator_resident"};

/* Whether rule k applies at sample i; *ratio and *over get its figures. */
static int md_applies(const cols *c, size_t i, int k, double peak, double *ratio, double *over) {
    double u = c->used[i];
    switch (k) {
    case MD_PEAK: *ratio = peak / u, *over = peak - u; return *ratio > 1.5;
    case MD_RSS: *ratio = c->mem_frag[i], *over = c->rss[i] - u; break;
    case MD_ALLOC_FRAG:
        *ratio = c->alloc_frag[i];
        *over = c->frag_bytes != NULL ? c->frag_bytes[i] : c->active[i] - c->alloc[i];
        break;
    case MD_ALLOC_RSS: *ratio = c->alloc_rss[i], *over = c->resident[i] - c->active[i]; break;
    case MD_PROC_RSS: *ratio = c->rss_over[i], *over = c->rss[i] - c->resident[i]; break;
    }
    double limit = k == MD_RSS ? 1.4 : 1.1;
    return !isnan(*ratio) && !isnan(*over) && *ratio > limit && *over > 10 * MB;
}

static void memory_doctor(FILE *f, const cols *c) {
    char a[48], b[48], x[32];
    fprintf(f, "MEMORY DOCTOR (Redis 7's rules, as it would have answered at each sample)\n");
    if (c->n == 0) return;
    size_t last = c->n - 1;
    double peak = 0;
    struct {
        size_t count, measured; /* samples where it held; where it could be read */
        double first, last, worst, worst_at, worst_over;
    } st[MD_NRULES];
    memset(st, 0, sizeof st);
    int at_end[MD_NRULES] = {0};
    for (size_t i = 0; i < c->n; i++) {
        if (c->used[i] > peak) peak = c->used[i];
        int empty = isnan(c->used[i]) || c->used[i] < 5 * MB; /* Redis: "empty" */
        for (int k = 0; k < MD_NRULES; k++) {
            double r, over;
            int applies = md_applies(c, i, k, peak, &r, &over);
            if (!isnan(r) && !isnan(over)) st[k].measured++;
            if (empty || !applies) continue;
            if (st[k].count++ == 0) st[k].first = c->t[i];
            st[k].last = c->t[i];
            if (st[k].count == 1 || r > st[k].worst)
                st[k].worst = r, st[k].worst_at = c->t[i], st[k].worst_over = over;
            if (i == last) at_end[k] = 1;
        }
    }
    if (isnan(c->used[last]) || c->used[last] < 5 * MB)
        fprintf(f, "  At the end (%s): used_memory %s is under 5 MB: Redis would call the "
                   "instance empty and diagnose nothing.\n", doctor_time(c->t[last], a),
                bytes(c->used[last], x));
    else {
        int any = 0;
        fprintf(f, "  At the end (%s):", doctor_time(c->t[last], a));
        for (int k = 0; k < MD_NRULES; k++)
            if (at_end[k]) fprintf(f, "%s %s", any++ ? "," : "", md_rules[k].name);
        fprintf(f, "%s\n", any ? "." : " no rule applies (\"Sam, I have no memory problems\").");
    }
    for (int k = 0; k < MD_NRULES; k++) {
        if (st[k].count == 0 && st[k].measured == 0 && md_needs[k] != NULL) {
            fprintf(f, "  - %s (%s): n/a (this allocator does not report %s).\n",
                    md_rules[k].name, md_rules[k].cond, md_needs[k]);
            continue;
        }
        if (st[k].count == 0) {
            fprintf(f, "  - %s (%s): never.\n", md_rules[k].name, md_rules[k].cond);
            continue;
        }
        fprintf(f, "  - %s (%s): from %s", md_rules[k].name, md_rules[k].cond,
                doctor_time(st[k].first, a));
        fprintf(f, " to %s, at %zu samples; worst %.2f at %s (%s over).\n    %s.\n",
                doctor_time(st[k].last, b), st[k].count, st[k].worst,
                doctor_time(st[k].worst_at, a), bytes(st[k].worst_over, x), md_rules[k].advice);
    }
}

/* ---- which fragmentation ---- */

static void which_fragmentation(FILE *f, const cols *c) {
    char a[48], x[32], y[32], z[32], w[32];
    double peak = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->used[i] > peak) peak = c->used[i];
    size_t worst = c->n;
    for (size_t i = 0; i < c->n; i++)
        if (!isnan(c->mem_frag[i]) && c->used[i] >= 0.10 * peak &&
            (worst == c->n || c->mem_frag[i] > c->mem_frag[worst]))
            worst = i;
    fprintf(f, "\nWhich fragmentation\n");
    if (worst == c->n) {
        fprintf(f, "  No sample holds enough data for a ratio to mean anything.\n");
        return;
    }
    size_t i = worst;
    fprintf(f, "  Process fragmentation (mem_fragmentation_ratio = RSS / used_memory, the seed's "
               "\"fragmentation ratio\") was worst at %s: %.2f, RSS %s over used_memory %s.\n",
            doctor_time(c->t[i], a), c->mem_frag[i], bytes(c->rss[i], x), bytes(c->used[i], y));
    if (isnan(c->active[i]) || isnan(c->resident[i]) || isnan(c->alloc[i])) {
        fprintf(f, "  This allocator reports no statistics: the excess cannot be split.\n");
        return;
    }
    double holes = c->active[i] - c->alloc[i], freep = c->resident[i] - c->active[i];
    double outside = c->rss[i] - c->resident[i], total = c->rss[i] - c->used[i];
    fprintf(f, "  Of the %s above used_memory then:\n"
               "    %s allocator fragmentation (allocator_frag_ratio %.2f): holes in pages that "
               "still hold live values\n"
               "    %s allocator RSS overhead (allocator_rss_ratio %.2f): free pages kept resident, "
               "not yet returned\n"
               "    %s outside the allocator (rss_overhead_ratio %.2f)\n",
            bytes(total, x), bytes(holes, y), c->alloc_frag[i], bytes(freep, z), c->alloc_rss[i],
            bytes(outside, w), c->rss_over[i]);
    const char *name = holes >= freep && holes >= outside ? "allocator fragmentation: only moving "
                       "live values (active defrag) or fewer size classes mixing lifetimes help"
                       : freep >= outside ? "allocator RSS overhead: free pages not yet returned; "
                       "a shorter decay or MEMORY PURGE returns them"
                       : "RSS outside the allocator";
    fprintf(f, "  Mostly %s.\n", name);
}

/* ---- alerts and limits ---- */

static void alerts_section(FILE *f, const cols *c, double limit) {
    char a[48], b[48], d1[48], d2[48], x[32];
    alert_rule rules[3];
    size_t nr = alerts_seed(limit, rules);
    double step = c->n > 1 ? (c->t[c->n - 1] - c->t[0]) / (double)(c->n - 1) : 0;
    fprintf(f, "\nAlerts (the seed's Prometheus rules, evaluated at every sample, about every %.0f "
               "s, as if it were the scrape interval)\n", step);
    for (size_t k = 0; k < nr; k++) {
        const double *v = strcmp(rules[k].column, "used_memory_rss") == 0 ? c->rss : c->mem_frag;
        alert_result r;
        alerts_eval(c->t, v, c->n, rules[k].threshold, rules[k].for_s, &r);
        fprintf(f, "  %-8s %s\n", rules[k].severity, rules[k].expr);
        if (!isnan(r.first_fired)) {
            fprintf(f, "           fires at %s: the condition had held since %s", doctor_time(r.first_fired, a),
                    doctor_time(r.first_pending, b));
            if (!isnan(r.first_resolved)) fprintf(f, "; resolved at %s", doctor_time(r.first_resolved, a));
            fprintf(f, "%s\n", r.firings > 1 ? " (and fired again later)" : "");
        } else if (isnan(r.first_pending)) {
            fprintf(f, "           never fires: the condition never held\n");
        } else {
            fprintf(f, "           never fires: the condition held %s at most (%s to %s), short of "
                       "the %s it needs\n", dur(r.longest, d1), doctor_time(r.longest_from, a),
                    doctor_time(r.longest_to, b), dur(rules[k].for_s, d2));
        }
    }
    if (!(limit > 0)) {
        fprintf(f, "  (give --container-limit SIZE for the RSS rule and the OOM moment)\n");
        return;
    }
    size_t i = alerts_first_above(c->rss, c->n, limit);
    fprintf(f, "  OOM: container limit %s: ", bytes(limit, x));
    if (i == c->n) {
        double hi = 0, lo = 0;
        svg_extent(c->rss, c->n, &lo, &hi);
        fprintf(f, "RSS never crossed it (at most %s, %.0f%% of the limit)\n", bytes(hi, x),
                100 * hi / limit);
    } else {
        fprintf(f, "RSS %s crossed it at %s", bytes(c->rss[i], x), doctor_time(c->t[i], a));
        if (i > 0) fprintf(f, " (it was under it at %s): the OOM killer would have ended the "
                              "process then, and nothing after that moment would have happened\n",
                           doctor_time(c->t[i - 1], b));
        else fputs(": at the first sample\n", f);
    }
}

/* Redis's activedefrag start rule with its default thresholds. */
static void defrag_start(FILE *f, const cols *c) {
    char a[48], x[32];
    double best = 0;
    size_t measured = 0;
    for (size_t i = 0; i < c->n; i++) {
        double pct = c->active[i] / c->alloc[i] * 100 - 100, fb = c->active[i] - c->alloc[i];
        if (isnan(pct) || isnan(fb)) continue;
        measured++;
        if (fb > best) best = fb;
        if (pct >= 10 && fb >= 100 * MB) {
            double effort = 1 + (pct - 10) * (25 - 1) / (100 - 10);
            effort = effort < 1 ? 1 : effort > 25 ? 25 : effort;
            fprintf(f, "  - activedefrag (Redis's defaults: active-defrag-threshold-lower 10, "
                       "ignore-bytes 100mb) would have started at %s, with allocator fragmentation "
                       "%.0f%% (%s), at %.0f%% CPU effort.  To measure what it buys and costs, "
                       "replay with --activedefrag yes (or a defrag sweep).\n", doctor_time(c->t[i], a), pct,
                    bytes(fb, x), effort);
            return;
        }
    }
    if (measured == 0) {
        fprintf(f, "  - activedefrag's start rule: n/a (this allocator does not report "
                   "allocator_active and _allocated, which it reads).\n");
        return;
    }
    fprintf(f, "  - activedefrag with Redis's defaults would never have started: allocator "
               "fragmentation reached at most %s, under ignore-bytes 100mb or 10%%.\n",
            bytes(best, x));
}

static void advice(FILE *f, const cols *c) {
    char a[48], b[48], x[32], y[32];
    fprintf(f, "\nAdvice\n");
    double hi = 0, lo = 0, peak_used = 0;
    size_t at = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->rss[i] > hi) hi = c->rss[i], at = i;
        if (c->used[i] > peak_used) peak_used = c->used[i];
    }
    (void)lo;
    for (size_t i = 0; i < c->n; i++)
        if (c->alloc_frag[i] > 1.1 && c->active[i] - c->alloc[i] > 10 * MB) {
            fprintf(f, "  - Allocator fragmentation crossed 1.1 (MEMORY DOCTOR's line) at %s.\n",
                    doctor_time(c->t[i], a));
            break;
        }
    defrag_start(f, c);
    double dmax = 0;
    size_t dat = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->dirty[i] > dmax) dmax = c->dirty[i], dat = i;
    if (dmax > 10 * MB)
        fprintf(f, "  - Free pages awaiting decay (allocator_dirty) peaked at %s at %s: a shorter "
                   "dirty_decay_ms, or MEMORY PURGE, returns them sooner (fragsim sweep --grid "
                   "jemalloc.dirty_decay_ms=... measures at what cost).\n", bytes(dmax, x),
                doctor_time(c->t[dat], a));
    size_t i = alerts_first_above(c->rss, c->n, peak_used);
    fprintf(f, "  - RSS peaked at %s at %s: a container limit below that would have been crossed.",
            bytes(hi, x), doctor_time(c->t[at], a));
    if (i < c->n && peak_used > 0)
        fprintf(f, "  A limit sized to the data (used_memory's peak, %s) is crossed at %s.\n",
                bytes(peak_used, y), doctor_time(c->t[i], b));
    else
        fputc('\n', f);
}

/* ---- the runs at hand ---- */

static double sget(const rs_run *r, const char *name) { return result_row_get(&r->summary, name); }

void doctor_runs_at_hand(FILE *f, rs_run *const *runs, size_t n, const rs_run *self) {
    char x[32], y[32], z[32];
    if (n < 2) return;
    fprintf(f, "\nThe runs at hand (%zu), by mean RSS\n", n);
    size_t *order = malloc(n * sizeof *order);
    if (order == NULL) return;
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = 1; i < n; i++) /* insertion sort: stable, and n is small */
        for (size_t j = i; j > 0 && sget(runs[order[j]], "mean_used_memory_rss") <
                                        sget(runs[order[j - 1]], "mean_used_memory_rss"); j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    fprintf(f, "  %10s %10s %10s %9s %8s  %s\n", "rss_mean", "rss_peak", "rss_final", "nmadvise",
            "cpu_s", "run");
    for (size_t k = 0; k < n; k++) {
        const rs_run *r = runs[order[k]];
        double nm = sget(r, "final_allocator_nmadvise"), cpu = sget(r, "cpu_time");
        char nmb[32], cpub[32];
        snprintf(nmb, sizeof nmb, isnan(nm) ? "n/a" : "%.0f", nm);
        snprintf(cpub, sizeof cpub, isnan(cpu) ? "n/a" : "%.2f", cpu);
        fprintf(f, "  %10s %10s %10s %9s %8s  %s%s\n", bytes(sget(r, "mean_used_memory_rss"), x),
                bytes(sget(r, "peak_used_memory_rss"), y), bytes(sget(r, "final_used_memory_rss"), z),
                nmb, cpub, r->label, r == self ? "   <- this run" : "");
    }
    const rs_run *best = runs[order[0]], *worst = runs[order[n - 1]];
    const rs_run *base = self ? self : worst;
    double bm = sget(best, "mean_used_memory_rss"), sm = sget(base, "mean_used_memory_rss");
    if (best != base && sm > 0)
        fprintf(f, "  Lowest mean RSS: %s, %s, %.0f%% below %s (%s).\n", best->label, bytes(bm, x),
                100 * (sm - bm) / sm, self ? "this run" : base->label, bytes(sm, y));
    else if (best == self)
        fprintf(f, "  This run held the lowest mean RSS of the runs at hand.\n");
    size_t pk = 0;
    for (size_t k = 1; k < n; k++)
        if (sget(runs[k], "peak_used_memory_rss") < sget(runs[pk], "peak_used_memory_rss")) pk = k;
    double bp = sget(runs[pk], "peak_used_memory_rss"), sp = sget(base, "peak_used_memory_rss");
    if (runs[pk] != base && sp > 0)
        fprintf(f, "  Lowest peak RSS (what a container limit must hold): %s, %s, %.0f%% below "
                   "%s (%s).\n", runs[pk]->label, bytes(bp, x), 100 * (sp - bp) / sp,
                self ? "this run" : base->label, bytes(sp, y));
    free(order);
}

void doctor_run(FILE *f, const rs_run *run, rs_run *const *others, size_t nothers,
                const doctor_opts *o) {
    char a[48];
    cols c;
    cols_load(&c, run);
    double interval = c.n > 1 ? c.t[1] - c.t[0] : 0;
    fprintf(f, "fragsim doctor: %s\n  allocator %s; %zu samples every %.0f virtual s; the run "
               "ends at %s\n\n", run->label, *run->allocator ? run->allocator : "?", c.n, interval,
            doctor_time(c.n ? c.t[c.n - 1] : NAN, a));
    if (c.t == NULL || c.used == NULL || c.rss == NULL) {
        fprintf(f, "  (out of memory)\n");
        cols_free(&c);
        return;
    }
    memory_doctor(f, &c);
    which_fragmentation(f, &c);
    alerts_section(f, &c, o ? o->container_limit : 0);
    advice(f, &c);
    doctor_runs_at_hand(f, others, nothers, run);
    cols_free(&c);
}
