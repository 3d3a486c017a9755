/* The readers of other programs' traces (Twitter cache-trace CSV, CacheLib
 * kvcache CSV, libCacheSim oracleGeneral), format detection, and zstd under
 * every format: each through trace_open/trace_next/trace_close, with the
 * mapping traces/FORMAT.md documents and errors naming FILE:LINE or the
 * record. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "../sim/engine.h"
#include "../traces/trace_reader.h"
#include "test_backend.h"
#include "test_util.h"

static char *dir;

static void setup(void) {
    dir = tu_tmpdir();
    cr_assert_not_null(dir);
}

static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(trace_formats, .init = setup, .fini = teardown, .timeout = 120);

#define US(s) ((int64_t)(s) * TRACE_US_PER_S)
#define EXPECT(msg, needle) cr_assert(strstr(msg, needle) != NULL, "'%s' not in: %s", needle, msg)
#define SAMPLES FRAGSIM_SOURCE_DIR "/traces/samples"

typedef struct got_event {
    int64_t time_us;
    trace_op op;
    trace_cond cond;
    char key[256];
    uint32_t keylen;
    uint64_t size;
    int64_t ttl_us;
} got_event;

typedef struct got {
    int n;
    got_event ev[1024];
    uint64_t total;  /* events read, also past the ones kept */
    uint64_t ops[TRACE_OP__COUNT];
    int rc;          /* trace_next's last answer */
    fs_err err;
    char format[32];
} got;

static const char *write_bytes(const char *name, const void *data, size_t len) {
    const char *path = tu_path(dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return path;
}

static const char *write_text(const char *name, const char *text) {
    return write_bytes(name, text, strlen(text));
}

/* Reads all of path (format NULL: detected) into a fresh *g.  Returns
 * trace_open's answer. */
static int read_all(got *g, const char *path, const char *format) {
    memset(g, 0, sizeof *g);
    trace_reader r;
    if (trace_open(&r, path, format, &g->err) != 0) {
        g->rc = -1;
        return -1;
    }
    snprintf(g->format, sizeof g->format, "%s", r.ops->name);
    trace_event ev;
    while ((g->rc = trace_next(&r, &ev, &g->err)) == 1) {
        g->total++;
        g->ops[ev.op]++;
        if (g->n == 1024) continue;
        got_event *e = &g->ev[g->n++];
        *e = (got_event){.time_us = ev.time_us, .op = ev.op, .cond = ev.cond,
                         .keylen = ev.keylen, .size = ev.size, .ttl_us = ev.ttl_us};
        cr_assert_lt(ev.keylen, sizeof e->key);
        if (ev.key) memcpy(e->key, ev.key, ev.keylen);
    }
    trace_close(&r);
    return 0;
}

static void read_ok(got *g, const char *path, const char *format, const char *want_format) {
    cr_assert_eq(read_all(g, path, format), 0, "trace_open: %s", g->err.msg);
    cr_assert_eq(g->rc, 0, "trace_next: %s", g->err.msg);
    if (want_format) cr_assert_str_eq(g->format, want_format);
}

/* Reading path must fail with a message naming `where` and containing
 * `needle`. */
static void read_fails(const char *path, const char *format, const char *where,
                       const char *needle) {
    got *g = malloc(sizeof *g);
    int orc = read_all(g, path, format);
    cr_assert(orc != 0 || g->rc == -1, "expected an error (%s), read %llu events", needle,
              (unsigned long long)g->total);
    EXPECT(g->err.msg, where);
    EXPECT(g->err.msg, needle);
    free(g);
}

static void assert_event(const got_event *e, int64_t t, trace_op op, trace_cond cond,
                         const char *key, uint64_t size, int64_t ttl) {
    cr_assert_eq(e->time_us, t, "time %lld, expected %lld", (long long)e->time_us, (long long)t);
    cr_assert_eq(e->op, op, "op %s, expected %s", trace_op_name(e->op), trace_op_name(op));
    cr_assert_eq(e->cond, cond, "condition %d, expected %d", (int)e->cond, (int)cond);
    cr_assert_eq(e->keylen, strlen(key), "key '%.*s', expected '%s'", (int)e->keylen, e->key,
                 key);
    cr_assert(memcmp(e->key, key, e->keylen) == 0, "key '%.*s', expected '%s'", (int)e->keylen,
              e->key, key);
    cr_assert_eq(e->size, size, "size %llu, expected %llu", (unsigned long long)e->size,
                 (unsigned long long)size);
    cr_assert_eq(e->ttl_us, ttl, "ttl %lld, expected %lld", (long long)e->ttl_us,
                 (long long)ttl);
}

/* "PATH:LINE:" in a static buffer. */
static const char *at_line(const char *path, int line) {
    static char buf[1200];
    snprintf(buf, sizeof buf, "%s:%d:", path, line);
    return buf;
}

/* ---- Twitter cache-trace ---- */

/* One line per operation, in the trace's own column layout:
 * timestamp,anonymized key,key size,value size,client id,operation,TTL */
static const char *const TWITTER_ALL_OPS =
    "100,nz:u:eeW511W3dcH3de3d15ec,24,196,7,get,0\n"
    "100,nz:u:eeW511W3dcH3de3d15ec,24,196,7,gets,0\n"
    "101,nz:u:abc,10,300,3,set,3600\n"
    "101,nz:u:abc,10,300,3,set,0\n"
    "102,nz:u:new,10,40,3,add,60\n"
    "102,nz:u:abc,10,50,3,replace,0\n"
    "103,nz:u:abc,10,60,3,cas,120\n"
    "103,nz:u:abc,10,5,3,append,0\n"
    "104,nz:u:abc,10,6,3,prepend,0\n"
    "104,nz:u:abc,10,0,3,delete,0\n"
    "105,cnt:1,5,1,2,incr,0\n"
    "105,cnt:1,5,1,2,decr,0\n"
    "106,nz:u:miss,11,0,7,get,0\n";

Test(trace_formats, twitter_every_operation_maps_as_documented) {
    got g;
    read_ok(&g, write_text("tw.csv", TWITTER_ALL_OPS), NULL, "twitter");
    cr_assert_eq(g.n, 13);
    const char *k = "nz:u:eeW511W3dcH3de3d15ec";
    assert_event(&g.ev[0], US(100), TRACE_OP_GET, TRACE_COND_NONE, k, 196, TRACE_TTL_NONE);
    assert_event(&g.ev[1], US(100), TRACE_OP_GET, TRACE_COND_NONE, k, 196, TRACE_TTL_NONE);
    assert_event(&g.ev[2], US(101), TRACE_OP_SET, TRACE_COND_NONE, "nz:u:abc", 300, US(3600));
    /* TTL 0 on a write: memcached's exptime 0, never expires. */
    assert_event(&g.ev[3], US(101), TRACE_OP_SET, TRACE_COND_NONE, "nz:u:abc", 300,
                 TRACE_TTL_NONE);
    assert_event(&g.ev[4], US(102), TRACE_OP_SET, TRACE_COND_NX, "nz:u:new", 40, US(60));
    assert_event(&g.ev[5], US(102), TRACE_OP_SET, TRACE_COND_XX, "nz:u:abc", 50,
                 TRACE_TTL_NONE);
    assert_event(&g.ev[6], US(103), TRACE_OP_SET, TRACE_COND_XX, "nz:u:abc", 60, US(120));
    assert_event(&g.ev[7], US(103), TRACE_OP_APPEND, TRACE_COND_XX, "nz:u:abc", 5,
                 TRACE_TTL_NONE);
    assert_event(&g.ev[8], US(104), TRACE_OP_APPEND, TRACE_COND_XX, "nz:u:abc", 6,
                 TRACE_TTL_NONE);
    assert_event(&g.ev[9], US(104), TRACE_OP_DEL, TRACE_COND_NONE, "nz:u:abc", 0,
                 TRACE_TTL_NONE);
    /* incr/decr: an access that never stores (size 0: no fill on a miss). */
    assert_event(&g.ev[10], US(105), TRACE_OP_GET, TRACE_COND_NONE, "cnt:1", 0, TRACE_TTL_NONE);
    assert_event(&g.ev[11], US(105), TRACE_OP_GET, TRACE_COND_NONE, "cnt:1", 0, TRACE_TTL_NONE);
    assert_event(&g.ev[12], US(106), TRACE_OP_GET, TRACE_COND_NONE, "nz:u:miss", 0,
                 TRACE_TTL_NONE);
}

Test(trace_formats, twitter_crlf_blank_lines_and_case) {
    got g;
    read_ok(&g, write_text("tw.csv", "0,a,1,10,0,SET,5\r\n\r\n1,a,1,10,0,Get,0\r\n"), NULL,
            "twitter");
    cr_assert_eq(g.n, 2);
    assert_event(&g.ev[0], 0, TRACE_OP_SET, TRACE_COND_NONE, "a", 10, US(5));
    assert_event(&g.ev[1], US(1), TRACE_OP_GET, TRACE_COND_NONE, "a", 10, TRACE_TTL_NONE);
}

Test(trace_formats, twitter_errors_name_the_line) {
    const char *p = write_text("cols.csv", "0,a,1,10,0,get,0\n1,a,1,10,get,0\n");
    read_fails(p, NULL, at_line(p, 2), "expected 7 comma-separated fields");
    read_fails(p, NULL, at_line(p, 2), "found 6");
    p = write_text("cols8.csv", "0,a,1,10,0,get,0\n0,a,b,1,10,0,get,0\n");
    read_fails(p, NULL, at_line(p, 2), "found 8");
    p = write_text("op.csv", "0,a,1,10,0,get,0\n\n3,a,1,10,0,touch,0\n");
    read_fails(p, NULL, at_line(p, 3), "unknown operation 'touch': expected get, gets");
    p = write_text("size.csv", "0,a,1,10,0,get,0\n1,a,1,-10,0,set,0\n");
    read_fails(p, NULL, at_line(p, 2), "value size");
    p = write_text("time.csv", "0,a,1,10,0,get,0\n1.5,a,1,10,0,set,0\n");
    read_fails(p, NULL, at_line(p, 2), "whole seconds, found '1.5'");
    p = write_text("ttl.csv", "0,a,1,10,0,get,0\n1,a,1,10,0,set,x\n");
    read_fails(p, "twitter", at_line(p, 2), "TTL");
    p = write_text("back.csv", "5,a,1,10,0,get,0\n4,a,1,10,0,get,0\n");
    read_fails(p, NULL, at_line(p, 2), "time goes backwards");
}

/* ---- CacheLib kvcache ---- */

/* An independent count of a CacheLib CSV: op_count summed per op column
 * value, by plain string handling (no fragsim code). */
typedef struct cl_count {
    uint64_t get, get_lease, set, set_lease, del, rows;
} cl_count;

static cl_count count_cachelib_csv(const char *path) {
    char *text = tu_read_file(path, NULL);
    cr_assert_not_null(text, "cannot read %s", path);
    cl_count c = {0};
    int op_col = -1, count_col = -1;
    char *save_line;
    int lineno = 0;
    for (char *line = strtok_r(text, "\n", &save_line); line;
         line = strtok_r(NULL, "\n", &save_line), lineno++) {
        char *save, *f;
        int col = 0;
        const char *op = NULL;
        unsigned long long count = 0;
        for (f = strtok_r(line, ",", &save); f; f = strtok_r(NULL, ",", &save), col++) {
            if (lineno == 0) {
                if (strcmp(f, "op") == 0) op_col = col;
                if (strcmp(f, "op_count") == 0) count_col = col;
            } else if (col == op_col) {
                op = f;
            } else if (col == count_col) {
                count = strtoull(f, NULL, 10);
            }
        }
        if (lineno == 0) {
            cr_assert(op_col >= 0 && count_col >= 0, "no op / op_count column in %s", path);
            continue;
        }
        cr_assert_not_null(op);
        c.rows++;
        if (strcmp(op, "GET") == 0) c.get += count;
        else if (strcmp(op, "GET_LEASE") == 0) c.get_lease += count;
        else if (strcmp(op, "SET") == 0) c.set += count;
        else if (strcmp(op, "SET_LEASE") == 0) c.set_lease += count;
        else if (strcmp(op, "DELETE") == 0) c.del += count;
        else cr_assert_fail("unexpected op '%s' in %s", op, path);
    }
    free(text);
    return c;
}

static void check_cachelib_sample(const char *name, const cl_count *want) {
    char path[1024];
    snprintf(path, sizeof path, "%s/cachelib/%s", SAMPLES, name);
    cl_count c = count_cachelib_csv(path);
    /* The independent count is what the sample's README says (counted with
     * awk), so neither side can drift silently. */
    cr_assert_eq(c.rows, want->rows);
    cr_assert_eq(c.get, want->get);
    cr_assert_eq(c.get_lease, want->get_lease);
    cr_assert_eq(c.set, want->set);
    cr_assert_eq(c.set_lease, want->set_lease);
    cr_assert_eq(c.del, want->del);

    got *g = malloc(sizeof *g);
    read_ok(g, path, NULL, "cachelib");
    cr_assert_eq(g->ops[TRACE_OP_GET], c.get + c.get_lease, "%s: %llu GET events", name,
                 (unsigned long long)g->ops[TRACE_OP_GET]);
    cr_assert_eq(g->ops[TRACE_OP_SET], c.set + c.set_lease);
    cr_assert_eq(g->ops[TRACE_OP_DEL], c.del);
    cr_assert_eq(g->total, c.get + c.get_lease + c.set + c.set_lease + c.del);
    uint64_t other = 0;
    for (int op = 0; op < TRACE_OP__COUNT; op++)
        if (op != TRACE_OP_GET && op != TRACE_OP_SET && op != TRACE_OP_DEL) other += g->ops[op];
    cr_assert_eq(other, 0);

    /* And it replays: every event through the engine. */
    void *be_state;
    fs_err err;
    engine e;
    engine_config cfg = {.sample_interval_us = US(1)};
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    cr_assert_eq(engine_init(&e, &test_backend, be_state, &cfg, &err), 0);
    trace_reader r;
    cr_assert_eq(trace_open(&r, path, NULL, &err), 0, "%s", err.msg);
    trace_event ev;
    int rc;
    while ((rc = trace_next(&r, &ev, &err)) == 1)
        cr_assert_eq(engine_apply(&e, &ev, &err), 0, "%s", err.msg);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_eq(engine_finish(&e, &err), 0, "%s", err.msg);
    trace_close(&r);
    cr_assert_eq(e.c.events, g->total);
    cr_assert_eq(e.c.ops[TRACE_OP_GET], c.get + c.get_lease);
    cr_assert_eq(e.c.keyspace_hits + e.c.keyspace_misses, c.get + c.get_lease);
    cr_assert_gt(e.c.requested_bytes, 0, "the SETs stored values");
    engine_destroy(&e);
    free(g);
}

Test(trace_formats, cachelib_sample_1_counts_per_op) {
    /* awk -F, 'NR>1{n[$4]+=$5; r++} END{...}' kv_traces_1.csv */
    const cl_count want = {.get = 167, .get_lease = 511, .set = 8, .set_lease = 2, .del = 3,
                           .rows = 99};
    check_cachelib_sample("kv_traces_1.csv", &want);
}

Test(trace_formats, cachelib_sample_2_counts_per_op) {
    /* The same count on kv_traces_2.csv, whose columns are in another order. */
    const cl_count want = {.get = 383, .get_lease = 35, .set = 9, .set_lease = 5, .del = 1,
                           .rows = 99};
    check_cachelib_sample("kv_traces_2.csv", &want);
}

Test(trace_formats, cachelib_columns_in_any_order_and_op_count_repeats) {
    got g;
    read_ok(&g, write_text("cl.csv", "ttl,size,op,key,op_time,extra\n"
                                     "0,87,GET,k1,1000,x\n"
                                     "7200,65,SET_LEASE,k2,1000,x\n"
                                     "0,0,DELETE,k2,1001,x\n"
                                     "60,10,set,k3,1002,x\n"),
            NULL, "cachelib");
    cr_assert_eq(g.n, 4, "no op_count column: each row once");
    assert_event(&g.ev[0], US(1000), TRACE_OP_GET, TRACE_COND_NONE, "k1", 87, TRACE_TTL_NONE);
    assert_event(&g.ev[1], US(1000), TRACE_OP_SET, TRACE_COND_NONE, "k2", 65, US(7200));
    assert_event(&g.ev[2], US(1001), TRACE_OP_DEL, TRACE_COND_NONE, "k2", 0, TRACE_TTL_NONE);
    assert_event(&g.ev[3], US(1002), TRACE_OP_SET, TRACE_COND_NONE, "k3", 10, US(60));

    read_ok(&g, write_text("rep.csv", "op_time,key,op,op_count,size,ttl\n"
                                      "5,a,GET,3,0,0\n"
                                      "5,b,SET,2,100,0\n"
                                      "6,a,GET_LEASE,1,40,0\n"),
            NULL, "cachelib");
    cr_assert_eq(g.n, 6);
    for (int i = 0; i < 3; i++)
        assert_event(&g.ev[i], US(5), TRACE_OP_GET, TRACE_COND_NONE, "a", 0, TRACE_TTL_NONE);
    for (int i = 3; i < 5; i++)
        assert_event(&g.ev[i], US(5), TRACE_OP_SET, TRACE_COND_NONE, "b", 100, TRACE_TTL_NONE);
    assert_event(&g.ev[5], US(6), TRACE_OP_GET, TRACE_COND_NONE, "a", 40, TRACE_TTL_NONE);
}

Test(trace_formats, cachelib_errors_name_the_line) {
    const char *hdr = "op_time,key,key_size,op,op_count,size,cache_hits,ttl\n";
    char body[512];
    snprintf(body, sizeof body, "%s1,k,1,GET,1,5,1,0\n1,k,1,GET,1,5,1\n", hdr);
    const char *p = write_text("cols.csv", body);
    read_fails(p, NULL, at_line(p, 3), "expected 8 comma-separated fields, as the header "
                                       "names, found 7");
    snprintf(body, sizeof body, "%s1,k,1,FETCH,1,5,1,0\n", hdr);
    p = write_text("op.csv", body);
    read_fails(p, NULL, at_line(p, 2), "unknown op 'FETCH': expected GET, GET_LEASE");
    snprintf(body, sizeof body, "%s1,k,1,GET,0,5,1,0\n", hdr);
    p = write_text("count.csv", body);
    read_fails(p, NULL, at_line(p, 2), "op_count");
    /* One row must not ask for unbounded work (this one never finished). */
    snprintf(body, sizeof body, "%s1,k,1,GET,1,5,1,0\n1,k,1,GET,999999999999999999,5,1,0\n", hdr);
    p = write_text("huge.csv", body);
    read_fails(p, NULL, at_line(p, 3), "op_count: expected a whole number from 1 to 1000000, "
                                       "found '999999999999999999'");
    snprintf(body, sizeof body, "%s1,k,1,GET,1,5,1,0\n2,k,1,SET,1,big,0,0\n", hdr);
    p = write_text("size.csv", body);
    read_fails(p, NULL, at_line(p, 3), "size: expected the value size in bytes, found 'big'");
    p = write_text("nosize.csv", "op_time,key,op,op_count\n1,k,GET,1\n");
    read_fails(p, NULL, at_line(p, 1), "no 'size' column");
    p = write_text("twice.csv", "op_time,key,op,size,op\n1,k,GET,1,GET\n");
    read_fails(p, NULL, at_line(p, 1), "column 'op' twice");
    p = write_text("noheader.csv", "1,k,GET,1\n");
    read_fails(p, "cachelib", at_line(p, 1), "no 'op_time' column");
}

/* ---- libCacheSim oracleGeneral ---- */

static size_t put_oracle(unsigned char *out, uint32_t t, uint64_t id, uint32_t size,
                         int64_t next) {
    memcpy(out, &t, 4); /* the test machine is little-endian, as the format */
    memcpy(out + 4, &id, 8);
    memcpy(out + 12, &size, 4);
    memcpy(out + 16, &next, 8);
    return 24;
}

Test(trace_formats, oracle_accesses_become_sets_and_gets) {
    unsigned char buf[24 * 8];
    size_t n = 0;
    n += put_oracle(buf + n, 1000, 42, 100, 2);
    n += put_oracle(buf + n, 1000, 7, 300, -1);
    n += put_oracle(buf + n, 1001, 42, 100, 3);           /* same size: GET */
    n += put_oracle(buf + n, 1001, 42, 120, INT64_MAX);   /* new size: SET */
    n += put_oracle(buf + n, 1002, 9, 0, -1);             /* size 0: skipped */
    n += put_oracle(buf + n, 1003, UINT64_MAX, 8, -1);
    got g;
    read_ok(&g, write_bytes("o.bin", buf, n), NULL, "oracleGeneral");
    cr_assert_eq(g.n, 5);
    assert_event(&g.ev[0], US(1000), TRACE_OP_SET, TRACE_COND_NONE, "42", 100, TRACE_TTL_NONE);
    assert_event(&g.ev[1], US(1000), TRACE_OP_SET, TRACE_COND_NONE, "7", 300, TRACE_TTL_NONE);
    assert_event(&g.ev[2], US(1001), TRACE_OP_GET, TRACE_COND_NONE, "42", 100, TRACE_TTL_NONE);
    assert_event(&g.ev[3], US(1001), TRACE_OP_SET, TRACE_COND_NONE, "42", 120, TRACE_TTL_NONE);
    assert_event(&g.ev[4], US(1003), TRACE_OP_SET, TRACE_COND_NONE, "18446744073709551615", 8,
                 TRACE_TTL_NONE);
}

Test(trace_formats, oracle_many_objects_and_the_sample) {
    /* 200,000 objects, each accessed twice: the object table grows. */
    const uint32_t nobj = 200000;
    size_t len = (size_t)nobj * 2 * 24;
    unsigned char *buf = malloc(len);
    size_t n = 0;
    for (uint32_t i = 0; i < nobj; i++)
        n += put_oracle(buf + n, i / 1000, i * 7919ULL, 64 + i % 500, -1);
    for (uint32_t i = 0; i < nobj; i++)
        n += put_oracle(buf + n, 200 + i / 1000, i * 7919ULL, 64 + i % 500, -1);
    got *g = malloc(sizeof *g);
    read_ok(g, write_bytes("many.bin", buf, n), "oracleGeneral", "oracleGeneral");
    free(buf);
    cr_assert_eq(g->ops[TRACE_OP_SET], nobj);
    cr_assert_eq(g->ops[TRACE_OP_GET], nobj);
    /* The sample: kv_traces_1.csv's requests of known size (661 GET and 10
     * SET events), zstd-compressed. */
    read_ok(g, SAMPLES "/oracle-sample.oracleGeneral.zst", NULL, "oracleGeneral");
    cr_assert_eq(g->total, 671);
    free(g);
}

Test(trace_formats, oracle_truncated_record) {
    unsigned char buf[24 * 3];
    size_t n = 0;
    n += put_oracle(buf + n, 1, 1, 10, -1);
    n += put_oracle(buf + n, 2, 2, 10, -1);
    n += put_oracle(buf + n, 3, 3, 10, -1);
    const char *p = write_bytes("cut.bin", buf, n - 17);
    char where[1200];
    snprintf(where, sizeof where, "%s: record 3 (byte 48)", p);
    read_fails(p, NULL, where, "truncated record: expected 24 bytes, found 7");
}

/* ---- detection ---- */

Test(trace_formats, every_sample_is_detected) {
    static const struct {
        const char *file, *format;
    } cases[] = {
        {"small.trace", "text"},
        {"small.fsb", "binary"},
        {"cachelib/kv_traces_1.csv", "cachelib"},
        {"cachelib/kv_traces_2.csv", "cachelib"},
        {"twitter-sample.csv", "twitter"},
        {"oracle-sample.oracleGeneral.zst", "oracleGeneral"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", SAMPLES, cases[i].file);
        got *g = malloc(sizeof *g);
        read_ok(g, path, NULL, cases[i].format);
        cr_assert_gt(g->total, 0, "%s", cases[i].file);
        free(g);
    }
}

Test(trace_formats, an_unknown_file_names_what_was_expected) {
    const char *p = write_text("what.txt", "hello, world\nthis is no trace\n");
    read_fails(p, NULL, at_line(p, 1), "not a trace fragsim knows");
    read_fails(p, NULL, at_line(p, 1), "--format");
    unsigned char zeros[10] = {0};
    p = write_bytes("zeros.bin", zeros, sizeof zeros);
    read_fails(p, NULL, at_line(p, 1), "not a trace fragsim knows");
}

/* ---- zstd under every format ---- */

static const char *write_zstd(const char *name, const void *data, size_t len) {
    size_t cap = ZSTD_compressBound(len);
    void *z = malloc(cap);
    size_t zn = ZSTD_compress(z, cap, data, len, 3);
    cr_assert(!ZSTD_isError(zn), "%s", ZSTD_getErrorName(zn));
    const char *path = write_bytes(name, z, zn);
    free(z);
    return path;
}

static void assert_same_events(const got *a, const got *b) {
    cr_assert_eq(a->total, b->total);
    cr_assert_str_eq(a->format, b->format);
    for (int i = 0; i < a->n; i++) {
        const got_event *x = &a->ev[i], *y = &b->ev[i];
        cr_assert(x->time_us == y->time_us && x->op == y->op && x->cond == y->cond &&
                  x->keylen == y->keylen && memcmp(x->key, y->key, x->keylen) == 0 &&
                  x->size == y->size && x->ttl_us == y->ttl_us, "event %d differs", i);
    }
}

Test(trace_formats, zst_files_read_like_plain_ones) {
    const char *files[] = {"small.trace", "small.fsb", "cachelib/kv_traces_1.csv",
                           "cachelib/kv_traces_2.csv", "twitter-sample.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", SAMPLES, files[i]);
        size_t len;
        char *data = tu_read_file(path, &len);
        cr_assert_not_null(data);
        char zname[64];
        snprintf(zname, sizeof zname, "sample-%zu.zst", i);
        const char *zpath = write_zstd(zname, data, len);
        free(data);
        got *plain = malloc(sizeof *plain), *packed = malloc(sizeof *packed);
        read_ok(plain, path, NULL, NULL);
        read_ok(packed, zpath, NULL, NULL);
        assert_same_events(plain, packed);
        free(plain);
        free(packed);
    }
}

/* A long Twitter trace, compressed in several frames: many buffer refills
 * and frame boundaries inside lines. */
static char *long_twitter(int lines, size_t *len) {
    char *text = malloc((size_t)lines * 64);
    size_t n = 0;
    for (int i = 0; i < lines; i++)
        n += (size_t)sprintf(text + n, "%d,key:%d,9,%d,1,%s,%d\n", i / 100, i % 5000,
                             i % 3000, i % 3 ? "get" : "set", i % 3 ? 0 : 60);
    *len = n;
    return text;
}

Test(trace_formats, zst_many_frames_and_refills) {
    const int lines = 200000;
    size_t len;
    char *text = long_twitter(lines, &len);
    /* Four frames, split at arbitrary bytes (inside lines). */
    size_t cuts[5] = {0, 1000003, 1000004, len / 2 + 7, len};
    const char *path = tu_path(dir, "frames.csv.zst");
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 4; i++) {
        size_t n = cuts[i + 1] - cuts[i], cap = ZSTD_compressBound(n);
        void *z = malloc(cap);
        size_t zn = ZSTD_compress(z, cap, text + cuts[i], n, 1);
        cr_assert(!ZSTD_isError(zn));
        cr_assert_eq(fwrite(z, 1, zn, f), zn);
        free(z);
    }
    fclose(f);
    free(text);
    got *g = malloc(sizeof *g);
    read_ok(g, path, NULL, "twitter");
    cr_assert_eq(g->total, (uint64_t)lines);
    cr_assert_eq(g->ops[TRACE_OP_SET], (uint64_t)(lines + 2) / 3);
    free(g);
}

Test(trace_formats, corrupt_and_truncated_zstd_name_the_file_and_line) {
    const int lines = 100000;
    size_t len;
    char *text = long_twitter(lines, &len);
    size_t cap = ZSTD_compressBound(len);
    unsigned char *z = malloc(cap);
    size_t zn = ZSTD_compress(z, cap, text, len, 1);
    cr_assert(!ZSTD_isError(zn));
    free(text);
    /* Cut short: the reader gets through many lines, then fails. */
    const char *p = write_bytes("cut.csv.zst", z, zn * 2 / 3);
    got *g = malloc(sizeof *g);
    cr_assert_eq(read_all(g, p, NULL), 0, "%s", g->err.msg);
    cr_assert_eq(g->rc, -1);
    cr_assert_gt(g->total, 1000, "read %llu events first", (unsigned long long)g->total);
    char where[1200];
    snprintf(where, sizeof where, "%s:%llu:", p, (unsigned long long)g->total + 1);
    EXPECT(g->err.msg, where);
    EXPECT(g->err.msg, "truncated");
    /* A damaged frame: the stream is four frames, and the third one's
     * magic number is overwritten. */
    size_t off = 0, starts[4];
    const char *q = tu_path(dir, "bad.csv.zst");
    FILE *f = fopen(q, "wb");
    text = long_twitter(lines, &len);
    for (int i = 0; i < 4; i++) {
        size_t from = len * (size_t)i / 4, n = len * (size_t)(i + 1) / 4 - from;
        size_t fn = ZSTD_compress(z, cap, text + from, n, 1);
        cr_assert(!ZSTD_isError(fn));
        if (i == 2) memset(z, 0xAB, 4);
        starts[i] = off;
        off += fn;
        cr_assert_eq(fwrite(z, 1, fn, f), fn);
    }
    fclose(f);
    free(text);
    cr_assert_eq(read_all(g, q, NULL), 0, "%s", g->err.msg);
    cr_assert_eq(g->rc, -1);
    cr_assert_gt(g->total, 1000);
    snprintf(where, sizeof where, "%s:%llu:", q, (unsigned long long)g->total + 1);
    EXPECT(g->err.msg, where);
    EXPECT(g->err.msg, "corrupt zstd data");
    char at[64];
    snprintf(at, sizeof at, "compressed byte %zu", starts[2]);
    EXPECT(g->err.msg, at);
    EXPECT(g->err.msg, "expected a valid zstd frame");
    free(g);
    free(z);
}

/* A zstd frame is a few bytes of header that may claim a 2 GiB window (zstd
 * --long=31): the reader refuses windows past 128 MiB with an error that
 * names the file and says what to do, rather than mapping what the header
 * asks for. */
Test(trace_formats, a_zstd_window_past_128_mib_is_refused_by_name) {
    /* magic, frame header descriptor 0 (no content size, no checksum),
     * window descriptor: exponent 21, mantissa 0 = 2^31 bytes; then one
     * empty raw block marked last. */
    static const unsigned char frame[] = {0x28, 0xB5, 0x2F, 0xFD, 0x00, 21 << 3, 0x01, 0x00, 0x00};
    const char *p = write_bytes("wide.trace.zst", frame, sizeof frame);
    got *g = malloc(sizeof *g);
    read_all(g, p, "text"); /* fails in trace_open or in trace_next */
    cr_assert_eq(g->rc, -1);
    EXPECT(g->err.msg, p);
    EXPECT(g->err.msg, "needs a window larger than 128 MiB");
    EXPECT(g->err.msg, "--long=27 or less");
    /* A 128 MiB window (exponent 17) is read: the same header, then one raw
     * block holding a one-event text trace. */
    static const char text[] = "fragsim-trace v1\n0 SET k 10\n";
    size_t tn = sizeof text - 1;
    unsigned char ok[64];
    memcpy(ok, frame, 6);
    ok[5] = 17 << 3;
    uint32_t bh = (uint32_t)tn << 3 | 1; /* raw block, last */
    ok[6] = bh & 0xff, ok[7] = bh >> 8 & 0xff, ok[8] = bh >> 16 & 0xff;
    memcpy(ok + 9, text, tn);
    p = write_bytes("wide-ok.trace.zst", ok, 9 + tn);
    cr_assert_eq(read_all(g, p, "text"), 0, "%s", g->err.msg);
    cr_assert_eq(g->rc, 0, "%s", g->err.msg);
    cr_assert_eq(g->total, 1);
    free(g);
}

/* An unknown file's error lists every format of the table, so a new
 * format's line in trace_formats.h is all it takes to be named there. */
Test(trace_formats, an_unknown_file_is_told_every_format) {
    const char *p = write_bytes("unknown.bin", "\x01\x02garbage\n", 10);
    got *g = malloc(sizeof *g);
    read_all(g, p, NULL);
    cr_assert_eq(g->rc, -1);
    size_t n;
    const trace_format *f = trace_formats(&n);
    cr_assert_geq(n, 5);
    for (size_t i = 0; i < n; i++) EXPECT(g->err.msg, f[i].name);
    free(g);
}
