/* checklist: the seed's advice checked against one configuration and one
 * trace's baseline run: activedefrag on, its thresholds and CPU cap, the
 * container's headroom over maxmemory, the fragmentation alerts, and the
 * spread of value sizes and TTLs.  Each item passes, fails or does not
 * apply, with the number that decided it.
 *
 * The settings arrive as a plain struct (from redis.conf today; from
 * command-line options or a defrag model later), the measurements as
 * another, so the rules can be fed from anywhere and tested alone.  The
 * rules' own thresholds are fragsim's reading of the advice; each item's
 * text says which it used. */
#ifndef FRAGSIM_CHECKLIST_H
#define FRAGSIM_CHECKLIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../sim/base/fs_err.h"
#include "../sim/redis_conf.h"
#include "../traces/trace_reader.h"

/* Redis's active-defrag settings and the memory limit, as in force. */
typedef struct checklist_settings {
    int activedefrag;        /* 1: on */
    int threshold_lower;     /* percent of fragmentation to start */
    int threshold_upper;     /* percent at which effort is greatest */
    int cycle_min, cycle_max; /* percent of CPU */
    uint64_t ignore_bytes;   /* fragmentation bytes below which defrag does not start */
    int hz;                  /* cron ticks per second */
    uint64_t maxmemory;      /* bytes; 0: none known */
    const char *maxmemory_from; /* where maxmemory came from, for the text */
    double margin;           /* safety margin over peak RSS, 0.2 = 20% */
} checklist_settings;

void checklist_settings_from_conf(checklist_settings *s, const redis_conf *c);

/* Quantiles of a stream of positive values, to about 3% (32 log buckets per
 * doubling); values below 1 count as 1. */
#define CHECKLIST_SPREAD_BUCKETS (64 * 32)
typedef struct checklist_spread {
    uint64_t n;
    uint64_t count[CHECKLIST_SPREAD_BUCKETS];
} checklist_spread;

void checklist_spread_add(checklist_spread *s, double v);
/* The q-quantile (0..1); NAN when empty. */
double checklist_spread_quantile(const checklist_spread *s, double q);

/* One seed alert over the baseline's samples. */
typedef struct checklist_alert {
    const char *name;
    char expr[160];     /* the rule, with the limit it was given */
    double first_fired; /* virtual seconds; NAN: never fired */
    double longest;     /* seconds its condition held at a stretch */
    double worst;       /* the largest value while it held; NAN: never held */
} checklist_alert;

/* What the trace and its baseline run measured; NAN where unknown. */
typedef struct checklist_measures {
    double rss_peak;          /* bytes */
    double afrag_peak;        /* allocator_frag_ratio peak */
    double frag_bytes_peak;   /* allocator_active - allocator_allocated, bytes */
    double defrag_start_at;   /* virtual seconds of the first sample meeting the
                                 start rule; NAN: never */
    double duration;          /* virtual seconds the run lasted */
    checklist_alert alerts[3];
    size_t nalerts;
    uint64_t sets, sets_with_ttl;
    checklist_spread sizes;   /* value sizes of SETs (bytes) */
    checklist_spread ttls;    /* TTLs of SETs with one (seconds) */
} checklist_measures;

/* Counts the SETs of a trace into m (sizes, TTLs).  r is read to its end,
 * not closed.  Returns 0 or -1. */
int checklist_read_trace(checklist_measures *m, trace_reader *r, fs_err *err);

typedef enum checklist_verdict { CHECK_PASS, CHECK_FAIL, CHECK_NA } checklist_verdict;

typedef struct checklist_item {
    char name[48];
    checklist_verdict verdict;
    double value;       /* the number behind it (NAN: none) */
    char unit[16];
    char detail[400];   /* the rule and the numbers, in words */
} checklist_item;

#define CHECKLIST_MAX_ITEMS 12

/* Evaluates the items into items[] (at least CHECKLIST_MAX_ITEMS); returns
 * their number. */
size_t checklist_eval(const checklist_settings *s, const checklist_measures *m,
                      checklist_item *items);

const char *checklist_verdict_name(checklist_verdict v); /* "passed", "failed", "n/a" */

/* The items as a text table, and as CSV (name,verdict,value,unit,detail). */
void checklist_print(FILE *f, const checklist_item *items, size_t n);
void checklist_csv(FILE *f, const checklist_item *items, size_t n);

#endif
