/* The format table, format detection, and the checks every trace source must
 * pass whatever its format. */
#include "trace_reader.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>


static const char *const op_names[TRACE_OP__COUNT] = {
    [TRACE_OP_SET] = "SET",         [TRACE_OP_DEL] = "DEL",
    [TRACE_OP_EXPIRE] = "EXPIRE",   [TRACE_OP_PERSIST] = "PERSIST",
    [TRACE_OP_GET] = "GET",         [TRACE_OP_PURGE] = "PURGE",
    [TRACE_OP_TICK] = "TICK",       [TRACE_OP_APPEND] = "APPEND",
    [TRACE_OP_HSET] = "HSET",       [TRACE_OP_HDEL] = "HDEL",
    [TRACE_OP_SADD] = "SADD",       [TRACE_OP_SREM] = "SREM",
    [TRACE_OP_ZADD] = "ZADD",       [TRACE_OP_ZREM] = "ZREM",
    [TRACE_OP_LPUSH] = "LPUSH",     [TRACE_OP_RPUSH] = "RPUSH",
    [TRACE_OP_LPOP] = "LPOP",       [TRACE_OP_RPOP] = "RPOP",
    [TRACE_OP_LTRIM] = "LTRIM",
};

static const char *const cond_names[TRACE_COND__COUNT] = {
    [TRACE_COND_NONE] = "", [TRACE_COND_NX] = "NX", [TRACE_COND_XX] = "XX",
};

const char *trace_cond_name(trace_cond c) {
    return (unsigned)c < TRACE_COND__COUNT ? cond_names[c] : NULL;
}

const char *trace_op_name(trace_op op) {
    return (unsigned)op < TRACE_OP__COUNT ? op_names[op] : NULL;
}

int trace_op_parse(const char *name, uint32_t len) {
    for (int i = 0; i < TRACE_OP__COUNT; i++)
        if (strlen(op_names[i]) == len && strncasecmp(op_names[i], name, len) == 0)
            return i;
    return -1;
}

int trace_score_format(char *buf, double score) {
    /* d2string (util.c): the integer path of double2ll, within +-LLONG_MAX/2. */
    if (isinf(score)) return snprintf(buf, TRACE_SCORE_BUF, score < 0 ? "-inf" : "inf");
    if (score == 0) return snprintf(buf, TRACE_SCORE_BUF, signbit(score) ? "-0" : "0");
    if (score >= (double)(-LLONG_MAX / 2) && score <= (double)(LLONG_MAX / 2) &&
        (double)(long long)score == score)
        return snprintf(buf, TRACE_SCORE_BUF, "%lld", (long long)score);
    return snprintf(buf, TRACE_SCORE_BUF, "%.17g", score);
}

int trace_score_parse(const char *s, uint32_t len, double *out) {
    char buf[TRACE_SCORE_BUF * 4];
    if (len == 0 || len >= sizeof buf || isspace((unsigned char)s[0])) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    /* string2d: the whole string, no overflow to +-HUGE_VAL or underflow to 0. */
    if ((size_t)(end - buf) != len || isnan(d) ||
        (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL || d == 0)))
        return -1;
    *out = d;
    return 0;
}

/* Every format's two calls, then the table (trace_formats.h). */
#define TRACE_FORMAT(name, description, prefix)                      \
    int prefix##_detect(const unsigned char *head, size_t n);        \
    int prefix##_open(trace_reader *r, trace_source *src, fs_err *err);
#include "trace_formats.h"
#undef TRACE_FORMAT

static const trace_format formats[] = {
#define TRACE_FORMAT(name, description, prefix) {name, description, prefix##_detect, prefix##_open},
#include "trace_formats.h"
#undef TRACE_FORMAT
};

const trace_format *trace_formats(size_t *count) {
    *count = sizeof formats / sizeof formats[0];
    return formats;
}

const trace_format *trace_format_find(const char *name) {
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(formats[i].name, name) == 0) return &formats[i];
    return NULL;
}

int trace_open(trace_reader *r, const char *path, const char *format, fs_err *err) {
    memset(r, 0, sizeof *r);
    r->last_time_us = INT64_MIN;
    const trace_format *f = NULL;
    if (format != NULL && strcmp(format, "auto") != 0) {
        f = trace_format_find(format);
        if (f == NULL) {
            char names[256] = "";
            for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
                if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
                strncat(names, formats[i].name, sizeof names - strlen(names) - 1);
            }
            return fs_errf(err, "unknown trace format '%s' (known: %s)", format, names);
        }
    }
    trace_source *src = trace_source_open(path, err);
    if (src == NULL) return -1;
    if (f == NULL) {
        ssize_t n = trace_source_fill(src, TRACE_HEAD_BYTES, err);
        if (n < 0) {
            fs_err_prefix(err, "%s", src->path);
            trace_source_close(src);
            return -1;
        }
        size_t head = (size_t)n < TRACE_HEAD_BYTES ? (size_t)n : TRACE_HEAD_BYTES;
        for (size_t i = 0; i < sizeof formats / sizeof formats[0] && f == NULL; i++)
            if (formats[i].detect(trace_source_peek(src), head)) f = &formats[i];
        if (f == NULL) {
            /* The list from the table, so that it names every format. */
            char names[512] = "";
            size_t used = 0;
            for (size_t i = 0; i < sizeof formats / sizeof formats[0] && used < sizeof names; i++)
                used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
                                         i ? ", " : "", formats[i].name);
            fs_errf(err, "%s:1: not a trace fragsim knows%s: expected one of the formats %s "
                    "(fragsim trace --help says what each is; a text trace starts "
                    "'fragsim-trace v1'), or name the format with --format", src->path,
                    trace_source_compressed(src) ? " (after zstd)" : "", names);
            trace_source_close(src);
            return -1;
        }
    }
    return f->open(r, src, err);
}

int trace_next(trace_reader *r, trace_event *ev, fs_err *err) {
    int rc = r->ops->next(r, ev, err);
    if (rc <= 0) return rc;
    char where[512];
    if (ev->time_us < r->last_time_us) {
        r->ops->where(r, where, sizeof where);
        return fs_errf(err, "%s: time goes backwards (%.6f after %.6f): timestamps must be "
                       "non-decreasing", where, (double)ev->time_us / TRACE_US_PER_S,
                       (double)r->last_time_us / TRACE_US_PER_S);
    }
    if ((ev->op == TRACE_OP_SET || ev->op == TRACE_OP_APPEND || ev->op == TRACE_OP_GET ||
         ev->op == TRACE_OP_HSET || ev->op == TRACE_OP_LPUSH || ev->op == TRACE_OP_RPUSH) &&
        ev->size > TRACE_SIZE_MAX) {
        r->ops->where(r, where, sizeof where);
        return fs_errf(err, "%s: value size %llu is absurd: expected at most %llu bytes",
                       where, (unsigned long long)ev->size,
                       (unsigned long long)TRACE_SIZE_MAX);
    }
    if ((unsigned)ev->cond >= TRACE_COND__COUNT ||
        (ev->cond != TRACE_COND_NONE && ev->op != TRACE_OP_SET &&
         !(ev->op == TRACE_OP_APPEND && ev->cond == TRACE_COND_XX))) {
        r->ops->where(r, where, sizeof where);
        return fs_errf(err, "%s: condition %s on %s: expected NX or XX on SET, XX on APPEND, "
                       "none on anything else", where,
                       trace_cond_name(ev->cond) ? trace_cond_name(ev->cond) : "?",
                       trace_op_name(ev->op) ? trace_op_name(ev->op) : "?");
    }
    if ((ev->op == TRACE_OP_SET && ev->ttl_us != TRACE_TTL_NONE &&
         (ev->ttl_us <= 0 || ev->ttl_us > TRACE_TTL_MAX_US)) ||
        (ev->op == TRACE_OP_EXPIRE && (ev->ttl_us < 0 || ev->ttl_us > TRACE_TTL_MAX_US))) {
        r->ops->where(r, where, sizeof where);
        return fs_errf(err, "%s: ttl %.6f s out of range: expected %s up to 100 years", where,
                       (double)ev->ttl_us / TRACE_US_PER_S,
                       ev->op == TRACE_OP_SET ? "more than 0" : "0 or more");
    }
    r->last_time_us = ev->time_us;
    r->nevents++;
    return 1;
}

void trace_close(trace_reader *r) {
    if (r->ops != NULL && r->ops->close != NULL) r->ops->close(r);
    r->ops = NULL;
    r->state = NULL;
}
