/* Numbers as Redis reads and writes them (its util.c rules), for the
 * MONITOR importer's INCR family: what Redis accepts as an integer or a
 * long double, and how INCRBYFLOAT prints its result. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_monitor_int.h"

/* string2ll(): no sign but '-', no leading zeros, no spaces, at most 20
 * bytes, within long long. */
int redis_string2ll(const char *s, size_t slen, long long *value) {
    const char *p = s;
    size_t plen = 0;
    int negative = 0;
    unsigned long long v;
    if (slen == 0 || slen >= 21) return 0;
    if (slen == 1 && p[0] == '0') {
        *value = 0;
        return 1;
    }
    if (p[0] == '-') {
        negative = 1;
        p++, plen++;
        if (plen == slen) return 0;
    }
    if (p[0] >= '1' && p[0] <= '9') {
        v = (unsigned long long)(p[0] - '0');
        p++, plen++;
    } else {
        return 0;
    }
    while (plen < slen && p[0] >= '0' && p[0] <= '9') {
        if (v > ULLONG_MAX / 10) return 0;
        v *= 10;
        if (v > ULLONG_MAX - (unsigned long long)(p[0] - '0')) return 0;
        v += (unsigned long long)(p[0] - '0');
        p++, plen++;
    }
    if (plen < slen) return 0;
    if (negative) {
        if (v > (unsigned long long)(-(LLONG_MIN + 1)) + 1) return 0;
        *value = (long long)(0 - v);
    } else {
        if (v > LLONG_MAX) return 0;
        *value = (long long)v;
    }
    return 1;
}

/* string2ld(): strtold over the whole argument, no leading space, no NaN,
 * no overflow. */
int redis_string2ld(const char *s, size_t slen, long double *dp) {
    char buf[REDIS_LONG_DOUBLE_CHARS];
    char *eptr;
    if (slen == 0 || slen >= sizeof buf) return 0;
    memcpy(buf, s, slen);
    buf[slen] = '\0';
    errno = 0;
    long double value = strtold(buf, &eptr);
    if (isspace((unsigned char)buf[0]) || eptr[0] != '\0' ||
        (errno == ERANGE &&
         (value == HUGE_VALL || value == -HUGE_VALL || fpclassify(value) == FP_ZERO)) ||
        isnan(value))
        return 0;
    *dp = value;
    return 1;
}

/* ld2string(..., LD_STR_HUMAN): what INCRBYFLOAT stores, "%.17Lf" without
 * trailing zeros.  Returns the length, 0 when it does not fit. */
size_t redis_ld2string_human(char *buf, size_t len, long double value) {
    int l = snprintf(buf, len, "%.17Lf", value);
    if (l < 0 || (size_t)l + 1 > len) return 0;
    if (strchr(buf, '.') != NULL) {
        char *p = buf + l - 1;
        while (*p == '0') p--, l--;
        if (*p == '.') l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') buf[0] = '0', l = 1;
    buf[l] = '\0';
    return (size_t)l;
}

