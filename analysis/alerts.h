/* alerts: Prometheus alerting rules evaluated over a run's samples, the way
 * Prometheus would have evaluated them had it scraped the run: the sample
 * interval is the scrape and evaluation interval.
 *
 * A rule "EXPR > THRESHOLD for D" is pending from the first evaluation at
 * which the condition holds, and fires at the first evaluation at which it
 * has held at every evaluation since and D has passed since it became
 * pending.  An evaluation where it does not hold, or where the value is
 * missing (a ratio over used_memory 0 is undefined; Prometheus would see no
 * series), ends the episode: a pending alert is dropped, a firing one
 * resolves.  With D = 0 a rule fires at its first true evaluation.
 *
 * The seed's rules (alerts_seed): mem_fragmentation_ratio > 1.5 for 30m
 * (warning), > 2.0 for 10m (critical), and with a container limit L,
 * used_memory_rss > 0.85 L for 5m (warning).  The OOM moment is the first
 * sample whose RSS exceeds L. */
#ifndef FRAGSIM_ALERTS_H
#define FRAGSIM_ALERTS_H

#include <stddef.h>

typedef struct alert_rule {
    const char *name;     /* "RedisMemoryFragmentationHigh" */
    const char *severity; /* "warning", "critical" */
    const char *column;   /* the series.csv column the condition reads */
    const char *expr;     /* the rule in PromQL, for people */
    double threshold;     /* condition: value > threshold */
    double for_s;         /* seconds the condition must hold */
} alert_rule;

typedef struct alert_result {
    size_t episodes;       /* times the condition became true */
    size_t firings;        /* episodes that lasted long enough to fire */
    double first_pending;  /* NAN: the condition never held */
    double first_fired;    /* NAN: never fired */
    double first_resolved; /* the end of the first firing episode; NAN if it
                              never fired or was still firing at the end */
    double longest;        /* seconds the longest episode held (from its first
                              true evaluation to its last) */
    double longest_from, longest_to; /* that episode's first and last true evaluation */
    double worst;          /* the largest value seen while the condition held */
    double worst_at;
} alert_result;

/* Evaluates `value > threshold for for_s` at the n evaluation times t[]
 * (ascending) with values v[] (NAN: missing). */
void alerts_eval(const double *t, const double *v, size_t n, double threshold, double for_s,
                 alert_result *out);

/* The seed's rules: two without a limit, three with one (container_limit
 * > 0, bytes).  names and exprs are static; returns the count (at most 3). */
size_t alerts_seed(double container_limit, alert_rule rules[3]);

/* The first sample at which v > limit: its index, or n when none. */
size_t alerts_first_above(const double *v, size_t n, double limit);

#endif
