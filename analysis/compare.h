/* compare: several runs of one trace, one per allocator, gathered into one
 * table and two long-format CSV files.
 *
 * Each run is an ordinary results directory (run.c wrote it, in a process
 * of its own); this module only reads what they wrote.  It runs in the
 * front end, which holds no allocator under test, so it uses malloc and
 * stdio freely. */
#ifndef FRAGSIM_COMPARE_H
#define FRAGSIM_COMPARE_H

#include <stddef.h>

#include "../sim/base/fs_err.h"

typedef struct compare_entry {
    char allocator[1024]; /* as named on the command line */
    char status[512];     /* "ok", or what went wrong: "crashed (SIGSEGV)" ... */
    int ok;               /* the run finished and its results are in dir */
    char dir[1200];       /* its results directory */
} compare_entry;

/* Writes into dir: summary.csv (allocator, status, then every column of the
 * runs' summary.csv; failed runs keep their row with empty figures),
 * series.csv (every run's series, an allocator column first) and
 * compare.txt (the table); prints the table on stdout unless quiet.
 * Returns 0 or -1. */
int compare_write(const char *dir, const compare_entry *entries, size_t n, int quiet,
                  fs_err *err);

#endif
