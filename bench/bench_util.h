/* bench_util: what every benchmark program here needs: its messages, a
 * monotonic clock and medians. */
#ifndef FRAGSIM_BENCH_UTIL_H
#define FRAGSIM_BENCH_UTIL_H

#include <stdint.h>

/* Exit codes as the fragsim command line uses them. */
enum { BENCH_OK = 0, BENCH_FAIL = 1, BENCH_USAGE = 2 };

/* The program's name, that bench_error's messages start with. */
extern const char *bench_prog;

/* Prints "PROG: message" on stderr.  Returns code. */
int bench_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);
/* CPU seconds this process has used (user and system, every thread): on a
 * shared machine, the time a run had a core, not the time it waited for one. */
double bench_cpu_now(void);

/* Median of n values (n > 0), sorted in place (n is small: insertion sort). */
double bench_median(double *v, uint64_t n);

#endif
