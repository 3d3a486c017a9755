/* children: run fragsim commands as child processes, a few at a time, and
 * say how each ended.  compare and sweep both run one `fragsim run` per
 * point this way: a process per allocator (DESIGN.md decision 1), and a
 * child that crashes or is killed never takes the others down with it.
 * Front end only (it uses malloc and stdio). */
#ifndef FRAGSIM_CHILDREN_H
#define FRAGSIM_CHILDREN_H

#include <stddef.h>

#define CHILD_MAX_ARGS 96

typedef struct child_job {
    /* in */
    const char *argv[CHILD_MAX_ARGS]; /* argv[0]: the program; NULL-terminated */
    const char *label;                /* for progress lines */
    char errfile[1300];               /* its stderr goes here; removed afterwards */
    /* out */
    int ok;                           /* exited with status 0: its results are there */
    char status[512];                 /* "ok", "oom" (stopped by the allocator's memory
                                         exhaustion, results so far kept), "failed (exit
                                         1): ...", "crashed (...)" */
    double wall;                      /* seconds it ran */
} child_job;

/* Runs every job, at most `parallel` at once, standard input and output on
 * /dev/null.  Progress lines on stderr when `progress`, prefixed by who.
 * Returns how many did not end "ok". */
size_t children_run(child_job *jobs, size_t n, unsigned parallel, int progress, const char *who);

/* The path of the running executable (for children that run fragsim). */
int children_self(char *buf, size_t n);

#endif
