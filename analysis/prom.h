/* prom: a run's samples in the Prometheus text exposition format, under
 * redis_exporter's metric names, so that a run can be looked at in the
 * dashboards built for real servers.
 *
 * Every sample becomes one value per metric with an explicit timestamp:
 * the run's virtual time placed on the wall clock from `start` (Unix
 * seconds).  Two flavours: the classic text format (timestamps in ms) and
 * OpenMetrics (timestamps in s, "# EOF"), which `promtool tsdb
 * create-blocks-from openmetrics` turns into blocks for Prometheus's data
 * directory.  Labels: job="fragsim", instance=the run's label,
 * allocator=the allocator.  Front end only (stdio). */
#ifndef FRAGSIM_PROM_H
#define FRAGSIM_PROM_H

#include <stdio.h>

#include "resultset.h"

typedef struct prom_metric {
    const char *name;   /* redis_exporter's name */
    const char *type;   /* "gauge" or "counter" */
    const char *column; /* series.csv column, or a derived one (see prom.c) */
    const char *help;
} prom_metric;

extern const prom_metric prom_metrics[];
extern const size_t prom_nmetrics;

/* Writes the runs' samples, each metric's family once with every run's
 * series under it; openmetrics picks the flavour.  Returns 0, or -1 when f
 * reports a write error. */
int prom_write(FILE *f, rs_run *const *runs, size_t n, double start, int openmetrics);

#endif
