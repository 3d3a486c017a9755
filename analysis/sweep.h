/* sweep: a grid of runs, planned here, run anywhere, gathered here.
 *
 * A sweep directory holds points.csv (one row per point: its id, then the
 * value of every grid key), one results directory per point (named by its
 * id), and once gathered sweep.csv (points.csv's columns, a status, then
 * every column of the points' summary.csv) and sweep.txt (the table).
 * Points may be run by fragsim itself (--jobs) or by anything that runs
 * command lines (--emit-jobs: GNU parallel, a Slurm array) and gathered
 * from one directory or several (--collect).  Front end only. */
#ifndef FRAGSIM_SWEEP_H
#define FRAGSIM_SWEEP_H

#include <stddef.h>

#include "../sim/base/fs_err.h"

#define SWEEP_MAX_AXES 16
#define SWEEP_MAX_VALUES 64
#define SWEEP_MAX_POINTS 10000

typedef struct sweep_axis {
    char key[64];                   /* a run option ("speed") or ALLOCATOR.OPTION */
    char *values[SWEEP_MAX_VALUES]; /* pointers into buf */
    int nvalues;
    char *buf;                      /* the values, split in place (malloc'd) */
} sweep_axis;

typedef struct sweep_plan {
    sweep_axis axes[SWEEP_MAX_AXES];
    int naxes;
    size_t npoints;                 /* product of the axes' value counts */
} sweep_plan;

/* Adds one axis from "KEY=V1,V2,..." (or "KEY=V1|V2|..." when values hold
 * commas).  Returns 0 or -1. */
int sweep_plan_add(sweep_plan *p, const char *spec, fs_err *err);
void sweep_plan_free(sweep_plan *p);
/* The value of axis a at point i (the last axis varies fastest). */
const char *sweep_value(const sweep_plan *p, size_t point, int axis);
/* "p0001"... into buf (at least 16 bytes). */
void sweep_point_id(size_t point, char *buf);

/* The allocator point i runs: the grid's allocator value, else fixed (the
 * --allocator given, or the default). */
const char *sweep_point_allocator(const sweep_plan *p, size_t point, const char *fixed);
/* Whether axis a applies at point i: a run option always, ALLOCATOR.OPTION
 * only when the point runs ALLOCATOR. */
int sweep_applies(const sweep_plan *p, size_t point, int axis, const char *fixed);
/* Whether point i repeats another point's run: an axis that does not apply
 * to it stands at a value other than its first.  Such a point is not run;
 * the one that is shows n/a for that axis. */
int sweep_repeats(const sweep_plan *p, size_t point, const char *fixed);

/* Writes dir/points.csv: the points that do not repeat another, n/a for a
 * grid value that does not apply to the point's allocator.  Returns 0 or
 * -1. */
int sweep_write_points(const sweep_plan *p, const char *dir, const char *fixed, fs_err *err);

/* Gathers the points listed in dirs[0]/points.csv from whichever of dirs
 * holds their results, into out_dir/sweep.csv and sweep.txt, and prints the
 * table unless quiet.  status, when given, says how each point's run ended
 * (else "ok" when its results are found, "missing" when not).  *missing
 * gets the number of points without results.  Returns 0 or -1. */
int sweep_collect(const char *const *dirs, int ndirs, const char *out_dir,
                  const char *const *status, int quiet, size_t *missing, fs_err *err);

#endif
