/* CacheLib's kvcache replay trace (cachebench's KVReplayGenerator input):
 * comma-separated, one request per line, with a header row naming the
 * columns in any order:
 *
 *     op_time,key,key_size,op,op_count,size,cache_hits,ttl,usecase,sub_usecase
 *     604038471,82131353f9ddc8c6,48,GET,1,87,1,0,366387042,3003229276
 *
 *   op_time   whole seconds                                      (required)
 *   key       the key's bytes                                    (required)
 *   op        GET, GET_LEASE, SET, SET_LEASE, DELETE             (required)
 *   size      value bytes; 0 on a GET miss                       (required)
 *   op_count  how many times the request repeats; default 1
 *   ttl       seconds; 0 when not a write or when it never expires; default 0
 *   key_size, cache_hits, usecase, sub_usecase and any other column: unused
 *
 * A row with op_count N gives N identical events at op_time; N is at most
 * CL_MAX_OP_COUNT, so that one row cannot ask for unbounded work.  Every row must
 * have as many fields as the header.  What each operation does to memory is
 * in traces/FORMAT.md. */
#include "trace_cachelib.h"

#include <stdio.h>
#include <string.h>

#include "../sim/base/emem.h"
#include "trace_csv.h"

#define CL_MAX_COLUMNS 64
/* Real kvcache traces repeat a request a few to a few thousand times; a
 * million identical events at one second is already far past any of them
 * (and a tenth of a second of replay). */
#define CL_MAX_OP_COUNT 1000000

enum { COL_TIME, COL_KEY, COL_OP, COL_SIZE, COL_COUNT, COL_TTL, NCOLS };
static const char *const col_names[NCOLS] = {"op_time", "key", "op", "size", "op_count", "ttl"};
#define NREQUIRED 4 /* the first four */

static const struct cl_op {
    const char *name;
    trace_op op;
} cl_ops[] = {
    {"GET", TRACE_OP_GET}, {"GET_LEASE", TRACE_OP_GET}, {"SET", TRACE_OP_SET},
    {"SET_LEASE", TRACE_OP_SET}, {"DELETE", TRACE_OP_DEL},
};

typedef struct cl_state {
    trace_source *src;
    int col[NCOLS];         /* field index of each column, -1 if absent */
    size_t nfields;         /* fields in the header, and so in every row */
    uint64_t repeat;        /* copies of `pending` still to hand out */
    trace_event pending;    /* its key points into the current line */
} cl_state;

/* The first line must be a header naming at least op_time, key and op. */
int trace_cachelib_detect(const unsigned char *head, size_t n) {
    const unsigned char *nl = memchr(head, '\n', n);
    size_t len = nl ? (size_t)(nl - head) : n < TRACE_HEAD_BYTES ? n : 0;
    if (len > 0 && head[len - 1] == '\r') len--;
    csv_field f[CL_MAX_COLUMNS];
    size_t nf = csv_split((const char *)head, len, f, CL_MAX_COLUMNS);
    int seen = 0;
    for (size_t i = 0; i < nf && i < CL_MAX_COLUMNS; i++)
        for (int c = 0; c < 3; c++) seen |= (csv_is(f[i], col_names[c]) ? 1 : 0) << c;
    return len > 0 && seen == 7;
}

static void cl_where(trace_reader *r, char *buf, size_t n) {
    trace_source_where(((cl_state *)r->state)->src, buf, n);
}

static void cl_close(trace_reader *r) {
    cl_state *s = r->state;
    if (s == NULL) return;
    trace_source_close(s->src);
    emem_unmap(s, sizeof *s);
}

#define LINE_ERR(...) trace_source_errf(err, s->src, __VA_ARGS__)

/* Reads the next line; returns 1, 0 at the end, -1. */
static int cl_line(cl_state *s, char **line, size_t *len, fs_err *err) {
    int rc = trace_source_line(s->src, line, len, err);
    if (rc < 0)
        fs_err_prefix(err, "%s:%llu", s->src->path, (unsigned long long)s->src->line + 1);
    return rc;
}

static int cl_next(trace_reader *r, trace_event *ev, fs_err *err) {
    cl_state *s = r->state;
    while (s->repeat == 0) {
        char *line;
        size_t len;
        int rc = cl_line(s, &line, &len, err);
        if (rc <= 0) return rc;
        if (len == 0) continue;
        csv_field f[CL_MAX_COLUMNS];
        size_t nf = csv_split(line, len, f, CL_MAX_COLUMNS);
        if (nf != s->nfields)
            return LINE_ERR("expected %zu comma-separated fields, as the header names, found %zu",
                            s->nfields, nf);
        uint64_t t, size, count = 1, ttl = 0;
        csv_field key = f[s->col[COL_KEY]], opf = f[s->col[COL_OP]];
        if (csv_u64(f[s->col[COL_TIME]], &t) != 0 || t > 1000000000000ULL)
            return LINE_ERR("op_time: expected whole seconds, found '%.*s'",
                            CSV_SHOW(f[s->col[COL_TIME]]));
        if (key.n > TRACE_KEY_MAX)
            return LINE_ERR("key of %zu bytes: expected at most %u", key.n, TRACE_KEY_MAX);
        const struct cl_op *op = NULL;
        for (size_t i = 0; i < sizeof cl_ops / sizeof cl_ops[0] && op == NULL; i++)
            if (csv_is(opf, cl_ops[i].name)) op = &cl_ops[i];
        if (op == NULL)
            return LINE_ERR("unknown op '%.*s': expected GET, GET_LEASE, SET, SET_LEASE or "
                            "DELETE", CSV_SHOW(opf));
        if (csv_u64(f[s->col[COL_SIZE]], &size) != 0)
            return LINE_ERR("size: expected the value size in bytes, found '%.*s'",
                            CSV_SHOW(f[s->col[COL_SIZE]]));
        if (s->col[COL_COUNT] >= 0 &&
            (csv_u64(f[s->col[COL_COUNT]], &count) != 0 || count == 0 ||
             count > CL_MAX_OP_COUNT))
            return LINE_ERR("op_count: expected a whole number from 1 to %d, found '%.*s'",
                            CL_MAX_OP_COUNT, CSV_SHOW(f[s->col[COL_COUNT]]));
        if (s->col[COL_TTL] >= 0 &&
            (csv_u64(f[s->col[COL_TTL]], &ttl) != 0 ||
             ttl > (uint64_t)(TRACE_TTL_MAX_US / TRACE_US_PER_S)))
            return LINE_ERR("ttl: expected whole seconds up to 100 years, found '%.*s'",
                            CSV_SHOW(f[s->col[COL_TTL]]));
        trace_event *p = &s->pending;
        memset(p, 0, sizeof *p);
        p->time_us = (int64_t)t * TRACE_US_PER_S;
        p->op = op->op;
        p->key = key.p;
        p->keylen = (uint32_t)key.n;
        p->ttl_us = TRACE_TTL_NONE;
        if (op->op != TRACE_OP_DEL) p->size = size;
        if (op->op == TRACE_OP_SET && ttl > 0) p->ttl_us = (int64_t)ttl * TRACE_US_PER_S;
        s->repeat = count;
    }
    s->repeat--;
    *ev = s->pending;
    return 1;
}

static const trace_reader_ops cl_ops_reader = {"cachelib", cl_next, cl_where, cl_close};

int trace_cachelib_open(trace_reader *r, trace_source *src, fs_err *err) {
    cl_state *s = emem_map(sizeof *s);
    if (s == NULL) {
        fs_errf(err, "cannot map reader state for '%s'", src->path);
        trace_source_close(src);
        return -1;
    }
    s->src = src;
    r->ops = &cl_ops_reader;
    r->state = s;
    char *line;
    size_t len;
    int rc = cl_line(s, &line, &len, err);
    if (rc <= 0) {
        if (rc == 0)
            (void)LINE_ERR("expected a header row naming the columns (op_time,key,op,size...)");
        trace_close(r);
        return -1;
    }
    csv_field f[CL_MAX_COLUMNS];
    s->nfields = csv_split(line, len, f, CL_MAX_COLUMNS);
    for (int c = 0; c < NCOLS; c++) s->col[c] = -1;
    if (s->nfields > CL_MAX_COLUMNS) {
        (void)LINE_ERR("the header has %zu columns: expected at most %d", s->nfields,
                       CL_MAX_COLUMNS);
        trace_close(r);
        return -1;
    }
    for (size_t i = 0; i < s->nfields; i++)
        for (int c = 0; c < NCOLS; c++)
            if (csv_is(f[i], col_names[c])) {
                if (s->col[c] >= 0) {
                    (void)LINE_ERR("the header names column '%s' twice: expected each once",
                             col_names[c]);
                    trace_close(r);
                    return -1;
                }
                s->col[c] = (int)i;
            }
    for (int c = 0; c < NREQUIRED; c++)
        if (s->col[c] < 0) {
            (void)LINE_ERR("the header names no '%s' column: expected op_time, key, op and size "
                     "(op_count and ttl optional), in any order", col_names[c]);
            trace_close(r);
            return -1;
        }
    return 0;
}
