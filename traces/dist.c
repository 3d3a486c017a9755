#include "dist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/base/units.h"

/* One number of a spec: bytes (whole, with units) or a non-negative decimal. */
static int parse_number(const char *s, size_t n, int bytes, double *out) {
    char tmp[64];
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (bytes) {
        uint64_t v;
        if (units_parse_bytes(tmp, &v) != 0) return -1;
        *out = (double)v;
        return 0;
    }
    return units_parse_double(tmp, out);
}

/* Splits "X,Y" at the first comma; X and Y are bytes when their flag says. */
static int parse_pair(const char *s, int a_bytes, int b_bytes, double *a, double *b) {
    const char *comma = strchr(s, ',');
    if (comma == NULL) return -1;
    return parse_number(s, (size_t)(comma - s), a_bytes, a) == 0 &&
                   parse_number(comma + 1, strlen(comma + 1), b_bytes, b) == 0
               ? 0
               : -1;
}

int dist_parse(dist *d, const char *spec, int bytes, const char *what, fs_err *err) {
    memset(d, 0, sizeof *d);
    const char *expect = bytes ? "fixed:V, uniform:A,B, lognormal:MEDIAN,SIGMA or "
                                 "weighted:V1:W1,V2:W2,... (sizes may carry units: 4kb)"
                               : "fixed:V, uniform:A,B, lognormal:MEDIAN,SIGMA, "
                                 "weighted:V1:W1,V2:W2,... or none";
    if (!bytes && strcmp(spec, "none") == 0) {
        d->kind = DIST_NONE;
        return 0;
    }
    const char *colon = strchr(spec, ':');
    if (colon == NULL) goto bad;
    size_t kl = (size_t)(colon - spec);
    const char *args = colon + 1;
    if (kl == 5 && strncmp(spec, "fixed", 5) == 0) {
        d->kind = DIST_FIXED;
        if (parse_number(args, strlen(args), bytes, &d->a) != 0) goto bad;
    } else if (kl == 7 && strncmp(spec, "uniform", 7) == 0) {
        d->kind = DIST_UNIFORM;
        if (parse_pair(args, bytes, bytes, &d->a, &d->b) != 0 || d->b < d->a) goto bad;
    } else if (kl == 9 && strncmp(spec, "lognormal", 9) == 0) {
        d->kind = DIST_LOGNORMAL;
        /* The median is a size (units allowed); sigma is a plain number. */
        if (parse_pair(args, bytes, 0, &d->a, &d->b) != 0 || d->a <= 0) goto bad;
    } else if (kl == 8 && strncmp(spec, "weighted", 8) == 0) {
        d->kind = DIST_WEIGHTED;
        const char *p = args;
        double total = 0;
        while (*p != '\0') {
            const char *end = strchr(p, ',');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            const char *c = memchr(p, ':', len);
            double v, w;
            if (c == NULL || d->n == DIST_MAX_WEIGHTS ||
                parse_number(p, (size_t)(c - p), bytes, &v) != 0 ||
                parse_number(c + 1, len - (size_t)(c - p) - 1, 0, &w) != 0)
                goto bad;
            total += w;
            d->values[d->n] = v;
            d->cumweight[d->n] = total;
            d->n++;
            p += len + (end != NULL);
        }
        if (d->n == 0 || total <= 0) goto bad;
    } else {
        goto bad;
    }
    return 0;
bad:
    return fs_errf(err, "%s '%s': expected %s", what, spec, expect);
}

int dist_check_range(const dist *d, double lo, double hi, const char *what, const char *unit,
                     fs_err *err) {
    double v[DIST_MAX_WEIGHTS];
    uint32_t n = 0;
    switch (d->kind) {
    case DIST_NONE: return 0;
    case DIST_FIXED: v[n++] = d->a; break;
    case DIST_UNIFORM: v[n++] = d->a, v[n++] = d->b; break;
    case DIST_LOGNORMAL: v[n++] = d->a; break;
    case DIST_WEIGHTED:
        for (uint32_t i = 0; i < d->n; i++) v[n++] = d->values[i];
        break;
    }
    for (uint32_t i = 0; i < n; i++)
        if (!(v[i] >= lo && v[i] <= hi))
            return fs_errf(err, "%s: %.15g %s is out of range: expected %.15g to %.15g %s", what, v[i],
                           unit, lo, hi, unit);
    return 0;
}

void dist_format(const dist *d, char *buf, unsigned n) {
    switch (d->kind) {
    case DIST_NONE: snprintf(buf, n, "none"); break;
    case DIST_FIXED: snprintf(buf, n, "fixed:%g", d->a); break;
    case DIST_UNIFORM: snprintf(buf, n, "uniform:%g,%g", d->a, d->b); break;
    case DIST_LOGNORMAL: snprintf(buf, n, "lognormal:%g,%g", d->a, d->b); break;
    case DIST_WEIGHTED: {
        unsigned o = (unsigned)snprintf(buf, n, "weighted:");
        double prev = 0;
        for (uint32_t i = 0; i < d->n && o < n; i++) {
            o += (unsigned)snprintf(buf + o, n - o, "%s%g:%g", i ? "," : "", d->values[i],
                                    d->cumweight[i] - prev);
            prev = d->cumweight[i];
        }
        break;
    }
    }
}

double dist_draw(const dist *d, rng *r) {
    switch (d->kind) {
    case DIST_NONE: return 0;
    case DIST_FIXED: (void)rng_next(r); return d->a;
    case DIST_UNIFORM: return d->a + (d->b - d->a) * rng_double(r);
    case DIST_LOGNORMAL: {
        /* Box-Muller; 1 - u keeps the log's argument in (0, 1]. */
        double u1 = 1.0 - rng_double(r), u2 = rng_double(r);
        double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
        return d->a * exp(d->b * z);
    }
    case DIST_WEIGHTED: {
        double x = rng_double(r) * d->cumweight[d->n - 1];
        for (uint32_t i = 0; i < d->n; i++)
            if (x < d->cumweight[i]) return d->values[i];
        return d->values[d->n - 1];
    }
    }
    return 0;
}

uint64_t dist_draw_bytes(const dist *d, rng *r) {
    if (d->kind == DIST_UNIFORM)
        return (uint64_t)d->a + rng_below(r, (uint64_t)(d->b - d->a) + 1);
    double v = dist_draw(d, r);
    return v <= 0 ? 0 : (uint64_t)llround(v);
}
