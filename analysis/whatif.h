/* whatif: the baseline and each remedy, every one replayed by `fragsim run`
 * in processes of its own, gathered into one table against the baseline.
 *
 * A remedy sharded over separate instances ran as one process per shard:
 * its total is the shards' series added sample by sample (RSS counted once
 * per process, as separate servers would hold it), and its shards are
 * listed beneath it.  A remedy sharded over arenas of one process is that
 * process, its shards (shards.csv) listed beneath it.  Front end only
 * (malloc and stdio). */
#ifndef FRAGSIM_WHATIF_H
#define FRAGSIM_WHATIF_H

#include <stddef.h>
#include <stdint.h>

#include "../sim/base/fs_err.h"
#include "checklist.h"

#define WHATIF_MAX_SHARDS 16

typedef struct whatif_entry {
    char remedy[256];                      /* as listed: "baseline", "pad-pow2" ... */
    int nshards;                           /* processes: 1 unless sharded */
    int narenas;                           /* shards in arenas of the one process
                                              (--shard arenas); 0: none */
    char shard_label[WHATIF_MAX_SHARDS][64]; /* "1/3" ... (shards.csv's shard) */
    char shard_class[WHATIF_MAX_SHARDS][48]; /* "<1024" ... */
    char dir[WHATIF_MAX_SHARDS][1300];     /* each process's results directory */
    int ok[WHATIF_MAX_SHARDS];
    char status[WHATIF_MAX_SHARDS][512];
} whatif_entry;

typedef struct whatif_headroom {
    uint64_t maxmemory;     /* bytes */
    const char *maxmemory_from; /* "--maxmemory", "--config", "the baseline's peak used_memory" */
    double margin;          /* 0.2: 20% over peak RSS */
} whatif_headroom;

/* The results directory of remedy i (0: the baseline) within whatif's:
 * its position and its name made safe for a path, "03-shard-size_process"
 * (a sharded one holds shard-K/ beneath it). */
void whatif_run_dirname(size_t i, const char *remedy, char *out, size_t n);

/* Writes dir/whatif.csv and dir/whatif.txt (the table, then the headroom
 * each row needs), and prints them unless quiet.  entries[0] is the
 * baseline; when maxmemory is 0 the baseline's peak used_memory stands in.
 * Returns 0 or -1. */
int whatif_write(const char *dir, const whatif_entry *entries, size_t n, whatif_headroom *h,
                 int quiet, fs_err *err);

/* The seed's checklist (checklist.h) for settings cs on the baseline run
 * (entries[0]) and the trace's SETs already counted into *cm: writes
 * dir/checklist.txt and dir/checklist.csv, and prints them unless quiet.
 * cs's maxmemory and margin are h's (after whatif_write chose them).
 * Returns 0 or -1. */
int whatif_checklist(const char *dir, const whatif_entry *entries, const whatif_headroom *h,
                     checklist_settings *cs, checklist_measures *cm, int quiet, fs_err *err);

#endif
