#include "checklist.h"

#include <math.h>
#include <string.h>

#include "result_rows.h"

/* The rules' thresholds: fragsim's reading of the seed's advice. */
#define HEADROOM_RULE_MAX 50.0  /* percent: the rule of thumb's largest limit */
#define CYCLE_MAX_RULE 25       /* percent of CPU: Redis's default cycle-max */
#define SIZE_SPREAD_RULE 4.0    /* p90/p10 of value sizes: two doublings, a few classes */
#define TTL_SPREAD_RULE 2.0     /* p90/p10 of TTLs: keys written together expire together */
#define TTL_SHARE_MIN 0.01      /* below this share of SETs with a TTL, TTLs do not matter */
#define LITTLE_FRAG_PCT 10.0    /* allocator fragmentation below this: nothing to remove */

void checklist_settings_from_conf(checklist_settings *s, const redis_conf *c) {
    memset(s, 0, sizeof *s);
    s->activedefrag = c->activedefrag;
    s->threshold_lower = c->active_defrag_threshold_lower;
    s->threshold_upper = c->active_defrag_threshold_upper;
    s->cycle_min = c->active_defrag_cycle_min;
    s->cycle_max = c->active_defrag_cycle_max;
    s->ignore_bytes = c->active_defrag_ignore_bytes;
    s->hz = c->hz;
    s->maxmemory = c->maxmemory;
    s->maxmemory_from = "redis.conf";
    s->margin = 0.2;
}

void checklist_spread_add(checklist_spread *s, double v) {
    if (!(v >= 1)) v = 1;
    int b = (int)(log2(v) * 32);
    if (b >= CHECKLIST_SPREAD_BUCKETS) b = CHECKLIST_SPREAD_BUCKETS - 1;
    s->count[b]++;
    s->n++;
}

double checklist_spread_quantile(const checklist_spread *s, double q) {
    if (s->n == 0) return NAN;
    uint64_t rank = (uint64_t)(q * (double)(s->n - 1)), seen = 0;
    for (int b = 0; b < CHECKLIST_SPREAD_BUCKETS; b++) {
        seen += s->count[b];
        if (seen > rank) return exp2(((double)b + 0.5) / 32); /* the bucket's middle */
    }
    return NAN;
}

int checklist_read_trace(checklist_measures *m, trace_reader *r, fs_err *err) {
    trace_event ev;
    int rc;
    while ((rc = trace_next(r, &ev, err)) == 1) {
        if (ev.op != TRACE_OP_SET) continue;
        m->sets++;
        checklist_spread_add(&m->sizes, (double)ev.size);
        if (ev.ttl_us != TRACE_TTL_NONE) {
            m->sets_with_ttl++;
            checklist_spread_add(&m->ttls, (double)ev.ttl_us / TRACE_US_PER_S);
        }
    }
    return rc;
}

const char *checklist_verdict_name(checklist_verdict v) {
    return v == CHECK_PASS ? "passed" : v == CHECK_FAIL ? "failed" : "n/a";
}

static checklist_item *item(checklist_item *items, size_t *n, const char *name,
                            checklist_verdict v, double value, const char *unit) {
    checklist_item *it = &items[(*n)++];
    memset(it, 0, sizeof *it);
    snprintf(it->name, sizeof it->name, "%s", name);
    it->verdict = v;
    it->value = value;
    snprintf(it->unit, sizeof it->unit, "%s", unit);
    return it;
}

#define MIB(b) ((double)(b) / (1024.0 * 1024.0))

static void defrag_items(const checklist_settings *s, const checklist_measures *m,
                         checklist_item *items, size_t *n) {
    double pct = (m->afrag_peak - 1) * 100;
    checklist_item *it;
    if (isnan(m->afrag_peak)) {
        it = item(items, n, "activedefrag", CHECK_NA, NAN, "");
        snprintf(it->detail, sizeof it->detail, "this allocator reports no allocator "
                 "fragmentation (allocator_active / allocator_allocated)");
    } else if (pct < s->threshold_lower) {
        it = item(items, n, "activedefrag", CHECK_NA, pct, "%");
        snprintf(it->detail, sizeof it->detail, "allocator fragmentation peaks at %.1f%%, under "
                 "active-defrag-threshold-lower %d%%: defrag would not start", pct,
                 s->threshold_lower);
    } else {
        it = item(items, n, "activedefrag", s->activedefrag ? CHECK_PASS : CHECK_FAIL, pct, "%");
        snprintf(it->detail, sizeof it->detail, "activedefrag %s; allocator fragmentation peaks "
                 "at %.1f%% (%.1f MiB of holes)", s->activedefrag ? "yes" : "no", pct,
                 MIB(m->frag_bytes_peak));
    }

    /* Redis's start rule: fragmentation at least threshold-lower percent
     * and at least ignore-bytes, at the same moment. */
    if (isnan(m->afrag_peak)) {
        it = item(items, n, "defrag thresholds", CHECK_NA, NAN, "");
        snprintf(it->detail, sizeof it->detail, "no allocator fragmentation reported");
    } else if (!isnan(m->defrag_start_at)) {
        it = item(items, n, "defrag thresholds", CHECK_PASS, m->defrag_start_at, "s");
        double span = s->threshold_upper > s->threshold_lower
                          ? (double)(s->threshold_upper - s->threshold_lower) : 1;
        double effort = s->cycle_min + (pct - s->threshold_lower) *
                                           (s->cycle_max - s->cycle_min) / span;
        effort = fmin(fmax(effort, s->cycle_min), s->cycle_max);
        snprintf(it->detail, sizeof it->detail, "the start rule (>= %d%% and >= %.0f MiB of "
                 "fragmentation) is met at %.1f s; at the peak (%.1f%%) effort would be %.0f%% of "
                 "CPU (threshold-upper %d%%)", s->threshold_lower, MIB(s->ignore_bytes),
                 m->defrag_start_at, pct, effort, s->threshold_upper);
    } else if (pct < LITTLE_FRAG_PCT) {
        it = item(items, n, "defrag thresholds", CHECK_PASS, pct, "%");
        snprintf(it->detail, sizeof it->detail, "never met, and fragmentation stays under "
                 "%.0f%%: nothing worth moving", LITTLE_FRAG_PCT);
    } else {
        it = item(items, n, "defrag thresholds", CHECK_FAIL, MIB(m->frag_bytes_peak), "MiB");
        snprintf(it->detail, sizeof it->detail, "never met although fragmentation peaks at "
                 "%.1f%% and %.1f MiB: active-defrag-threshold-lower %d%%, ignore-bytes %.0f MiB%s",
                 pct, MIB(m->frag_bytes_peak), s->threshold_lower, MIB(s->ignore_bytes),
                 (double)s->ignore_bytes > m->frag_bytes_peak ? " (ignore-bytes is the bar)" : "");
    }

    if (!s->activedefrag) {
        it = item(items, n, "cycle-max", CHECK_NA, s->cycle_max, "%");
        snprintf(it->detail, sizeof it->detail, "activedefrag is off; cycle-max %d%% would cap "
                 "its CPU", s->cycle_max);
    } else {
        it = item(items, n, "cycle-max", s->cycle_max <= CYCLE_MAX_RULE ? CHECK_PASS : CHECK_FAIL,
                  s->cycle_max, "%");
        snprintf(it->detail, sizeof it->detail, "cycle-max %d%%: up to %.0f ms of each %.0f ms "
                 "tick at hz %d (rule: at most Redis's default %d%%, so defrag cannot starve "
                 "commands)", s->cycle_max, 10.0 * s->cycle_max / (s->hz > 0 ? s->hz : 10),
                 1000.0 / (s->hz > 0 ? s->hz : 10), s->hz, CYCLE_MAX_RULE);
    }
}

size_t checklist_eval(const checklist_settings *s, const checklist_measures *m,
                      checklist_item *items) {
    size_t n = 0;
    checklist_item *it;
    defrag_items(s, m, items, &n);

    if (s->maxmemory == 0 || isnan(m->rss_peak)) {
        it = item(items, &n, "headroom", CHECK_NA, NAN, "");
        snprintf(it->detail, sizeof it->detail, "no maxmemory known");
    } else {
        double limit = m->rss_peak * (1 + s->margin);
        double need = 100.0 * (limit / (double)s->maxmemory - 1);
        it = item(items, &n, "headroom", need <= HEADROOM_RULE_MAX ? CHECK_PASS : CHECK_FAIL,
                  need, "%");
        snprintf(it->detail, sizeof it->detail, "needs a container limit %+.0f%% over maxmemory "
                 "%.1f MiB (%s): peak RSS %.1f MiB + %.0f%% margin; the 30-50%% rule %s",
                 need, MIB(s->maxmemory), s->maxmemory_from ? s->maxmemory_from : "given",
                 MIB(m->rss_peak), s->margin * 100,
                 need <= HEADROOM_RULE_MAX ? "covers it" : "falls short (OOM kill)");
    }

    for (size_t a = 0; a < m->nalerts; a++) {
        const checklist_alert *al = &m->alerts[a];
        char name[48];
        snprintf(name, sizeof name, "alert %.40s", al->name);
        int fired = !isnan(al->first_fired);
        it = item(items, &n, name, fired ? CHECK_FAIL : CHECK_PASS,
                  fired ? al->first_fired : al->longest, "s");
        if (fired)
            snprintf(it->detail, sizeof it->detail, "%s fires at %.0f s (worst %.4g)", al->expr,
                     al->first_fired, al->worst);
        else if (!isnan(al->worst))
            snprintf(it->detail, sizeof it->detail, "%s does not fire, but its condition held "
                     "%.0f s at a stretch (worst %.4g) in a %.0f s run: a longer one could fire it",
                     al->expr, al->longest, al->worst, m->duration);
        else
            snprintf(it->detail, sizeof it->detail, "%s: its condition never holds", al->expr);
    }

    double p10 = checklist_spread_quantile(&m->sizes, 0.1);
    double p90 = checklist_spread_quantile(&m->sizes, 0.9);
    if (m->sets == 0) {
        it = item(items, &n, "value-size spread", CHECK_NA, NAN, "");
        snprintf(it->detail, sizeof it->detail, "the trace writes no values");
    } else {
        double r = p90 / p10;
        it = item(items, &n, "value-size spread", r <= SIZE_SPREAD_RULE ? CHECK_PASS : CHECK_FAIL,
                  r, "x");
        snprintf(it->detail, sizeof it->detail, "value sizes p10 %.0f B, median %.0f B, p90 "
                 "%.0f B: p90/p10 %.1f (rule: at most %.0f, values sharing a few size classes; "
                 "else shard by size)", p10, checklist_spread_quantile(&m->sizes, 0.5), p90, r,
                 SIZE_SPREAD_RULE);
    }

    double share = m->sets ? (double)m->sets_with_ttl / (double)m->sets : 0;
    if (share < TTL_SHARE_MIN) {
        it = item(items, &n, "TTL spread", CHECK_NA, share * 100, "%");
        snprintf(it->detail, sizeof it->detail, "%.1f%% of SETs carry a TTL", share * 100);
    } else {
        double t10 = checklist_spread_quantile(&m->ttls, 0.1);
        double t90 = checklist_spread_quantile(&m->ttls, 0.9);
        double r = t90 / t10;
        it = item(items, &n, "TTL spread", r <= TTL_SPREAD_RULE ? CHECK_PASS : CHECK_FAIL, r, "x");
        snprintf(it->detail, sizeof it->detail, "TTLs of the %.0f%% of SETs with one: p10 %.0f "
                 "s, p90 %.0f s: p90/p10 %.1f (rule: at most %.0f, so keys written together "
                 "expire together; else uniform TTLs per key type)", share * 100, t10, t90, r,
                 TTL_SPREAD_RULE);
    }
    return n;
}

void checklist_print(FILE *f, const checklist_item *items, size_t n) {
    fprintf(f, "# The seed's checklist, on the baseline run and its configuration\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-38s %-7s %s\n", items[i].name, checklist_verdict_name(items[i].verdict),
                items[i].detail);
}

void checklist_csv(FILE *f, const checklist_item *items, size_t n) {
    fputs("item,verdict,value,unit,detail\n", f);
    for (size_t i = 0; i < n; i++) {
        csv_put_field(f, items[i].name);
        fprintf(f, ",%s,", checklist_verdict_name(items[i].verdict));
        if (!isnan(items[i].value)) fprintf(f, "%.4g", items[i].value);
        fputc(',', f);
        csv_put_field(f, items[i].unit);
        fputc(',', f);
        csv_put_field(f, items[i].detail);
        fputc('\n', f);
    }
}
