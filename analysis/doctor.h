/* doctor: `fragsim doctor`'s report on a run, in words with times and
 * numbers.
 *
 *  - MEMORY DOCTOR's rules (Redis 7, REFERENCE.md), applied at every sample
 *    as a server's MEMORY DOCTOR would have answered then: when each
 *    applied, and its worst moment;
 *  - which fragmentation it is, at the worst moment, split into allocator
 *    fragmentation, allocator RSS overhead and RSS outside the allocator;
 *  - the seed's alerts (alerts.h): when each would have fired, or how long
 *    the condition held at most; with a container limit, the OOM moment;
 *  - when activedefrag would have started with Redis's default thresholds;
 *  - against the other runs at hand (a comparison's allocators, a sweep's
 *    points): which held RSS lowest, by how much, at what purge and CPU cost.
 * Front end only (stdio). */
#ifndef FRAGSIM_DOCTOR_H
#define FRAGSIM_DOCTOR_H

#include <stddef.h>
#include <stdio.h>

#include "resultset.h"

typedef struct doctor_opts {
    double container_limit; /* bytes; 0: none given */
} doctor_opts;

/* Writes the report on run.  others: every run at hand (run itself may be
 * among them), for the comparison; may be empty. */
void doctor_run(FILE *f, const rs_run *run, rs_run *const *others, size_t nothers,
                const doctor_opts *o);

/* Only the comparison of the runs at hand (for a sweep, where a full report
 * per point would be too long): best and worst by mean and peak RSS. */
void doctor_runs_at_hand(FILE *f, rs_run *const *runs, size_t n, const rs_run *self);

/* "780 s (13m00s)" into buf (48 bytes). */
const char *doctor_time(double t, char *buf);

#endif
