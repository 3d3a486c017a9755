/* The hash-pack remedy (traces/transform_hashpack.h): string keys become
 * fields of hashes of at most N fields as the events pass.  The mapping of
 * keys to hashes and fields, each string event's rewriting, the TTL rule,
 * the same stream every time; and end to end, the what-if row on many
 * small strings costs less memory than the baseline, as Redis's own advice
 * says it should. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../traces/trace_transform.h"
#include "../traces/transform_hashpack.h"
#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(hashpack, .init = setup, .fini = teardown, .timeout = 600);

static void map_is(uint32_t n, const char *key, uint64_t seq, const char *bucket,
                   const char *field) {
    char b[HASHPACK_NAME_MAX], f[24];
    uint32_t blen, flen = 0;
    int numeric = hashpack_map(n, key, (uint32_t)strlen(key), seq, b, &blen, f, &flen);
    cr_assert_eq(blen, strlen(bucket), "%s: hash %.*s", key, (int)blen, b);
    cr_assert(memcmp(b, bucket, blen) == 0, "%s: hash %.*s, expected %s", key, (int)blen, b,
              bucket);
    if (field == NULL) {
        cr_assert_eq(numeric, 0, "%s: no number, the key is the field", key);
        return;
    }
    cr_assert_eq(numeric, 1, "%s", key);
    cr_assert_eq(flen, strlen(field));
    cr_assert(memcmp(f, field, flen) == 0, "%s: field %.*s, expected %s", key, (int)flen, f, field);
}

Test(hashpack, keys_map_to_hash_and_field_by_their_number) {
    map_is(100, "object:1234", 0, "object:12", "34");
    map_is(100, "object:99", 0, "object:0", "99");
    map_is(100, "object:100", 0, "object:1", "0");
    map_is(100, "key:0", 0, "key:0", "0");
    map_is(1000, "user:1234567", 0, "user:1234", "567");
    map_is(1, "n:42", 0, "n:42", "0");
    map_is(100, "42", 0, "0", "42");
    /* No number (or a leading zero, or too long to be one): by sequence. */
    map_is(100, "session:abc", 250, "hashpack:2", NULL);
    map_is(100, "user:007", 99, "hashpack:0", NULL);
    map_is(100, "id:1234567890123456789", 100, "hashpack:1", NULL);
}

Test(hashpack, option_forms) {
    transform_spec s = {.shard = -1};
    fs_err err;
    cr_assert_eq(transform_parse_hash_pack(&s, "100", &err), 0);
    cr_assert_eq(s.hash_pack, 100);
    cr_assert_eq(s.hash_pack_ttl_bucket, 0);
    cr_assert_eq(transform_parse_hash_pack(&s, "50:ttl=bucket", &err), 0);
    cr_assert_eq(s.hash_pack, 50);
    cr_assert_eq(s.hash_pack_ttl_bucket, 1);
    cr_assert_eq(transform_parse_hash_pack(&s, "ttl=bucket", &err), 0);
    cr_assert_eq(s.hash_pack, HASHPACK_DEFAULT_FIELDS);
    cr_assert_eq(s.hash_pack_ttl_bucket, 1);
    const char *bad[] = {"0", "x", "-5", "10:ttl=key", "10:", "2000000", ":ttl=bucket"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(transform_parse_hash_pack(&s, bad[i], &err), -1, "%s", bad[i]);
    cr_assert(strstr(err.msg, "ttl=bucket") != NULL, "%s", err.msg);
    char buf[256];
    transform_parse_hash_pack(&s, "7:ttl=bucket", &err);
    transform_describe(&s, buf, sizeof buf);
    cr_assert_str_eq(buf, "--hash-pack 7:ttl=bucket");
    cr_assert_eq(transform_spec_empty(&s), 0);
}

/* The transformed stream as text, one event a line. */
static char *transformed(const char *trace, const char *hash_pack, fs_err *err, int *rc) {
    const char *path = tu_path(dir, "t.trace");
    cr_assert_eq(tu_write_file(path, trace), 0);
    transform_spec s = {.shard = -1};
    cr_assert_eq(transform_parse_hash_pack(&s, hash_pack, err), 0, "%s", err->msg);
    trace_reader in, r;
    cr_assert_eq(trace_open(&in, path, NULL, err), 0, "%s", err->msg);
    cr_assert_eq(trace_transform_wrap(&r, &in, &s, err), 0, "%s", err->msg);
    size_t cap = 1 << 16, at = 0;
    char *out = calloc(1, cap);
    trace_event ev;
    while ((*rc = trace_next(&r, &ev, err)) == 1) {
        at += (size_t)snprintf(out + at, cap - at, "%lld %s", (long long)(ev.time_us / 1000000),
                               trace_op_name(ev.op));
        if (ev.key) at += (size_t)snprintf(out + at, cap - at, " %.*s", (int)ev.keylen, ev.key);
        if (ev.field)
            at += (size_t)snprintf(out + at, cap - at, " %.*s", (int)ev.fieldlen, ev.field);
        if (ev.op == TRACE_OP_HSET || ev.op == TRACE_OP_GET || ev.op == TRACE_OP_SET)
            at += (size_t)snprintf(out + at, cap - at, " %llu", (unsigned long long)ev.size);
        if (ev.op == TRACE_OP_EXPIRE)
            at += (size_t)snprintf(out + at, cap - at, " %lld", (long long)(ev.ttl_us / 1000000));
        at += (size_t)snprintf(out + at, cap - at, "\n");
        cr_assert_lt(at, cap - 256);
    }
    trace_close(&r);
    return out;
}

static const char *const strings = "fragsim-trace v1\n"
                                   "0 SET user:1234 20\n"
                                   "0 SET user:1235 30\n"
                                   "1 GET user:1234 20\n"
                                   "1 SET user:1234 25 NX\n"
                                   "2 APPEND user:1235 5\n"
                                   "2 SET user:99 10 XX\n"
                                   "3 SET session:abc 40\n"
                                   "3 DEL user:1234\n"
                                   "4 DEL user:1234\n"
                                   "4 EXPIRE user:1235 0\n"
                                   "5 HSET h f 7\n"
                                   "5 DEL nosuch\n";

Test(hashpack, string_events_become_hash_events) {
    fs_err err;
    int rc;
    char *out = transformed(strings, "100", &err, &rc);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_str_eq(out, "0 HSET user:12 34 20\n"
                          "0 HSET user:12 35 30\n"
                          "1 GET user:12 0\n"
                          "1 TICK\n"            /* NX: the field exists */
                          "2 HSET user:12 35 35\n" /* APPEND: 30 + 5 */
                          "2 TICK\n"            /* XX: no field user:0 99 */
                          "3 HSET hashpack:0 session:abc 40\n"
                          "3 HDEL user:12 34\n"
                          "4 TICK\n"            /* gone already */
                          "4 HDEL user:12 35\n" /* EXPIRE 0 deletes */
                          "5 HSET h f 7\n"      /* a hash of the trace's own: as it is */
                          "5 TICK\n");          /* never written */
    free(out);
}

Test(hashpack, same_stream_every_time) {
    fs_err err;
    int rc;
    char *a = transformed(strings, "3", &err, &rc), *b = transformed(strings, "3", &err, &rc);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
}

Test(hashpack, a_ttl_is_refused_without_ttl_bucket) {
    fs_err err;
    int rc;
    char *out = transformed("fragsim-trace v1\n0 SET k:1 10\n1 SET k:2 10 60\n", "100", &err, &rc);
    cr_assert_eq(rc, -1);
    cr_assert(strstr(err.msg, "no TTL per hash field") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "ttl=bucket") != NULL, "%s", err.msg);
    free(out);
    out = transformed("fragsim-trace v1\n0 SET k:1 10\n1 EXPIRE k:1 60\n", "100", &err, &rc);
    cr_assert_eq(rc, -1, "an EXPIRE is a TTL too");
    free(out);
}

Test(hashpack, ttl_bucket_keeps_the_longest_ttl_of_the_fields) {
    fs_err err;
    int rc;
    char *out = transformed("fragsim-trace v1\n"
                            "0 SET k:1 10 100\n"  /* new hash: its field's TTL */
                            "1 SET k:2 10 50\n"   /* ends at 51, before 100: no change */
                            "2 SET k:3 10 200\n"  /* ends at 202: lengthens */
                            "3 EXPIRE k:1 500\n"  /* 503: lengthens */
                            "4 EXPIRE k:2 10\n"   /* 14: no change */
                            "5 SET k:4 10\n"      /* no TTL: the hash persists */
                            "6 SET k:5 10 1000\n" /* a persistent hash stays so */
                            "7 SET j:1 10 3\n"    /* a new hash: 10 */
                            "8 SET j:2 10 5\n"    /* 13 */
                            "20 SET j:3 10 1\n"   /* j:0 expired at 13: a new hash, TTL 1 */
                            "21 PERSIST j:3\n",
                            "ttl=bucket", &err, &rc);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_str_eq(out, "0 HSET k:0 1 10\n0 EXPIRE k:0 100\n"
                          "1 HSET k:0 2 10\n"
                          "2 HSET k:0 3 10\n2 EXPIRE k:0 200\n"
                          "3 EXPIRE k:0 500\n"
                          "4 TICK\n"
                          "5 HSET k:0 4 10\n5 PERSIST k:0\n"
                          "6 HSET k:0 5 10\n"
                          "7 HSET j:0 1 10\n7 EXPIRE j:0 3\n"
                          "8 HSET j:0 2 10\n8 EXPIRE j:0 5\n"
                          "20 HSET j:0 3 10\n20 EXPIRE j:0 1\n"
                          "21 PERSIST j:0\n");
    free(out);
}

/* After its last field goes, a hash is gone with its TTL: the next field
 * starts a new one. */
Test(hashpack, the_last_field_takes_the_hash_and_its_ttl) {
    fs_err err;
    int rc;
    char *out = transformed("fragsim-trace v1\n0 SET k:1 10 100\n1 DEL k:1\n2 SET k:2 10 5\n",
                            "100:ttl=bucket", &err, &rc);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_str_eq(out, "0 HSET k:0 1 10\n0 EXPIRE k:0 100\n1 HDEL k:0 1\n"
                          "2 HSET k:0 2 10\n2 EXPIRE k:0 5\n");
    free(out);
}

/* whatif.csv's row of the remedy: the baseline, then the list's in order,
 * one row each (none is sharded). */
enum { BASE, HP100, HP10 };
static double csv_num(const tu_csv *c, size_t row, const char *col) {
    cr_assert_lt(row, c->nrows);
    return tu_csv_get(c, row, col);
}

/* Many small strings: packed into listpack hashes, each value costs its
 * listpack entry instead of a dictEntry, a robj and an sds, so used_memory
 * and RSS fall well below the baseline's (Redis's memory-optimization
 * advice). */
Test(hashpack, end_to_end_whatif_on_small_strings_saves_memory) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, (const char *[]){"whatif", "--preset", "seed-blog", "--keys",
                                                      "20000", "--sizes", "uniform:8,32", "--ttl",
                                                      "none", "--object-model", "redis",
                                                      "--remedies", "hash-pack,hash-pack:10",
                                                      "--no-progress", "-q", "-o", "wi", NULL}),
                 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *text = tu_read_file(tu_path(dir, "wi/whatif.csv"), NULL);
    cr_assert_not_null(text);
    const char *const rows[] = {"\nbaseline,total,1,ok,", "\nhash-pack,total,1,ok,",
                                "\nhash-pack:10,total,1,ok,"};
    for (size_t i = 0; i < 3; i++) cr_assert(strstr(text, rows[i]) != NULL, "%s", text);
    free(text);
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "wi/whatif.csv")), 0);
    double used = csv_num(&c, BASE, "used_memory_peak");
    double rss = csv_num(&c, BASE, "rss_peak");
    double hp_used = csv_num(&c, HP100, "used_memory_peak");
    double hp_rss = csv_num(&c, HP100, "rss_peak");
    cr_assert(hp_used < 0.5 * used, "hash-pack used_memory %.0f, baseline %.0f", hp_used, used);
    cr_assert(hp_rss < rss, "hash-pack RSS %.0f, baseline %.0f", hp_rss, rss);
    cr_assert(csv_num(&c, HP100, "used_memory_final") <
              csv_num(&c, BASE, "used_memory_final"));
    /* Ten fields a hash pay a hash's own overhead ten times as often. */
    cr_assert(csv_num(&c, HP10, "used_memory_peak") > hp_used);
    tu_csv_free(&c);
    char *sum = tu_read_file(tu_path(dir, "wi/01-hash-pack/summary.json"), NULL);
    cr_assert_not_null(sum);
    cr_assert(strstr(sum, "\"options\": \"--hash-pack 100\"") != NULL);
    cr_assert_eq(tu_json_num(sum, "\"remedy\"", "hash_pack_events"), 20000);
    cr_assert_eq(tu_json_num(sum, "\"engine\"", "hash_keys"), 200);
    free(sum);
}

/* What the remedy cannot do is refused with the reason. */
Test(hashpack, end_to_end_refusals) {
    const char *const cases[][16] = {
        {"run", "--preset", "seed-blog", "--keys", "100", "--ttl", "none", "--hash-pack", "10",
         NULL},
        {"run", "--preset", "seed-blog", "--keys", "100", "--ttl", "none", "--hash-pack", "10",
         "--object-model", "redis", "--fill-on-miss", NULL},
        {"whatif", "--preset", "seed-blog", "--keys", "100", "--remedies", "hash-pack", NULL},
        {"run", "--preset", "seed-blog", "--keys", "100", "--hash-pack", "0", "--object-model",
         "redis", NULL},
    };
    const char *const says[] = {"--object-model redis", "--fill-on-miss",
                                "--object-model redis", "N[:ttl=bucket]"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tu_result r;
        cr_assert_eq(tu_fragsim(&r, dir, cases[i]), 0);
        cr_assert_eq(r.exit_code, 2, "case %zu: exit %d", i, r.exit_code);
        cr_assert(strstr(r.err, says[i]) != NULL, "case %zu: %s", i, r.err);
        tu_result_free(&r);
    }
    /* A TTL, found as the events pass: the run fails, naming the way out. */
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, (const char *[]){"run", "--preset", "seed-blog", "--keys",
                                                      "100", "--hash-pack", "10",
                                                      "--object-model", "redis", "-q", "-o",
                                                      "ttl", NULL}),
                 0);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "no TTL per hash field") != NULL, "%s", r.err);
    tu_result_free(&r);
    cr_assert_eq(tu_fragsim(&r, dir, (const char *[]){"run", "--preset", "seed-blog", "--keys",
                                                      "100", "--hash-pack", "10:ttl=bucket",
                                                      "--object-model", "redis", "-q", "-o",
                                                      "ttl2", NULL}),
                 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
}
