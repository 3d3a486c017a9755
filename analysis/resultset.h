/* resultset: results directories read back for the analysis commands
 * (report, doctor, export).
 *
 * What a directory is, is read from what it holds:
 *   compare.txt                       a comparison (one run per allocator)
 *   points.csv or sweep.csv           a sweep (one run per grid point)
 *   whatif.csv                        a what-if (a run per remedy; the
 *                                     sharded ones' shards are not loaded)
 *   summary.csv and series.csv        one run
 * A run's snapshots (pagemap-T.csv, bins-T.csv) are found by name.  Front
 * end only: malloc and stdio. */
#ifndef FRAGSIM_RESULTSET_H
#define FRAGSIM_RESULTSET_H

#include <stddef.h>

#include "result_rows.h"
#include "table.h"

#define RS_MAX_SNAPSHOTS 64
/* A sweep's points whose series are loaded (overlays, doctor); the rest
 * appear through sweep.csv only. */
#define RS_MAX_SWEEP_RUNS 48

typedef struct rs_snapshot {
    double t;          /* virtual seconds (the label read as a number) */
    char label[32];    /* as in the file names */
    int pagemap, bins; /* which files exist */
} rs_snapshot;

#define RS_MAX_GRID 16 /* as many as a sweep's axes (sweep.h) */

typedef struct rs_run {
    char dir[1200];
    char label[512];   /* the allocator (compare), "p0003 key=value ..." (sweep), or the path */
    char allocator[256];
    /* A sweep's point: its id and grid values, each apart (ngrid 0 otherwise). */
    char point[16];
    int ngrid;
    char grid_key[RS_MAX_GRID][64], grid_value[RS_MAX_GRID][128];
    table series;
    result_row summary;
    rs_snapshot snaps[RS_MAX_SNAPSHOTS]; /* by time */
    size_t nsnaps;
} rs_run;

typedef enum rs_kind { RS_RUN, RS_COMPARE, RS_SWEEP, RS_WHATIF } rs_kind;

typedef struct rs_group {
    rs_kind kind;
    char dir[1200];
    rs_run *runs;      /* the runs that finished, in the directory's order */
    size_t nruns;
    table rows;        /* compare: its summary.csv; sweep: sweep.csv; what-if: whatif.csv */
    int naxes;         /* sweep: grid columns (after id, before status) */
} rs_group;

/* Loads one results directory of any kind.  Errors name the directory or
 * the file at fault.  Returns 0 or -1. */
int rs_load(rs_group *g, const char *dir, fs_err *err);
void rs_free(rs_group *g);

/* Loads a run directory.  Returns 0 or -1. */
int rs_load_run(rs_run *r, const char *dir, const char *label, fs_err *err);
void rs_free_run(rs_run *r);

/* The path of a run's snapshot file (kind "pagemap" or "bins") into buf. */
const char *rs_snapshot_path(const rs_run *r, const rs_snapshot *s, const char *kind, char *buf,
                             size_t n);
/* Every run of several groups, in order (pointers into them); malloc'd. */
rs_run **rs_all_runs(rs_group *groups, size_t ngroups, size_t *n);

#endif
