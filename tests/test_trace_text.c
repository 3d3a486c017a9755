/* The text trace, version 1 (traces/FORMAT.md): reading it through
 * trace_open/trace_next/trace_close, its errors (each naming FILE:LINE and
 * what was expected), and writing it back with trace_text_write_*. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../sim/base/outbuf.h"
#include "../traces/trace_reader.h"
#include "../traces/trace_text.h"
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

TestSuite(trace_text, .init = setup, .fini = teardown, .timeout = 60);

#define US(s) ((int64_t)(s) * TRACE_US_PER_S)
#define EXPECT(msg, needle) \
    cr_assert(strstr(msg, needle) != NULL, "'%s' not in: %s", needle, msg)

/* One event, its key copied out of the reader's buffer. */
typedef struct got_event {
    int64_t time_us;
    trace_op op;
    int has_key;
    char *key;
    uint32_t keylen;
    uint64_t size;
    int64_t ttl_us;
} got_event;

typedef struct got {
    int n;
    got_event ev[256];
    int rc;         /* trace_next's last answer: 0 at the end, -1 on error */
    fs_err err;
    char path[1024];
} got;

static void got_free(got *g) {
    for (int i = 0; i < g->n; i++) free(g->ev[i].key);
    g->n = 0;
}

static const char *write_bytes(const char *name, const void *data, size_t len) {
    const char *path = tu_path(dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return path;
}

/* Reads every event of an already-open reader into g. */
static void drain(trace_reader *r, got *g) {
    trace_event ev;
    for (;;) {
        g->rc = trace_next(r, &ev, &g->err);
        if (g->rc <= 0) break;
        cr_assert_lt(g->n, 256, "too many events");
        got_event *e = &g->ev[g->n++];
        e->time_us = ev.time_us;
        e->op = ev.op;
        e->has_key = ev.key != NULL;
        e->keylen = ev.keylen;
        e->key = malloc(ev.keylen + 1);
        if (ev.keylen) memcpy(e->key, ev.key, ev.keylen);
        e->key[ev.keylen] = '\0';
        e->size = ev.size;
        e->ttl_us = ev.ttl_us;
    }
}

/* Writes text to DIR/name and reads it all.  Returns trace_open's result;
 * on success g holds the events and trace_next's final answer. */
static int read_text_n(got *g, const char *name, const char *text, size_t len) {
    memset(g, 0, sizeof *g);
    const char *path = write_bytes(name, text, len);
    snprintf(g->path, sizeof g->path, "%s", path);
    trace_reader r;
    if (trace_open(&r, g->path, NULL, &g->err) != 0) {
        g->rc = -1;
        return -1;
    }
    drain(&r, g);
    trace_close(&r);
    return 0;
}

static int read_text(got *g, const char *text) {
    return read_text_n(g, "t.trace", text, strlen(text));
}

/* The body must read without error. */
static void read_ok(got *g, const char *text) {
    cr_assert_eq(read_text(g, text), 0, "trace_open: %s", g->err.msg);
    cr_assert_eq(g->rc, 0, "trace_next: %s", g->err.msg);
}

/* The body must fail at `line` with a message containing `needle`. */
static void read_fails_at(const char *text, unsigned line, const char *needle) {
    got g;
    int orc = read_text(&g, text);
    cr_assert(orc != 0 || g.rc == -1, "expected an error at line %u, read %d events", line,
              g.n);
    char where[1100];
    snprintf(where, sizeof where, "%s:%u:", g.path, line);
    EXPECT(g.err.msg, where);
    if (needle != NULL) EXPECT(g.err.msg, needle);
    got_free(&g);
}

static void assert_key(const got_event *e, const char *key, uint32_t len) {
    cr_assert(e->has_key, "event has no key");
    cr_assert_eq(e->keylen, len, "key length %u, expected %u", e->keylen, len);
    cr_assert(memcmp(e->key, key, len) == 0, "key bytes differ");
}

/* ---- the header line ---- */

Test(trace_text, header_line_is_required) {
    read_fails_at("0 SET a 10\n", 1, "fragsim-trace v1");
    read_fails_at("", 1, "fragsim-trace v1");
    read_fails_at("fragsim-trace v2\n0 SET a 1\n", 1, "fragsim-trace v1");
    read_fails_at("fragsim-trace v10\n0 SET a 1\n", 1, "fragsim-trace v1");
    read_fails_at("# a comment first\nfragsim-trace v1\n0 SET a 1\n", 1, "fragsim-trace v1");
}

Test(trace_text, header_is_required_with_the_format_named_too) {
    const char *path = write_bytes("nohdr.trace", "0 SET a 10\n", 11);
    trace_reader r;
    fs_err err;
    cr_assert_eq(trace_open(&r, path, "text", &err), -1);
    char where[1100];
    snprintf(where, sizeof where, "%s:1:", path);
    EXPECT(err.msg, where);
    EXPECT(err.msg, "fragsim-trace v1");
}

Test(trace_text, header_only_is_an_empty_trace) {
    got g;
    read_ok(&g, "fragsim-trace v1\n");
    cr_assert_eq(g.n, 0);
    read_ok(&g, "fragsim-trace v1");
    cr_assert_eq(g.n, 0);
}

Test(trace_text, unknown_format_name_is_refused) {
    const char *path = write_bytes("t.trace", "fragsim-trace v1\n", 17);
    trace_reader r;
    fs_err err;
    cr_assert_eq(trace_open(&r, path, "csv", &err), -1);
    EXPECT(err.msg, "csv");
    EXPECT(err.msg, "text");
    cr_assert_eq(trace_open(&r, path, "auto", &err), 0, "%s", err.msg);
    trace_close(&r);
}

Test(trace_text, missing_file_names_the_file) {
    const char *path = tu_path(dir, "no-such.trace");
    trace_reader r;
    fs_err err;
    cr_assert_eq(trace_open(&r, path, NULL, &err), -1);
    EXPECT(err.msg, path);
}

/* ---- lines and operations ---- */

Test(trace_text, comments_and_blank_lines_are_skipped) {
    got g;
    read_ok(&g, "fragsim-trace v1\n"
                "# a comment\n"
                "\n"
                "   \t  \n"
                "   # indented comment\n"
                "\t#tab comment SET x 1\n"
                "1 SET a 10\n"
                "#\n"
                "\n"
                "2 DEL a\n");
    cr_assert_eq(g.n, 2);
    cr_assert_eq(g.ev[0].op, TRACE_OP_SET);
    cr_assert_eq(g.ev[1].op, TRACE_OP_DEL);
    got_free(&g);
    /* Skipped lines still count for line numbers. */
    read_fails_at("fragsim-trace v1\n# c\n\n1 SET a 10\n  # c\n\nbad SET b 1\n", 7, "timestamp");
}

Test(trace_text, every_operation_parses) {
    got g;
    read_ok(&g, "fragsim-trace v1\n"
                "0 SET a 1200 300\n"
                "0.25 SET b 800\n"
                "1.5 GET a\n"
                "2 EXPIRE b 10\n"
                "2 EXPIRE b 0\n"
                "2 PERSIST a\n"
                "3 DEL a\n"
                "60 PURGE\n"
                "600 TICK\n");
    cr_assert_eq(g.n, 9);
    const struct {
        int64_t t;
        trace_op op;
        const char *key;
        uint64_t size;
        int64_t ttl;
    } want[] = {
        {0, TRACE_OP_SET, "a", 1200, US(300)},
        {250000, TRACE_OP_SET, "b", 800, TRACE_TTL_NONE},
        {1500000, TRACE_OP_GET, "a", 0, TRACE_TTL_NONE},
        {US(2), TRACE_OP_EXPIRE, "b", 0, US(10)},
        {US(2), TRACE_OP_EXPIRE, "b", 0, 0},
        {US(2), TRACE_OP_PERSIST, "a", 0, TRACE_TTL_NONE},
        {US(3), TRACE_OP_DEL, "a", 0, TRACE_TTL_NONE},
        {US(60), TRACE_OP_PURGE, NULL, 0, TRACE_TTL_NONE},
        {US(600), TRACE_OP_TICK, NULL, 0, TRACE_TTL_NONE},
    };
    for (int i = 0; i < 9; i++) {
        const got_event *e = &g.ev[i];
        cr_assert_eq(e->time_us, want[i].t, "event %d time %lld", i, (long long)e->time_us);
        cr_assert_eq(e->op, want[i].op, "event %d op %d", i, (int)e->op);
        if (want[i].key) assert_key(e, want[i].key, (uint32_t)strlen(want[i].key));
        else cr_assert_not(e->has_key, "event %d (%s) has a key", i, trace_op_name(e->op));
        cr_assert_eq(e->size, want[i].size, "event %d size", i);
        cr_assert_eq(e->ttl_us, want[i].ttl, "event %d ttl %lld", i, (long long)e->ttl_us);
    }
    got_free(&g);
}

Test(trace_text, operation_names_are_case_insensitive) {
    got g;
    read_ok(&g, "fragsim-trace v1\n"
                "0 set a 1 5\n"
                "0 Del a\n"
                "0 expire a 1\n"
                "0 pErSiSt a\n"
                "0 get a\n"
                "0 purge\n"
                "0 tick\n");
    cr_assert_eq(g.n, 7);
    const trace_op want[] = {TRACE_OP_SET,  TRACE_OP_DEL,   TRACE_OP_EXPIRE, TRACE_OP_PERSIST,
                             TRACE_OP_GET,  TRACE_OP_PURGE, TRACE_OP_TICK};
    for (int i = 0; i < 7; i++) cr_assert_eq(g.ev[i].op, want[i], "event %d", i);
    cr_assert_eq(g.ev[0].size, 1);
    cr_assert_eq(g.ev[0].ttl_us, US(5));
    got_free(&g);
}

Test(trace_text, op_name_table) {
    cr_assert_str_eq(trace_op_name(TRACE_OP_SET), "SET");
    cr_assert_str_eq(trace_op_name(TRACE_OP_TICK), "TICK");
    cr_assert_null(trace_op_name(TRACE_OP__COUNT));
    cr_assert_eq(trace_op_parse("persist", 7), TRACE_OP_PERSIST);
    cr_assert_eq(trace_op_parse("SETX", 4), -1);
    cr_assert_eq(trace_op_parse("SETX", 3), TRACE_OP_SET, "only len bytes count");
    cr_assert_eq(trace_op_parse("SE", 2), -1);
}

Test(trace_text, fields_separated_by_spaces_or_tabs) {
    got g;
    read_ok(&g, "fragsim-trace v1\n  1\t\tSET \t k  \t 7\t 2  \n");
    cr_assert_eq(g.n, 1);
    assert_key(&g.ev[0], "k", 1);
    cr_assert_eq(g.ev[0].size, 7);
    cr_assert_eq(g.ev[0].ttl_us, US(2));
    got_free(&g);
}

Test(trace_text, fractional_timestamps_to_microseconds) {
    static const struct {
        const char *text;
        int64_t us;
    } cases[] = {
        {"0", 0},
        {"0.0000004", 0},            /* 7th decimal 4: rounds down */
        {"0.0000005", 1},            /* 7th decimal 5: rounds up */
        {"0.000001", 1},
        {"0.5", 500000},
        {"12", US(12)},
        {"12.123456", 12123456},
        {"12.1234564", 12123456},
        {"12.1234565", 12123457},
        {"12.5", 12500000},
        {"12.99999951", US(13)},     /* the rounding carries into the seconds */
        {"13.000000999", 13000001},
        {"00100.250", 100250000},
        {"1000000000", US(1000000000)},
    };
    const int n = (int)(sizeof cases / sizeof cases[0]);
    char text[2048] = "fragsim-trace v1\n";
    for (int i = 0; i < n; i++) {
        strcat(text, cases[i].text);
        strcat(text, " TICK\n");
    }
    got g;
    read_ok(&g, text);
    cr_assert_eq(g.n, n);
    for (int i = 0; i < n; i++)
        cr_assert_eq(g.ev[i].time_us, cases[i].us, "'%s' read as %lld us, expected %lld",
                     cases[i].text, (long long)g.ev[i].time_us, (long long)cases[i].us);
    got_free(&g);
}

Test(trace_text, fractional_ttls_to_microseconds) {
    got g;
    read_ok(&g, "fragsim-trace v1\n"
                "0 SET a 1 0.000001\n"
                "0 SET a 1 0.0000015\n"
                "0 SET a 1 2.5\n"
                "0 EXPIRE a 0.0000004\n"
                "0 EXPIRE a 7.25\n");
    cr_assert_eq(g.n, 5);
    cr_assert_eq(g.ev[0].ttl_us, 1);
    cr_assert_eq(g.ev[1].ttl_us, 2);
    cr_assert_eq(g.ev[2].ttl_us, 2500000);
    cr_assert_eq(g.ev[3].ttl_us, 0, "an EXPIRE ttl rounding to 0 deletes at once");
    cr_assert_eq(g.ev[4].ttl_us, 7250000);
    got_free(&g);
}

Test(trace_text, crlf_line_endings) {
    got g;
    read_ok(&g, "fragsim-trace v1\r\n"
                "0 SET a 10 5\r\n"
                "# comment\r\n"
                "\r\n"
                "1 SET b 20\r\n"
                "2 DEL a\r\n"
                "3 TICK\r\n");
    cr_assert_eq(g.n, 4);
    assert_key(&g.ev[0], "a", 1);
    cr_assert_eq(g.ev[0].ttl_us, US(5));
    cr_assert_eq(g.ev[1].size, 20);
    cr_assert_eq(g.ev[1].ttl_us, TRACE_TTL_NONE);
    assert_key(&g.ev[2], "a", 1);
    cr_assert_eq(g.ev[3].op, TRACE_OP_TICK);
    got_free(&g);
    read_fails_at("fragsim-trace v1\r\n0 TICK\r\n\r\n0 SET a x\r\n", 4, "found 'x'");
}

Test(trace_text, last_line_without_newline) {
    got g;
    read_ok(&g, "fragsim-trace v1\n0 SET a 10\n1 DEL a");
    cr_assert_eq(g.n, 2);
    assert_key(&g.ev[1], "a", 1);
    got_free(&g);
    read_ok(&g, "fragsim-trace v1\n0 SET abc 10 7");
    cr_assert_eq(g.n, 1);
    assert_key(&g.ev[0], "abc", 3);
    cr_assert_eq(g.ev[0].size, 10);
    cr_assert_eq(g.ev[0].ttl_us, US(7));
    got_free(&g);
    read_ok(&g, "fragsim-trace v1\n0 SET a 10\n# trailing comment");
    cr_assert_eq(g.n, 1);
    got_free(&g);
    read_fails_at("fragsim-trace v1\n0 SET a 10\n\n1 DEL", 4, "DEL needs a key");
}

Test(trace_text, percent_encoded_keys) {
    got g;
    read_ok(&g, "fragsim-trace v1\n"
                "0 GET a%20b\n"
                "0 GET 100%25\n"
                "0 GET x%0Ay\n"
                "0 GET %ff%FE%00%01%7f\n"
                "0 GET %\n"
                "0 GET %41%62c\n"
                "0 GET %25\n"
                "0 GET user:1\n"
                "0 GET %09%0d%0A\n"
                "0 SET % 3\n");
    cr_assert_eq(g.n, 10);
    assert_key(&g.ev[0], "a b", 3);
    assert_key(&g.ev[1], "100%", 4);
    assert_key(&g.ev[2], "x\ny", 3);
    assert_key(&g.ev[3], "\xff\xfe\x00\x01\x7f", 5);
    assert_key(&g.ev[4], "", 0);
    assert_key(&g.ev[5], "Abc", 3);
    assert_key(&g.ev[6], "%", 1);
    assert_key(&g.ev[7], "user:1", 6);
    assert_key(&g.ev[8], "\t\r\n", 3);
    assert_key(&g.ev[9], "", 0);
    cr_assert_eq(g.ev[9].size, 3);
    got_free(&g);
}

/* ---- errors: FILE:LINE and what was expected ---- */

Test(trace_text, malformed_timestamp) {
    read_fails_at("fragsim-trace v1\n0 TICK\nabc SET b 10\n", 3, "found 'abc'");
    read_fails_at("fragsim-trace v1\n-1 TICK\n", 2, "timestamp");
    read_fails_at("fragsim-trace v1\n+1 TICK\n", 2, "timestamp");
    read_fails_at("fragsim-trace v1\n1e3 TICK\n", 2, "found '1e3'");
    read_fails_at("fragsim-trace v1\n1.2.3 TICK\n", 2, "timestamp");
    read_fails_at("fragsim-trace v1\n. TICK\n", 2, "timestamp");
    read_fails_at("fragsim-trace v1\n1,5 TICK\n", 2, "timestamp");
    read_fails_at("fragsim-trace v1\n99999999999999999999 TICK\n", 2, "timestamp");
    read_fails_at("fragsim-trace v1\nSET a 1\n", 2, "timestamp");
}

Test(trace_text, unknown_operation) {
    read_fails_at("fragsim-trace v1\n0 TICK\n1 FOO a\n", 3, "unknown operation 'FOO'");
    read_fails_at("fragsim-trace v1\n1 SETT a 1\n", 2, "expected SET, DEL");
    read_fails_at("fragsim-trace v1\n1\n", 2, "expected an operation");
    read_fails_at("fragsim-trace v1\n1   \t\n", 2, "expected an operation");
}

Test(trace_text, missing_key) {
    read_fails_at("fragsim-trace v1\n0 SET\n", 2, "SET needs a key");
    read_fails_at("fragsim-trace v1\n0 DEL\n", 2, "DEL needs a key");
    read_fails_at("fragsim-trace v1\n0 GET \n", 2, "GET needs a key");
    read_fails_at("fragsim-trace v1\n0 EXPIRE\n", 2, "EXPIRE needs a key");
    read_fails_at("fragsim-trace v1\n\n0 persist\n", 3, "PERSIST needs a key");
}

Test(trace_text, negative_size) {
    read_fails_at("fragsim-trace v1\n0 TICK\n0 SET a -5\n", 3,
                  "SET expects a value size in bytes (a whole number), found '-5'");
}

Test(trace_text, non_number_size) {
    read_fails_at("fragsim-trace v1\n0 SET a ten\n", 2, "found 'ten'");
    read_fails_at("fragsim-trace v1\n0 SET a 1.5\n", 2, "found '1.5'");
    read_fails_at("fragsim-trace v1\n0 SET a 10k\n", 2, "found '10k'");
    read_fails_at("fragsim-trace v1\n0 SET a +3\n", 2, "value size");
    read_fails_at("fragsim-trace v1\n0 SET a\n", 2, "value size");
}

Test(trace_text, absurd_size) {
    read_fails_at("fragsim-trace v1\n0 SET a 1\n\n0 SET b 999999999999\n", 4, "absurd");
    read_fails_at("fragsim-trace v1\n0 SET b 999999999999\n", 2, "536870912");
    read_fails_at("fragsim-trace v1\n0 SET b 536870913\n", 2, "absurd");
    read_fails_at("fragsim-trace v1\n0 SET b 99999999999999999999999\n", 2, "value size");
    /* The limit itself and 0 are fine. */
    got g;
    read_ok(&g, "fragsim-trace v1\n0 SET b 536870912\n0 SET c 0\n");
    cr_assert_eq(g.n, 2);
    cr_assert_eq(g.ev[0].size, TRACE_SIZE_MAX);
    cr_assert_eq(g.ev[1].size, 0);
    got_free(&g);
}

Test(trace_text, bad_ttl) {
    read_fails_at("fragsim-trace v1\n0 SET a 1 x\n", 2, "SET expects an optional ttl");
    read_fails_at("fragsim-trace v1\n0 SET a 1 -3\n", 2, "found '-3'");
    read_fails_at("fragsim-trace v1\n0 TICK\n0 SET a 1 0\n", 3, "more than 0");
    read_fails_at("fragsim-trace v1\n0 SET a 1 0.0000004\n", 2, "ttl");
    read_fails_at("fragsim-trace v1\n0 SET a 1 3153600000.000001\n", 2, "100 years");
    read_fails_at("fragsim-trace v1\n0 EXPIRE a\n", 2, "EXPIRE expects a ttl");
    read_fails_at("fragsim-trace v1\n0 EXPIRE a -1\n", 2, "found '-1'");
    read_fails_at("fragsim-trace v1\n0 EXPIRE a 5s\n", 2, "found '5s'");
    read_fails_at("fragsim-trace v1\n0 EXPIRE a 3153600001\n", 2, "100 years");
    got g;
    read_ok(&g, "fragsim-trace v1\n0 SET a 1 3153600000\n0 EXPIRE a 3153600000\n");
    cr_assert_eq(g.n, 2);
    cr_assert_eq(g.ev[0].ttl_us, TRACE_TTL_MAX_US);
    cr_assert_eq(g.ev[1].ttl_us, TRACE_TTL_MAX_US);
    got_free(&g);
}

Test(trace_text, extra_fields) {
    read_fails_at("fragsim-trace v1\n0 DEL a b\n", 2, "unexpected 'b' after DEL's arguments");
    read_fails_at("fragsim-trace v1\n0 SET a 1 2 3\n", 2, "unexpected '3'");
    read_fails_at("fragsim-trace v1\n0 EXPIRE a 1 2\n", 2, "unexpected '2'");
    read_fails_at("fragsim-trace v1\n0 GET a # comment\n", 2, "unexpected '#'");
    read_fails_at("fragsim-trace v1\n0 TICK x\n", 2, "after TICK's arguments");
    read_fails_at("fragsim-trace v1\n0 PURGE now\n", 2, "unexpected 'now'");
    read_fails_at("fragsim-trace v1\n0 PERSIST a 5\n", 2, "unexpected '5'");
}

Test(trace_text, bad_percent_escape) {
    read_fails_at("fragsim-trace v1\n0 GET a%2\n", 2, "bad key 'a%2'");
    read_fails_at("fragsim-trace v1\n0 GET a%zz\n", 2, "%HH");
    read_fails_at("fragsim-trace v1\n0 GET %%\n", 2, "bad key");
    read_fails_at("fragsim-trace v1\n0 GET %g0\n", 2, "bad key");
    read_fails_at("fragsim-trace v1\n0 GET a%\n", 2, "bad key");
    read_fails_at("fragsim-trace v1\n0 SET %0 1\n", 2, "bad key");
}

Test(trace_text, time_going_backwards) {
    got g;
    cr_assert_eq(read_text(&g, "fragsim-trace v1\n1.5 SET a 1\n1.5 GET a\n# c\n1 GET a\n"), 0,
                 "%s", g.err.msg);
    cr_assert_eq(g.rc, -1, "an earlier timestamp is an error");
    cr_assert_eq(g.n, 2, "equal times are fine");
    char where[1100];
    snprintf(where, sizeof where, "%s:5:", g.path);
    EXPECT(g.err.msg, where);
    EXPECT(g.err.msg, "time goes backwards (1.000000 after 1.500000)");
    EXPECT(g.err.msg, "non-decreasing");
    got_free(&g);
    read_fails_at("fragsim-trace v1\n5 TICK\n4.999999 TICK\n", 3, "time goes backwards");
}

Test(trace_text, errors_on_standard_input_say_stdin) {
    const char *path = write_bytes("in.trace", "fragsim-trace v1\n0 SET a -5\n", 28);
    cr_assert_not_null(freopen(path, "rb", stdin));
    trace_reader r;
    fs_err err;
    cr_assert_eq(trace_open(&r, "-", NULL, &err), 0, "%s", err.msg);
    trace_event ev;
    cr_assert_eq(trace_next(&r, &ev, &err), -1);
    EXPECT(err.msg, "<stdin>:2:");
    trace_close(&r);
}

/* ---- long input: lines across read boundaries, the longest key ---- */

Test(trace_text, many_lines_across_buffer_refills) {
    const int n = 150000; /* about 4 MB: several 1 MiB buffer fills */
    size_t cap = (size_t)n * 48 + 64, len = 0;
    char *text = malloc(cap);
    len += (size_t)sprintf(text + len, "fragsim-trace v1\n");
    for (int i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%d.%06d SET key:%d %d %d\n", i / 1000,
                               (i % 1000) * 1000, i, i % 5000, 1 + i % 77);
    len += (size_t)sprintf(text + len, "999 SET broken x\n");
    const char *path = write_bytes("big.trace", text, len);
    free(text);

    trace_reader r;
    fs_err err;
    cr_assert_eq(trace_open(&r, path, NULL, &err), 0, "%s", err.msg);
    trace_event ev;
    char want[32];
    int i = 0, rc;
    while ((rc = trace_next(&r, &ev, &err)) == 1) {
        int wl = sprintf(want, "key:%d", i);
        cr_assert_eq(ev.keylen, (uint32_t)wl, "event %d", i);
        cr_assert(memcmp(ev.key, want, (size_t)wl) == 0, "event %d key '%.*s'", i,
                  (int)ev.keylen, ev.key);
        cr_assert_eq(ev.time_us, (int64_t)i * 1000, "event %d time", i);
        cr_assert_eq(ev.size, (uint64_t)(i % 5000), "event %d size", i);
        cr_assert_eq(ev.ttl_us, US(1 + i % 77), "event %d ttl", i);
        i++;
    }
    cr_assert_eq(rc, -1);
    cr_assert_eq(i, n);
    char where[1100];
    snprintf(where, sizeof where, "%s:%d:", path, n + 2);
    EXPECT(err.msg, where);
    cr_assert_eq(r.nevents, (uint64_t)n);
    trace_close(&r);
}

/* A line holding a key of `len` bytes, every one written %HH. */
static size_t put_long_key_line(char *out, const char *t, uint32_t len, unsigned seed) {
    size_t o = (size_t)sprintf(out, "%s SET ", t);
    for (uint32_t i = 0; i < len; i++) o += (size_t)sprintf(out + o, "%%%02X", (i * 7 + seed) & 0xff);
    o += (size_t)sprintf(out + o, " 5\n");
    return o;
}

Test(trace_text, longest_key_is_accepted_and_one_more_byte_is_not) {
    /* Six lines of 196 KB each: one of them straddles the first 1 MiB read. */
    const int lines = 6;
    size_t cap = (size_t)(lines + 1) * (3 * TRACE_KEY_MAX + 64) + 64, len = 0;
    char *text = malloc(cap);
    len += (size_t)sprintf(text + len, "fragsim-trace v1\n");
    for (int l = 0; l < lines; l++) len += put_long_key_line(text + len, "1", TRACE_KEY_MAX, (unsigned)l);
    len += put_long_key_line(text + len, "2", TRACE_KEY_MAX + 1, 0);
    const char *path = write_bytes("long.trace", text, len);
    free(text);

    trace_reader r;
    fs_err err;
    cr_assert_eq(trace_open(&r, path, NULL, &err), 0, "%s", err.msg);
    trace_event ev;
    for (int l = 0; l < lines; l++) {
        int rc = trace_next(&r, &ev, &err);
        cr_assert_eq(rc, 1, "line %d: %s", l + 2, rc < 0 ? err.msg : "end");
        cr_assert_eq(ev.keylen, TRACE_KEY_MAX);
        for (uint32_t i = 0; i < TRACE_KEY_MAX; i++)
            if ((unsigned char)ev.key[i] != ((i * 7 + (unsigned)l) & 0xff))
                cr_assert_fail("line %d: key byte %u is %02x", l + 2, i, (unsigned char)ev.key[i]);
        cr_assert_eq(ev.size, 5);
    }
    cr_assert_eq(trace_next(&r, &ev, &err), -1);
    char where[1100];
    snprintf(where, sizeof where, "%s:%d:", path, lines + 2);
    EXPECT(err.msg, where);
    EXPECT(err.msg, "65536");
    trace_close(&r);
}

/* ---- writing ---- */

Test(trace_text, format_time) {
    static const struct {
        int64_t us;
        const char *text;
    } cases[] = {
        {0, "0"},
        {US(12), "12"},
        {12500000, "12.5"},
        {1, "0.000001"},
        {10, "0.00001"},
        {123456789, "123.456789"},
        {100000, "0.1"},
        {US(1000000000), "1000000000"},
        {1000000000000001LL, "1000000000.000001"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        memset(buf, 'x', sizeof buf);
        trace_text_format_time(cases[i].us, buf);
        cr_assert_str_eq(buf, cases[i].text, "%lld us", (long long)cases[i].us);
    }
}

Test(trace_text, encode_key) {
    char out[64];
    cr_assert_eq(trace_text_encode_key("a b", 3, out), 5);
    cr_assert_str_eq(out, "a%20b");
    trace_text_encode_key("100%", 4, out);
    cr_assert_str_eq(out, "100%25");
    cr_assert_eq(trace_text_encode_key("", 0, out), 1);
    cr_assert_str_eq(out, "%");
    trace_text_encode_key("!~\x7f\x80\xff\n\t", 7, out);
    cr_assert_str_eq(out, "!~%7F%80%FF%0A%09");
    trace_text_encode_key("a\0b", 3, out);
    cr_assert_str_eq(out, "a%00b");
}

static void write_events(const char *path, const trace_event *evs, int n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert_geq(fd, 0);
    outbuf ob;
    fs_err err;
    cr_assert_eq(outbuf_open(&ob, fd, path, &err), 0, "%s", err.msg);
    trace_text_write_header(&ob);
    for (int i = 0; i < n; i++) trace_text_write_event(&ob, &evs[i]);
    cr_assert_eq(outbuf_close(&ob, &err), 0, "%s", err.msg);
}

Test(trace_text, round_trip_through_the_writer) {
    static char all_bytes[1000];
    for (int i = 0; i < 1000; i++) all_bytes[i] = (char)(i * 31 + 7);
    const char *keys[] = {"plain", "a b", "100%", "line\nbreak", "\xff\x80\x01high",
                          "", "%", "tab\there\r", "a\0b"};
    const uint32_t keylens[] = {5, 3, 4, 10, 7, 0, 1, 10, 3};
    trace_event evs[32];
    int n = 0;
    int64_t t = 0;
    for (int i = 0; i < 9; i++) {
        evs[n++] = (trace_event){.time_us = t, .op = TRACE_OP_SET, .key = keys[i],
                                 .keylen = keylens[i], .size = (uint64_t)i * 100,
                                 .ttl_us = i % 2 ? US(i) + 1 : TRACE_TTL_NONE};
        t += 333333;
    }
    evs[n++] = (trace_event){.time_us = t, .op = TRACE_OP_SET, .key = all_bytes, .keylen = 1000,
                             .size = TRACE_SIZE_MAX, .ttl_us = TRACE_TTL_MAX_US};
    evs[n++] = (trace_event){.time_us = t, .op = TRACE_OP_GET, .key = "a b", .keylen = 3,
                             .ttl_us = TRACE_TTL_NONE};
    evs[n++] = (trace_event){.time_us = t + 1, .op = TRACE_OP_EXPIRE, .key = "", .keylen = 0,
                             .ttl_us = 0};
    evs[n++] = (trace_event){.time_us = t + 1, .op = TRACE_OP_EXPIRE, .key = "100%",
                             .keylen = 4, .ttl_us = 1500001};
    evs[n++] = (trace_event){.time_us = t + 2, .op = TRACE_OP_PERSIST, .key = "line\nbreak",
                             .keylen = 10, .ttl_us = TRACE_TTL_NONE};
    evs[n++] = (trace_event){.time_us = t + 2, .op = TRACE_OP_DEL, .key = "a\0b", .keylen = 3,
                             .ttl_us = TRACE_TTL_NONE};
    evs[n++] = (trace_event){.time_us = US(60), .op = TRACE_OP_PURGE, .ttl_us = TRACE_TTL_NONE};
    evs[n++] = (trace_event){.time_us = US(600), .op = TRACE_OP_TICK, .ttl_us = TRACE_TTL_NONE};

    const char *path = tu_path(dir, "rt.trace");
    write_events(path, evs, n);

    got g;
    memset(&g, 0, sizeof g);
    trace_reader r;
    cr_assert_eq(trace_open(&r, path, NULL, &g.err), 0, "%s", g.err.msg);
    drain(&r, &g);
    trace_close(&r);
    cr_assert_eq(g.rc, 0, "%s", g.err.msg);
    cr_assert_eq(g.n, n);
    for (int i = 0; i < n; i++) {
        const trace_event *w = &evs[i];
        const got_event *e = &g.ev[i];
        cr_assert_eq(e->time_us, w->time_us, "event %d time", i);
        cr_assert_eq(e->op, w->op, "event %d op", i);
        if (w->op == TRACE_OP_PURGE || w->op == TRACE_OP_TICK) {
            cr_assert_not(e->has_key, "event %d", i);
        } else {
            cr_assert(e->has_key, "event %d", i);
            cr_assert_eq(e->keylen, w->keylen, "event %d keylen", i);
            cr_assert(memcmp(e->key, w->key, w->keylen) == 0, "event %d key", i);
        }
        cr_assert_eq(e->size, w->size, "event %d size", i);
        cr_assert_eq(e->ttl_us, w->ttl_us, "event %d ttl %lld", i, (long long)e->ttl_us);
    }
    got_free(&g);

    /* The text itself is what FORMAT.md shows. */
    char *text = tu_read_file(path, NULL);
    cr_assert_not_null(text);
    cr_assert(strncmp(text, "fragsim-trace v1\n0 SET plain 0\n0.333333 SET a%20b 100 1.000001\n",
                      63) == 0, "written: %.80s", text);
    EXPECT(text, " SET 100%25 200\n");
    EXPECT(text, " SET % 500 5.000001\n");
    EXPECT(text, " EXPIRE % 0\n");
    EXPECT(text, " DEL a%00b\n");
    EXPECT(text, "\n60 PURGE\n600 TICK\n");
    free(text);
}

/* ---- conditions, APPEND and GET sizes (from cache traces) ---- */

Test(trace_text, conditions_append_and_get_sizes) {
    got g;
    read_ok(&g, "fragsim-trace v1\n"
                "0 SET a 10 NX\n"
                "0 SET a 10 5 xx\n"
                "0 APPEND a 7\n"
                "0 APPEND a 7 XX\n"
                "0 GET a 300\n"
                "0 GET a\n");
    cr_assert_eq(g.n, 6);
    cr_assert_eq(g.ev[0].size, 10);
    cr_assert_eq(g.ev[0].ttl_us, TRACE_TTL_NONE);
    cr_assert_eq(g.ev[1].ttl_us, US(5));
    cr_assert_eq(g.ev[2].op, TRACE_OP_APPEND);
    cr_assert_eq(g.ev[2].size, 7);
    cr_assert_eq(g.ev[4].op, TRACE_OP_GET);
    cr_assert_eq(g.ev[4].size, 300);
    cr_assert_eq(g.ev[5].size, 0);
    got_free(&g);
    /* The conditions themselves (got_event keeps no condition). */
    trace_reader r;
    fs_err err;
    trace_event ev;
    const trace_cond want[] = {TRACE_COND_NX, TRACE_COND_XX, TRACE_COND_NONE, TRACE_COND_XX,
                               TRACE_COND_NONE, TRACE_COND_NONE};
    cr_assert_eq(trace_open(&r, tu_path(dir, "t.trace"), NULL, &err), 0, "%s", err.msg);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(trace_next(&r, &ev, &err), 1);
        cr_assert_eq(ev.cond, want[i], "event %d: condition %d", i, (int)ev.cond);
    }
    trace_close(&r);
    read_fails_at("fragsim-trace v1\n0 APPEND a 7 NX\n", 2, "unexpected 'NX' after APPEND's");
    read_fails_at("fragsim-trace v1\n0 SET a 7 NX 5\n", 2, "unexpected '5'");
    read_fails_at("fragsim-trace v1\n0 SET a 7 NX XX\n", 2, "unexpected 'XX'");
    read_fails_at("fragsim-trace v1\n0 GET a 10 NX\n", 2, "unexpected 'NX'");
    read_fails_at("fragsim-trace v1\n0 GET a -1\n", 2, "unexpected '-1'");
    read_fails_at("fragsim-trace v1\n0 APPEND a\n", 2, "APPEND expects a value size");
    read_fails_at("fragsim-trace v1\n0 GET a 999999999999\n", 2, "absurd");
}

Test(trace_text, hset_and_hdel_need_a_field_and_hset_a_size) {
    read_fails_at("fragsim-trace v1\n0 HSET h\n", 2, "HSET expects a field after the key");
    read_fails_at("fragsim-trace v1\n0 HSET h f\n", 2, "HSET expects a value size");
    read_fails_at("fragsim-trace v1\n0 HSET h f -1\n", 2, "HSET expects a value size");
    read_fails_at("fragsim-trace v1\n0 HDEL h\n", 2, "HDEL expects a field after the key");
    read_fails_at("fragsim-trace v1\n0 HDEL h f 10\n", 2, "unexpected '10' after HDEL");
    read_fails_at("fragsim-trace v1\n0 HSET h f%zz 1\n", 2, "HSET expects a field");
}

Test(trace_text, sadd_and_srem_need_a_member_and_nothing_more) {
    read_fails_at("fragsim-trace v1\n0 SADD s\n", 2, "SADD expects a member after the key");
    read_fails_at("fragsim-trace v1\n0 SREM s\n", 2, "SREM expects a member after the key");
    read_fails_at("fragsim-trace v1\n0 SADD s m 10\n", 2, "unexpected '10' after SADD");
    read_fails_at("fragsim-trace v1\n0 sadd s m%g1\n", 2, "SADD expects a member");
}

Test(trace_text, zadd_needs_a_member_and_a_score_and_zrem_a_member) {
    read_fails_at("fragsim-trace v1\n0 ZADD z\n", 2, "ZADD expects a member after the key");
    read_fails_at("fragsim-trace v1\n0 ZADD z m\n", 2, "ZADD expects a score");
    read_fails_at("fragsim-trace v1\n0 ZADD z m nan\n", 2, "ZADD expects a score");
    read_fails_at("fragsim-trace v1\n0 ZADD z m 1x\n", 2, "ZADD expects a score");
    read_fails_at("fragsim-trace v1\n0 ZADD z m 1 2\n", 2, "unexpected '2' after ZADD");
    read_fails_at("fragsim-trace v1\n0 ZREM z\n", 2, "ZREM expects a member after the key");
    read_fails_at("fragsim-trace v1\n0 zrem z m 1\n", 2, "unexpected '1' after ZREM");
}

Test(trace_text, list_events_need_their_arguments) {
    read_fails_at("fragsim-trace v1\n0 LPUSH l\n", 2, "LPUSH expects the element's size");
    read_fails_at("fragsim-trace v1\n0 RPUSH l -1\n", 2, "RPUSH expects the element's size");
    read_fails_at("fragsim-trace v1\n0 LPOP l 2\n", 2, "unexpected '2' after LPOP");
    read_fails_at("fragsim-trace v1\n0 LTRIM l 0\n", 2, "LTRIM expects a start and a stop");
    read_fails_at("fragsim-trace v1\n0 LTRIM l 0 x\n", 2, "LTRIM expects a start and a stop");
    read_fails_at("fragsim-trace v1\n0 LTRIM l 0 -1 2\n", 2, "unexpected '2' after LTRIM");
}
