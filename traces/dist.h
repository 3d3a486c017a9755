/* dist: the value-size and TTL distributions of the generator.
 *
 *   fixed:V                      always V
 *   uniform:A,B                  uniform between A and B (inclusive)
 *   lognormal:MEDIAN,SIGMA       exp(N(ln MEDIAN, SIGMA)), the shape of most
 *                                real value-size distributions
 *   weighted:V1:W1,V2:W2,...     V_i with probability W_i / sum(W)
 *   none                         (TTLs only) no expiry
 *
 * Size values accept redis.conf units (4kb, 1mb). */
#ifndef FRAGSIM_DIST_H
#define FRAGSIM_DIST_H

#include <stdint.h>

#include "../sim/base/fs_err.h"
#include "../sim/base/rng.h"

typedef enum dist_kind { DIST_NONE, DIST_FIXED, DIST_UNIFORM, DIST_LOGNORMAL, DIST_WEIGHTED } dist_kind;

#define DIST_MAX_WEIGHTS 64

typedef struct dist {
    dist_kind kind;
    double a, b;      /* fixed: a; uniform: [a, b]; lognormal: median a, sigma b */
    uint32_t n;       /* weighted: number of values */
    double values[DIST_MAX_WEIGHTS];
    double cumweight[DIST_MAX_WEIGHTS]; /* running sum of weights */
} dist;

/* Parses spec.  `bytes` allows size units and demands whole numbers; `what`
 * names the option for messages ("--sizes").  Returns 0 or -1. */
int dist_parse(dist *d, const char *spec, int bytes, const char *what, fs_err *err);

/* Checks that every value the spec names (fixed, uniform's bounds,
 * weighted's values, lognormal's median) lies in [lo, hi]: an option out of
 * range is an error, never clamped.  `what` names the option, `unit` the
 * values' unit for the message ("bytes", "s").  Returns 0 or -1. */
int dist_check_range(const dist *d, double lo, double hi, const char *what, const char *unit,
                     fs_err *err);

/* Writes the canonical spec back (buf at least 64 bytes; weighted lists are
 * cut at n bytes). */
void dist_format(const dist *d, char *buf, unsigned n);

/* Draws one value.  Consumes exactly one rng_next() for every kind but
 * lognormal (two), so that a trace's sequence depends only on the specs. */
double dist_draw(const dist *d, rng *r);
/* A whole number of bytes: uniform draws an integer in [a, b]; the others
 * round to the nearest integer. */
uint64_t dist_draw_bytes(const dist *d, rng *r);

#endif
