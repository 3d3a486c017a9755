/* trace_csv: the little the CSV readers (twitter, cachelib) share.  Their
 * files are plain comma-separated numbers and identifiers, without quoting:
 * a field is the bytes between two commas. */
#ifndef FRAGSIM_TRACE_CSV_H
#define FRAGSIM_TRACE_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct csv_field {
    const char *p;
    size_t n;
} csv_field;

/* Splits line (len bytes) at commas into f[0..max).  Returns the number of
 * fields the line has, which may be more than max: then f[max - 1] holds
 * only its own field and the rest is counted, not kept. */
static inline size_t csv_split(const char *line, size_t len, csv_field *f, size_t max) {
    size_t count = 0;
    const char *p = line, *end = line + len;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (count < max) f[count] = (csv_field){p, (size_t)(stop - p)};
        count++;
        if (comma == NULL) return count;
        p = comma + 1;
    }
}

/* A whole number of 1 to 19 digits, nothing else.  Returns 0 or -1. */
static inline int csv_u64(csv_field f, uint64_t *out) {
    uint64_t v = 0;
    if (f.n == 0 || f.n > 19) return -1;
    for (size_t i = 0; i < f.n; i++) {
        if (f.p[i] < '0' || f.p[i] > '9') return -1;
        v = v * 10 + (uint64_t)(f.p[i] - '0');
    }
    *out = v;
    return 0;
}

/* Case-insensitive comparison of a field with a name. */
static inline int csv_is(csv_field f, const char *name) {
    size_t n = strlen(name);
    if (f.n != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = f.p[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        char d = name[i];
        if (d >= 'A' && d <= 'Z') d = (char)(d - 'A' + 'a');
        if (c != d) return 0;
    }
    return 1;
}

/* At most 40 bytes of a field, for messages: printf("%.*s", CSV_SHOW(f)). */
#define CSV_SHOW(f) (int)((f).n > 40 ? 40 : (f).n), (f).p

#endif
