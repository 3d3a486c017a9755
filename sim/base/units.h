/* units: numbers as users type them.  Sizes follow redis.conf's memtoll():
 * "1k" = 1000, "1kb" = 1024, likewise m/mb and g/gb, case-insensitive. */
#ifndef FRAGSIM_UNITS_H
#define FRAGSIM_UNITS_H

#include <stdint.h>

/* Returns 0 and sets *out, or -1 when s is not a whole number of bytes with
 * an optional unit. */
int units_parse_bytes(const char *s, uint64_t *out);
/* A whole number (no unit); -1 on anything else. */
int units_parse_u64(const char *s, uint64_t *out);
/* A finite, non-negative decimal number; -1 on anything else. */
int units_parse_double(const char *s, double *out);
/* "1.23 GiB"-style rendering for humans (buf at least 32 bytes). */
const char *units_human_bytes(double bytes, char *buf);

#endif
