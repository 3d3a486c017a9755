#include "alerts.h"

#include <math.h>
#include <string.h>

/* Sample times come from CSV with microseconds: a window that should be
 * exactly D long may read a microsecond short. */
#define TIME_SLACK 1e-6

void alerts_eval(const double *t, const double *v, size_t n, double threshold, double for_s,
                 alert_result *out) {
    memset(out, 0, sizeof *out);
    out->first_pending = out->first_fired = out->first_resolved = NAN;
    out->longest_from = out->longest_to = out->worst = out->worst_at = NAN;
    int active = 0, firing = 0;
    double since = 0, last_true = 0;
    for (size_t i = 0; i <= n; i++) {
        int holds = i < n && !isnan(v[i]) && v[i] > threshold;
        if (!holds) {
            if (active && firing && isnan(out->first_resolved) && i < n)
                out->first_resolved = t[i];
            active = firing = 0;
            continue;
        }
        if (!active) {
            active = 1;
            since = t[i];
            out->episodes++;
            if (isnan(out->first_pending)) out->first_pending = t[i];
        }
        last_true = t[i];
        if (isnan(out->worst) || v[i] > out->worst) {
            out->worst = v[i];
            out->worst_at = t[i];
        }
        if (isnan(out->longest_from) || last_true - since > out->longest) {
            out->longest = last_true - since;
            out->longest_from = since;
            out->longest_to = last_true;
        }
        if (!firing && t[i] - since >= for_s - TIME_SLACK) {
            firing = 1;
            out->firings++;
            if (isnan(out->first_fired)) out->first_fired = t[i];
        }
    }
}

size_t alerts_seed(double container_limit, alert_rule rules[3]) {
    rules[0] = (alert_rule){"RedisMemoryFragmentationHigh", "warning", "mem_fragmentation_ratio",
                            "redis_mem_fragmentation_ratio > 1.5 for 30m", 1.5, 1800};
    rules[1] = (alert_rule){"RedisMemoryFragmentationCritical", "critical",
                            "mem_fragmentation_ratio", "redis_mem_fragmentation_ratio > 2.0 for 10m",
                            2.0, 600};
    if (!(container_limit > 0)) return 2;
    rules[2] = (alert_rule){"RedisRssNearContainerLimit", "warning", "used_memory_rss",
                            "redis_memory_used_rss_bytes > 0.85 * container limit for 5m",
                            0.85 * container_limit, 300};
    return 3;
}

size_t alerts_first_above(const double *v, size_t n, double limit) {
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]) && v[i] > limit) return i;
    return n;
}
