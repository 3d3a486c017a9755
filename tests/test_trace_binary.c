/* The binary trace, version 1: writer and reader round-trip every event the
 * text format can hold (text -> binary -> text gives the same bytes), keys
 * are defined once, and damaged files are refused with the file, the record
 * and its byte offset, and what was expected. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../sim/base/outbuf.h"
#include "../traces/trace_binary.h"
#include "../traces/trace_gen.h"
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

TestSuite(trace_binary, .init = setup, .fini = teardown, .timeout = 120);

#define EXPECT(msg, needle) cr_assert(strstr(msg, needle) != NULL, "'%s' not in: %s", needle, msg)
#define US(s) ((int64_t)(s) * TRACE_US_PER_S)

/* Converts in (any format) to out with the writer of `binary`.  Returns
 * events written, or -1 with err set. */
static long convert(const char *in, const char *out, int binary, fs_err *err) {
    trace_reader r;
    if (trace_open(&r, in, NULL, err) != 0) return -1;
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert_geq(fd, 0);
    outbuf ob;
    cr_assert_eq(outbuf_open(&ob, fd, out, err), 0);
    trace_binary_writer *w = NULL;
    if (binary) cr_assert_not_null(w = trace_binary_writer_new(&ob, err));
    else trace_text_write_header(&ob);
    trace_event ev;
    long n = 0;
    int rc;
    while ((rc = trace_next(&r, &ev, err)) == 1) {
        if (w) cr_assert_eq(trace_binary_write_event(w, &ev, err), 0);
        else trace_text_write_event(&ob, &ev);
        n++;
    }
    trace_close(&r);
    if (w && rc == 0) trace_binary_writer_finish(w);
    else trace_binary_writer_free(w);
    cr_assert_eq(outbuf_close(&ob, err), 0, "%s", err->msg);
    return rc == 0 ? n : -1;
}

static void assert_same_file(const char *a, const char *b) {
    size_t la, lb;
    char *x = tu_read_file(a, &la), *y = tu_read_file(b, &lb);
    cr_assert(x && y);
    cr_assert_eq(la, lb, "%s is %zu bytes, %s %zu", a, la, b, lb);
    for (size_t i = 0; i < la; i++)
        if (x[i] != y[i]) cr_assert_fail("%s and %s differ at byte %zu", a, b, i);
    free(x);
    free(y);
}

/* Every operation, every condition, GET with and without a size, keys with
 * odd bytes, the extreme sizes and TTLs; the text as the writer writes it. */
static const char *const ALL_TEXT =
    "fragsim-trace v1\n"
    "0 SET plain 0\n"
    "0.000001 SET a%20b 100 1.000001\n"
    "1 SET 100%25 536870912 3153600000\n"
    "1 SET % 7 NX\n"
    "1.5 SET %FF%00%0A 8 0.5 XX\n"
    "2 GET plain\n"
    "2 GET a%20b 4096\n"
    "2 APPEND plain 12\n"
    "2 APPEND % 3 XX\n"
    "3 EXPIRE a%20b 0\n"
    "3 EXPIRE 100%25 2.25\n"
    "4 PERSIST 100%25\n"
    "5 DEL plain\n"
    "5 HSET h%20x f%00 64\n"
    "5 HSET h%20x plain 0\n"
    "5.5 HDEL h%20x f%00\n"
    "60 PURGE\n"
    "1700000000.123456 TICK\n";

Test(trace_binary, text_to_binary_to_text_is_exact) {
    const char *t1 = tu_path(dir, "a.trace"), *b = tu_path(dir, "a.fsb"),
               *t2 = tu_path(dir, "b.trace");
    cr_assert_eq(tu_write_file(t1, ALL_TEXT), 0);
    fs_err err;
    cr_assert_eq(convert(t1, b, 1, &err), 18, "%s", err.msg);
    trace_reader r;
    cr_assert_eq(trace_open(&r, b, NULL, &err), 0, "%s", err.msg);
    cr_assert_str_eq(r.ops->name, "binary");
    trace_close(&r);
    cr_assert_eq(convert(b, t2, 0, &err), 18, "%s", err.msg);
    assert_same_file(t1, t2);
}

Test(trace_binary, the_committed_sample_is_what_the_writer_writes) {
    const char *b = tu_path(dir, "small.fsb"), *t = tu_path(dir, "small.trace");
    fs_err err;
    cr_assert_gt(convert(FRAGSIM_SOURCE_DIR "/traces/samples/small.trace", b, 1, &err), 0,
                 "%s", err.msg);
    assert_same_file(b, FRAGSIM_SOURCE_DIR "/traces/samples/small.fsb");
    cr_assert_gt(convert(FRAGSIM_SOURCE_DIR "/traces/samples/small.fsb", t, 0, &err), 0);
}

Test(trace_binary, a_generated_trace_round_trips) {
    gen_params p;
    gen_params_default(&p);
    p.keys = 50000;
    dist_parse(&p.ttl, "uniform:1,600", 0, "ttl", NULL);
    trace_reader r;
    fs_err err;
    cr_assert_eq(trace_gen_open(&r, &p, &err), 0, "%s", err.msg);
    const char *t1 = tu_path(dir, "g.trace"), *b = tu_path(dir, "g.fsb"),
               *t2 = tu_path(dir, "g2.trace");
    int fd = open(t1, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    outbuf ob;
    cr_assert_eq(outbuf_open(&ob, fd, t1, &err), 0);
    trace_text_write_header(&ob);
    trace_event ev;
    while (trace_next(&r, &ev, &err) == 1) trace_text_write_event(&ob, &ev);
    trace_close(&r);
    cr_assert_eq(outbuf_close(&ob, &err), 0);
    cr_assert_eq(convert(t1, b, 1, &err), 50001, "%s", err.msg);
    cr_assert_eq(convert(b, t2, 0, &err), 50001, "%s", err.msg);
    assert_same_file(t1, t2);
}

Test(trace_binary, each_key_is_defined_once) {
    /* 3 keys, 1000 events: header + 3 definitions + 1000 events + END. */
    char *text = malloc(64 * 1000 + 32);
    size_t n = (size_t)sprintf(text, "fragsim-trace v1\n");
    for (int i = 0; i < 1000; i++) n += (size_t)sprintf(text + n, "%d GET key-%d\n", i, i % 3);
    const char *t = tu_path(dir, "k.trace"), *b = tu_path(dir, "k.fsb");
    cr_assert_eq(tu_write_file(t, text), 0);
    free(text);
    fs_err err;
    cr_assert_eq(convert(t, b, 1, &err), 1000);
    size_t len;
    free(tu_read_file(b, &len));
    cr_assert_eq(len, TRACE_BINARY_HEADER + 3 * (TRACE_BINARY_RECORD + 5) +
                      1000 * TRACE_BINARY_RECORD + TRACE_BINARY_RECORD);
}

/* Event i of a deterministic stream with keys of 0 to 99 bytes (long ones
 * live outside the reader's inline table entries), reused at random. */
static void stream_event(uint64_t i, trace_event *ev, char *key) {
    uint64_t k = (i * 2654435761u) % 40000 % (i + 1); /* new keys early, reuse later */
    uint32_t len = (uint32_t)(k % 100);
    for (uint32_t j = 0; j < len; j++) key[j] = (char)('a' + (k + j) % 26);
    if (len > 8) memcpy(key, &k, sizeof k); /* distinct bytes for each k */
    int del = i % 4 == 3;
    *ev = (trace_event){.time_us = (int64_t)i * 3, .key = key, .keylen = len,
                        .op = del ? TRACE_OP_DEL : TRACE_OP_SET, .size = del ? 0 : i % 5000,
                        .ttl_us = del || i % 2 ? TRACE_TTL_NONE : (int64_t)(i % 777) + 1};
}

Test(trace_binary, many_keys_long_and_short_across_buffer_refills) {
    const uint64_t n = 300000; /* about 12 MB: a dozen buffer fills */
    const char *b = tu_path(dir, "many.fsb");
    int fd = open(b, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    outbuf ob;
    fs_err err;
    cr_assert_eq(outbuf_open(&ob, fd, b, &err), 0);
    trace_binary_writer *w = trace_binary_writer_new(&ob, &err);
    cr_assert_not_null(w);
    char key[128], key2[128];
    trace_event ev, want;
    for (uint64_t i = 0; i < n; i++) {
        stream_event(i, &ev, key);
        cr_assert_eq(trace_binary_write_event(w, &ev, &err), 0);
    }
    trace_binary_writer_finish(w);
    cr_assert_eq(outbuf_close(&ob, &err), 0);
    trace_reader r;
    cr_assert_eq(trace_open(&r, b, NULL, &err), 0, "%s", err.msg);
    uint64_t i = 0;
    int rc;
    while ((rc = trace_next(&r, &ev, &err)) == 1) {
        stream_event(i, &want, key2);
        if (ev.time_us != want.time_us || ev.op != want.op || ev.size != want.size ||
            ev.ttl_us != want.ttl_us || ev.keylen != want.keylen ||
            memcmp(ev.key, want.key, want.keylen) != 0)
            cr_assert_fail("event %llu differs (key of %u bytes)", (unsigned long long)i,
                           want.keylen);
        i++;
    }
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_eq(i, n);
    trace_close(&r);
}

/* ---- damaged files ---- */

/* Set members share the keys' and fields' id space. */
Test(trace_binary, set_members_round_trip) {
    const char *t1 = tu_path(dir, "s.trace"), *b = tu_path(dir, "s.fsb"),
               *t2 = tu_path(dir, "s2.trace");
    cr_assert_eq(tu_write_file(t1, "fragsim-trace v1\n0 SADD s 17\n0 SADD s a%20member\n"
                                   "1 HSET 17 s 3\n1.5 SREM s 17\n2 SREM s%00 %\n"), 0);
    fs_err err;
    cr_assert_eq(convert(t1, b, 1, &err), 5, "%s", err.msg);
    cr_assert_eq(convert(b, t2, 0, &err), 5, "%s", err.msg);
    assert_same_file(t1, t2);
}

/* Sorted set members and the scores' texts share the keys' id space; a
 * score reads back as the same double. */
Test(trace_binary, zset_members_and_scores_round_trip) {
    const char *t1 = tu_path(dir, "z.trace"), *b = tu_path(dir, "z.fsb"),
               *t2 = tu_path(dir, "z2.trace");
    cr_assert_eq(tu_write_file(t1, "fragsim-trace v1\n0 ZADD z m 1\n0 ZADD z 1 2.5\n"
                                   "1 ZADD z m 0.10000000000000001\n1 ZADD z%20y -inf -0\n"
                                   "1.5 ZREM z m\n2 ZADD z m 1e+22\n"), 0);
    fs_err err;
    cr_assert_eq(convert(t1, b, 1, &err), 6, "%s", err.msg);
    cr_assert_eq(convert(b, t2, 0, &err), 6, "%s", err.msg);
    assert_same_file(t1, t2);
}

/* List events: sizes, and LTRIM's indexes in the ttl and size words
 * (negative ones too; a stop past 2^31 is written as 2^31 - 1). */
Test(trace_binary, list_events_round_trip) {
    const char *t1 = tu_path(dir, "l.trace"), *b = tu_path(dir, "l.fsb"),
               *t2 = tu_path(dir, "l2.trace");
    cr_assert_eq(tu_write_file(t1, "fragsim-trace v1\n0 LPUSH l 10\n0 RPUSH l 0\n1 LPOP l\n"
                                   "1 RPOP l\n2 LTRIM l -100 -1\n2 LTRIM l 5 2147483647\n"
                                   "3 LTRIM l -9223372036854775807 -2147483647\n"), 0);
    fs_err err;
    cr_assert_eq(convert(t1, b, 1, &err), 7, "%s", err.msg);
    cr_assert_eq(convert(b, t2, 0, &err), 7, "%s", err.msg);
    assert_same_file(t1, t2);
    const char *t3 = tu_path(dir, "l3.trace"), *b3 = tu_path(dir, "l3.fsb"),
               *t4 = tu_path(dir, "l4.trace");
    cr_assert_eq(tu_write_file(t3, "fragsim-trace v1\n0 LTRIM l 0 99999999999\n"), 0);
    cr_assert_eq(convert(t3, b3, 1, &err), 1, "%s", err.msg);
    cr_assert_eq(convert(b3, t4, 0, &err), 1, "%s", err.msg);
    char *text = tu_read_file(t4, NULL);
    cr_assert(strstr(text, "LTRIM l 0 2147483647\n") != NULL, "%s", text);
    free(text);
}

static size_t good_len;

/* A valid binary file of ALL_TEXT, returned malloc'd. */
static unsigned char *good_file(void) {
    const char *t = tu_path(dir, "good.trace"), *b = tu_path(dir, "good.fsb");
    cr_assert_eq(tu_write_file(t, ALL_TEXT), 0);
    fs_err err;
    cr_assert_eq(convert(t, b, 1, &err), 18);
    return (unsigned char *)tu_read_file(b, &good_len);
}

/* Writes data to DIR/name; reading it must fail with `where` and `needle`. */
static void fails(const char *name, const unsigned char *data, size_t len, const char *where,
                  const char *needle) {
    const char *path = tu_path(dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    trace_reader r;
    fs_err err;
    int rc = trace_open(&r, path, "binary", &err);
    if (rc == 0) {
        trace_event ev;
        while ((rc = trace_next(&r, &ev, &err)) == 1) {
        }
        trace_close(&r);
        cr_assert_eq(rc, -1, "%s read without an error", name);
    }
    char w[1200];
    snprintf(w, sizeof w, "%s: %s", path, where);
    EXPECT(err.msg, w);
    EXPECT(err.msg, needle);
}

/* Offset of record i (from 1) of the good file, whose first records are
 * KEY plain, SET, KEY a%20b, SET ...: walk the records. */
static size_t record_at(const unsigned char *d, int want) {
    size_t off = TRACE_BINARY_HEADER;
    for (int i = 1; i < want; i++) {
        uint32_t size;
        memcpy(&size, d + off + 4, 4);
        off += TRACE_BINARY_RECORD + (d[off] == 0x80 ? size : 0);
    }
    return off;
}

Test(trace_binary, wrong_magic_version_and_header) {
    unsigned char *d = good_file();
    unsigned char *bad = malloc(good_len);
    memcpy(bad, d, good_len);
    bad[1] = 'X';
    fails("magic.fsb", bad, good_len, "byte 0:", "expected the magic bytes 89 46 53 54 52 0D 0A "
                                                 "1A, found 89 58 53 54");
    fails("text.fsb", (const unsigned char *)"fragsim-trace v1\n", 17, "byte 0:",
          "not a fragsim binary trace");
    memcpy(bad, d, good_len);
    bad[8] = 2;
    fails("version.fsb", bad, good_len, "byte 8:", "version 2: this fragsim reads version 1");
    memcpy(bad, d, good_len);
    bad[12] = 24;
    fails("recsize.fsb", bad, good_len, "byte 12:", "record size 24: expected 32");
    fails("header.fsb", d, 12, "byte 0:", "truncated header: expected 16 bytes, found 12");
    fails("empty.fsb", d, 0, "byte 0:", "found an empty file");
    free(bad);
    free(d);
}

Test(trace_binary, truncated_files) {
    unsigned char *d = good_file();
    /* Cut inside record 4 (the SET after two keys): 10 of its 32 bytes. */
    size_t at = record_at(d, 4);
    char where[64];
    snprintf(where, sizeof where, "record 4 (byte %zu):", at);
    fails("cut.fsb", d, at + 10, where, "truncated record: expected 32 bytes, found 10");
    /* Cut inside a key's bytes. */
    at = record_at(d, 3);
    snprintf(where, sizeof where, "record 3 (byte %zu):", at);
    fails("cutkey.fsb", d, at + TRACE_BINARY_RECORD + 2, where,
          "truncated key definition: expected 3 key bytes, found 2");
    /* Cut at a record boundary: only the END record tells. */
    fails("noend.fsb", d, good_len - TRACE_BINARY_RECORD, "record",
          "ends without its END record after 18 events");
    free(d);
}

Test(trace_binary, damaged_records) {
    unsigned char *d = good_file();
    unsigned char *bad = malloc(good_len + 8);
    size_t at = record_at(d, 2); /* SET plain 0 */
    char where[64];
    snprintf(where, sizeof where, "record 2 (byte %zu):", at);

    memcpy(bad, d, good_len);
    bad[at] = 0x42;
    fails("type.fsb", bad, good_len, where, "unknown record type 0x42");
    memcpy(bad, d, good_len);
    bad[at + 1] = 3;
    fails("cond.fsb", bad, good_len, where, "condition 3: expected 0 (none), 1 (NX) or 2 (XX)");
    memcpy(bad, d, good_len);
    bad[at + 2] = 1;
    fails("reserved.fsb", bad, good_len, where, "reserved bytes 2-3 are 1: expected 0");
    memcpy(bad, d, good_len);
    bad[at + 16] = 9;
    fails("keyid.fsb", bad, good_len, where, "key id 9 used before it was defined");
    memcpy(bad, d, good_len);
    bad[at + 15] = 0x80; /* time's top byte: negative */
    fails("time.fsb", bad, good_len, where, "expected 0 to 1000000000000999999");
    /* Past the text format's 10^12 s: converted to text, it could not be
     * read back. */
    memcpy(bad, d, good_len);
    bad[at + 15] = 0x7f;
    fails("bigtime.fsb", bad, good_len, where, "expected 0 to 1000000000000999999 (10^12 s");
    memcpy(bad, d, good_len);
    bad[record_at(d, 1) + 16] = 1; /* the first KEY defines id 1 */
    fails("keyorder.fsb", bad, good_len, "record 1 (byte 16):", "expected id 0");
    memcpy(bad, d, good_len);
    memset(bad + good_len, 0, 8);
    fails("trailing.fsb", bad, good_len + 8, "record", "8 bytes follow the END record");
    memcpy(bad, d, good_len);
    bad[good_len - TRACE_BINARY_RECORD + 16] = 17; /* the END record's count */
    fails("count.fsb", bad, good_len, "record", "the END record counts 17 events, but 18");
    /* A DEL with a size: fields an operation does not carry must be empty. */
    memcpy(bad, d, good_len);
    at = record_at(d, 4); /* SET a%20b 100 1.000001 */
    bad[at] = 1;
    snprintf(where, sizeof where, "record 4 (byte %zu):", at);
    fails("delsize.fsb", bad, good_len, where, "DEL with a size of 100: expected 0");
    memcpy(bad, d, good_len);
    memset(bad + at + 4, 0, 4);
    bad[at] = 1;
    fails("delttl.fsb", bad, good_len, where, "DEL with a ttl of 1000001 us: expected -1");
    /* An HSET's field id (in the ttl word) must name a defined string. */
    memcpy(bad, d, good_len);
    bad[at] = 8;
    fails("hsetfield.fsb", bad, good_len, where,
          "HSET with field id 1000001: expected a field defined by a KEY record");
    memcpy(bad, d, good_len);
    bad[at] = 11; /* SREM, which has no size */
    memset(bad + at + 4, 0, 4);
    fails("sremmember.fsb", bad, good_len, where,
          "SREM with field id 1000001: expected a field defined by a KEY record");
    /* A ZADD's score id (in the size word) must name a defined string that
     * reads as a number. */
    memcpy(bad, d, good_len);
    bad[at] = 12;
    memset(bad + at + 24, 0, 8);
    memset(bad + at + 4, 0xff, 3);
    fails("zaddscore.fsb", bad, good_len, where,
          "ZADD with score id 16777215: expected the score's text defined by a KEY record");
    memset(bad + at + 4, 0, 3);
    fails("zaddnan.fsb", bad, good_len, where, "ZADD with score id 0, whose text is not a number");
    free(bad);
    free(d);
}
