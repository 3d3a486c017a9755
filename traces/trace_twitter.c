/* Twitter's cache-trace (twitter/cache-trace, OSDI'20), one request per line,
 * seven comma-separated fields, no header:
 *
 *     timestamp,anonymized key,key size,value size,client id,operation,TTL
 *     0,nz:u:eeW511W3dcH3de3d15ec,24,196,7,get,0
 *
 *   timestamp   whole seconds
 *   key         the anonymized key; its bytes are the simulated key
 *   key size    bytes of the original key (checked to be a number, unused:
 *               fragsim's raw model allocates values only)
 *   value size  bytes of the value
 *   client id   unused
 *   operation   get gets set add replace cas append prepend delete incr decr
 *   TTL         seconds; 0 for non-writes and for writes that never expire
 *
 * What each operation does to memory is in traces/FORMAT.md; the table below
 * is that mapping.  Keys holding a comma would shift the columns: every line
 * must have exactly seven fields, or it is an error naming the line. */
#include "trace_twitter.h"

#include <stdio.h>
#include <string.h>

#include "../sim/base/emem.h"
#include "trace_csv.h"

#define TW_FIELDS 7

enum { TW_READ, TW_WRITE, TW_APPEND, TW_DELETE, TW_COUNTER };

/* One row per operation of the trace. */
static const struct tw_op {
    const char *name;
    trace_op op;
    trace_cond cond;
    int kind;
} tw_ops[] = {
    {"get", TRACE_OP_GET, TRACE_COND_NONE, TW_READ},
    {"gets", TRACE_OP_GET, TRACE_COND_NONE, TW_READ},
    {"set", TRACE_OP_SET, TRACE_COND_NONE, TW_WRITE},
    {"add", TRACE_OP_SET, TRACE_COND_NX, TW_WRITE},
    {"replace", TRACE_OP_SET, TRACE_COND_XX, TW_WRITE},
    {"cas", TRACE_OP_SET, TRACE_COND_XX, TW_WRITE},
    {"append", TRACE_OP_APPEND, TRACE_COND_XX, TW_APPEND},
    {"prepend", TRACE_OP_APPEND, TRACE_COND_XX, TW_APPEND},
    {"delete", TRACE_OP_DEL, TRACE_COND_NONE, TW_DELETE},
    {"incr", TRACE_OP_GET, TRACE_COND_NONE, TW_COUNTER},
    {"decr", TRACE_OP_GET, TRACE_COND_NONE, TW_COUNTER},
};

static const struct tw_op *tw_op_find(csv_field f) {
    for (size_t i = 0; i < sizeof tw_ops / sizeof tw_ops[0]; i++)
        if (csv_is(f, tw_ops[i].name)) return &tw_ops[i];
    return NULL;
}

typedef struct tw_state {
    trace_source *src;
} tw_state;

/* The first line must be a well-formed record. */
int trace_twitter_detect(const unsigned char *head, size_t n) {
    const unsigned char *nl = memchr(head, '\n', n);
    size_t len = nl ? (size_t)(nl - head) : n < TRACE_HEAD_BYTES ? n : 0;
    if (len > 0 && head[len - 1] == '\r') len--;
    if (len == 0) return 0;
    csv_field f[TW_FIELDS];
    uint64_t v;
    return csv_split((const char *)head, len, f, TW_FIELDS) == TW_FIELDS &&
           csv_u64(f[0], &v) == 0 && csv_u64(f[2], &v) == 0 && csv_u64(f[3], &v) == 0 &&
           csv_u64(f[6], &v) == 0 && tw_op_find(f[5]) != NULL;
}

static void tw_where(trace_reader *r, char *buf, size_t n) {
    trace_source_where(((tw_state *)r->state)->src, buf, n);
}

static void tw_close(trace_reader *r) {
    tw_state *s = r->state;
    if (s == NULL) return;
    trace_source_close(s->src);
    emem_unmap(s, sizeof *s);
}

#define LINE_ERR(...) trace_source_errf(err, s->src, __VA_ARGS__)

static int tw_next(trace_reader *r, trace_event *ev, fs_err *err) {
    tw_state *s = r->state;
    for (;;) {
        char *line;
        size_t len;
        int rc = trace_source_line(s->src, &line, &len, err);
        if (rc < 0)
            return fs_err_prefix(err, "%s:%llu", s->src->path,
                                 (unsigned long long)s->src->line + 1);
        if (rc == 0) return 0;
        if (len == 0) continue; /* a blank line, as a file's last often is */
        csv_field f[TW_FIELDS];
        size_t nf = csv_split(line, len, f, TW_FIELDS);
        if (nf != TW_FIELDS)
            return LINE_ERR("expected %d comma-separated fields (timestamp, key, key size, value "
                            "size, client id, operation, TTL), found %zu", TW_FIELDS, nf);
        uint64_t t, keysize, size, ttl;
        if (csv_u64(f[0], &t) != 0 || t > 1000000000000ULL)
            return LINE_ERR("expected a timestamp in whole seconds, found '%.*s'",
                            CSV_SHOW(f[0]));
        if (f[1].n > TRACE_KEY_MAX)
            return LINE_ERR("key of %zu bytes: expected at most %u", f[1].n, TRACE_KEY_MAX);
        if (csv_u64(f[2], &keysize) != 0)
            return LINE_ERR("expected the key size in bytes (field 3), found '%.*s'",
                            CSV_SHOW(f[2]));
        if (csv_u64(f[3], &size) != 0)
            return LINE_ERR("expected the value size in bytes (field 4), found '%.*s'",
                            CSV_SHOW(f[3]));
        const struct tw_op *op = tw_op_find(f[5]);
        if (op == NULL)
            return LINE_ERR("unknown operation '%.*s': expected get, gets, set, add, replace, "
                            "cas, append, prepend, delete, incr or decr", CSV_SHOW(f[5]));
        if (csv_u64(f[6], &ttl) != 0 || ttl > (uint64_t)(TRACE_TTL_MAX_US / TRACE_US_PER_S))
            return LINE_ERR("expected a TTL in whole seconds up to 100 years (field 7), found "
                            "'%.*s'", CSV_SHOW(f[6]));

        memset(ev, 0, sizeof *ev);
        ev->time_us = (int64_t)t * TRACE_US_PER_S;
        ev->op = op->op;
        ev->cond = op->cond;
        ev->key = f[1].p;
        ev->keylen = (uint32_t)f[1].n;
        ev->ttl_us = TRACE_TTL_NONE;
        switch (op->kind) {
        case TW_READ: ev->size = size; break;
        case TW_WRITE:
            ev->size = size;
            if (ttl > 0) ev->ttl_us = (int64_t)ttl * TRACE_US_PER_S;
            break;
        case TW_APPEND: ev->size = size; break;
        case TW_DELETE:
        case TW_COUNTER: break; /* no size: an incr miss stores nothing */
        }
        return 1;
    }
}

static const trace_reader_ops tw_ops_reader = {"twitter", tw_next, tw_where, tw_close};

int trace_twitter_open(trace_reader *r, trace_source *src, fs_err *err) {
    tw_state *s = emem_map(sizeof *s);
    if (s == NULL) {
        fs_errf(err, "cannot map reader state for '%s'", src->path);
        trace_source_close(src);
        return -1;
    }
    s->src = src;
    r->ops = &tw_ops_reader;
    r->state = s;
    return 0;
}
