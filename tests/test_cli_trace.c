/* End to end through the real executables: `fragsim trace convert` and
 * `fragsim trace stats`, and `fragsim run` / `compare` on every trace format
 * (samples, a Twitter trace this test writes in the real column layout,
 * zstd), --fill-on-miss, and bad traces: one clear error naming the file and
 * the line or record, exit status 1, nothing left behind. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(cli_trace, .init = setup, .fini = teardown, .timeout = 600);

#define SAMPLES FRAGSIM_SOURCE_DIR "/traces/samples"
#define EXPECT(s, needle) cr_assert(strstr(s, needle) != NULL, "'%s' not in: %s", needle, s)

/* Runs fragsim with args; returns the result (free with tu_result_free). */
static tu_result run(const char *const *args) {
    const char *argv[40] = {FRAGSIM_BIN};
    int n = 1;
    for (; args[n - 1] != NULL && n < 36; n++) argv[n] = args[n - 1];
    argv[n] = NULL;
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, NULL, argv), 0);
    cr_assert_eq(r.signal, 0, "crashed with signal %d: %s", r.signal, r.err);
    return r;
}

static void run_ok(const char *const *args) {
    tu_result r = run(args);
    cr_assert_eq(r.exit_code, 0, "fragsim %s failed (%d): %s", args[0], r.exit_code, r.err);
    tu_result_free(&r);
}

static char *summary(const char *results) {
    char *json = tu_read_file(tu_path(tu_path(dir, results), "summary.json"), NULL);
    cr_assert_not_null(json, "no summary.json in %s", results);
    return json;
}

/* ---- help and usage ---- */

Test(cli_trace, help_and_usage) {
    tu_result r = run((const char *[]){"trace", "--help", NULL});
    cr_assert_eq(r.exit_code, 0);
    EXPECT(r.out, "fragsim trace convert IN OUT");
    EXPECT(r.out, "oracleGeneral");
    tu_result_free(&r);
    r = run((const char *[]){"trace", "convert", "--help", NULL});
    cr_assert_eq(r.exit_code, 0);
    EXPECT(r.out, "--to text|binary");
    tu_result_free(&r);
    r = run((const char *[]){"trace", "stats", "--help", NULL});
    cr_assert_eq(r.exit_code, 0);
    EXPECT(r.out, "--json");
    EXPECT(r.out, "--fill-on-miss");
    tu_result_free(&r);
    r = run((const char *[]){"trace", NULL});
    cr_assert_eq(r.exit_code, 2);
    tu_result_free(&r);
    r = run((const char *[]){"trace", "shuffle", NULL});
    cr_assert_eq(r.exit_code, 2);
    EXPECT(r.err, "unknown subcommand 'shuffle'");
    tu_result_free(&r);
    r = run((const char *[]){"trace", "convert", "only-one", NULL});
    cr_assert_eq(r.exit_code, 2);
    EXPECT(r.err, "expected IN and OUT");
    tu_result_free(&r);
    r = run((const char *[]){"trace", "convert", "a", "b", "--to", "csv", NULL});
    cr_assert_eq(r.exit_code, 2);
    EXPECT(r.err, "--to 'csv'");
    tu_result_free(&r);
    r = run((const char *[]){"help", NULL});
    EXPECT(r.out, "trace ");
    tu_result_free(&r);
}

/* ---- convert ---- */

Test(cli_trace, convert_round_trips_and_replays_the_same_events) {
    run_ok((const char *[]){"gen", "--keys", "20000", "--ttl", "uniform:1,100", "--sizes",
                            "lognormal:200,1", "-o", "g.trace", NULL});
    run_ok((const char *[]){"trace", "convert", "g.trace", "g.fsb", NULL});
    char *b = tu_read_file(tu_path(dir, "g.fsb"), NULL);
    cr_assert(memcmp(b, "\x89" "FSTR\r\n\x1a", 8) == 0, "text converts to binary by default");
    free(b);
    run_ok((const char *[]){"trace", "convert", "g.fsb", "back.trace", NULL});
    run_ok((const char *[]){"trace", "convert", "g.trace", "canon.trace", "--to", "text", NULL});
    char *x = tu_read_file(tu_path(dir, "back.trace"), NULL);
    char *y = tu_read_file(tu_path(dir, "canon.trace"), NULL);
    cr_assert_str_eq(x, y, "binary converts back to the same text");
    free(x);
    free(y);
    run_ok((const char *[]){"run", "g.trace", "-o", "rt", "-q", "--no-progress", NULL});
    run_ok((const char *[]){"run", "g.fsb", "-o", "rb", "-q", "--no-progress", NULL});
    char *st = summary("rt"), *sb = summary("rb");
    char *dt = strstr(st, "\"digest_fnv1a64\""), *db = strstr(sb, "\"digest_fnv1a64\"");
    cr_assert(dt && db);
    cr_assert(strncmp(dt, db, 40) == 0, "the same digest from text and binary");
    EXPECT(sb, "\"trace_format\": \"binary\"");
    cr_assert_eq(tu_json_num(st, "\"final\"", "used_memory"),
                 tu_json_num(sb, "\"final\"", "used_memory"));
    free(st);
    free(sb);
}

Test(cli_trace, convert_of_a_bad_trace_leaves_no_output) {
    cr_assert_eq(tu_write_file(tu_path(dir, "bad.trace"), "fragsim-trace v1\n1 SET a 10\n"
                                                          "0 SET b 10\n"), 0);
    tu_result r = run((const char *[]){"trace", "convert", "bad.trace", "out.fsb", NULL});
    cr_assert_eq(r.exit_code, 1);
    EXPECT(r.err, "bad.trace:3:");
    EXPECT(r.err, "time goes backwards");
    tu_result_free(&r);
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        cr_assert(strncmp(de->d_name, "out.fsb", 7) != 0, "left '%s' behind", de->d_name);
    closedir(d);
}

/* ---- CacheLib samples: import, replay, the counts ---- */

static void cachelib_sample(const char *name, double gets, double sets, double dels) {
    char path[1024];
    snprintf(path, sizeof path, "%s/cachelib/%s", SAMPLES, name);
    run_ok((const char *[]){"run", path, "-o", "r", "-q", "--no-progress", NULL});
    char *s = summary("r");
    EXPECT(s, "\"trace_format\": \"cachelib\"");
    cr_assert_eq(tu_json_num(s, "\"events_by_op\"", "GET"), gets);
    cr_assert_eq(tu_json_num(s, "\"events_by_op\"", "SET"), sets);
    cr_assert_eq(tu_json_num(s, "\"events_by_op\"", "DEL"), dels);
    cr_assert_eq(tu_json_num(s, "\"trace\"", "events"), gets + sets + dels);
    double requested = tu_json_num(s, "\"final\"", "requested_bytes");
    double used = tu_json_num(s, "\"final\"", "used_memory");
    free(s);

    /* trace stats saw the same replay: its live bytes are the run's
     * requested bytes, and its jemalloc classes the run's used_memory. */
    const char *args[] = {"trace", "stats", path, "--json", NULL};
    tu_result r = run(args);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert_eq(tu_json_num(r.out, "\"events_by_op\"", "GET"), gets);
    cr_assert_eq(tu_json_num(r.out, "\"final\"", "live_bytes"), requested);
    cr_assert_eq(tu_json_num(r.out, "\"final\"", "jemalloc_bytes"), used,
                 "jemalloc's own used_memory is the stats' size-class sum");
    tu_result_free(&r);

    /* Look-aside: the misses of known size fill. */
    run_ok((const char *[]){"run", path, "--fill-on-miss", "-o", "f", "-q", "--no-progress",
                            NULL});
    s = summary("f");
    EXPECT(s, "\"fill_on_miss\": true");
    cr_assert_gt(tu_json_num(s, "\"engine\"", "fills"), 0);
    cr_assert_gt(tu_json_num(s, "\"final\"", "requested_bytes"), requested);
    free(s);
}

Test(cli_trace, cachelib_sample_1_replays) { cachelib_sample("kv_traces_1.csv", 678, 10, 3); }
Test(cli_trace, cachelib_sample_2_replays) { cachelib_sample("kv_traces_2.csv", 418, 14, 1); }

/* ---- a Twitter trace in the real column layout, plain and zstd ---- */

static const char *const tw_ops[] = {"get", "gets", "set", "add", "replace", "cas",
                                     "append", "prepend", "delete", "incr", "decr"};

/* `lines` requests over 500 keys; returns how many are writes that store
 * (set) so the test can check the replay did work. */
static size_t write_twitter(const char *name, int lines) {
    FILE *f = fopen(tu_path(dir, name), "w");
    cr_assert_not_null(f);
    size_t sets = 0;
    for (int i = 0; i < lines; i++) {
        /* Mostly gets and sets, every operation present. */
        int op = i % 10 < 5 ? 0 : i % 10 < 8 ? 2 : (i / 10) % 11;
        sets += op == 2;
        fprintf(f, "%d,ns:u:k%04d,11,%d,%d,%s,%d\n", 1000 + i / 50, (i * 7) % 500,
                op == 8 ? 0 : 20 + (i * 13) % 900, i % 17, tw_ops[op],
                op == 2 || op == 3 ? 30 + i % 300 : 0);
    }
    cr_assert_eq(fclose(f), 0);
    return sets;
}

Test(cli_trace, a_twitter_trace_replays_plain_and_compressed) {
    write_twitter("tw.csv", 20000);
    run_ok((const char *[]){"run", "tw.csv", "-o", "plain", "-q", "--no-progress", NULL});
    size_t len;
    char *text = tu_read_file(tu_path(dir, "tw.csv"), &len);
    size_t cap = ZSTD_compressBound(len);
    void *z = malloc(cap);
    size_t zn = ZSTD_compress(z, cap, text, len, 3);
    cr_assert(!ZSTD_isError(zn));
    FILE *f = fopen(tu_path(dir, "tw.csv.zst"), "wb");
    cr_assert_eq(fwrite(z, 1, zn, f), zn);
    fclose(f);
    free(z);
    free(text);
    run_ok((const char *[]){"run", "tw.csv.zst", "-o", "zst", "-q", "--no-progress", NULL});
    char *p = summary("plain"), *q = summary("zst");
    EXPECT(p, "\"trace_format\": \"twitter\"");
    cr_assert_eq(tu_json_num(p, "\"trace\"", "events"), 20000);
    cr_assert_gt(tu_json_num(p, "\"events_by_op\"", "APPEND"), 0);
    cr_assert_gt(tu_json_num(p, "\"engine\"", "skipped_writes"), 0, "add/replace/cas conditions");
    cr_assert_gt(tu_json_num(p, "\"final\"", "requested_bytes"), 0);
    char *dp = strstr(p, "\"digest_fnv1a64\""), *dq = strstr(q, "\"digest_fnv1a64\"");
    cr_assert(strncmp(dp, dq, 40) == 0, "the .zst replays the same events");
    free(p);
    free(q);
    /* And compare takes it too, forwarding --fill-on-miss and --format. */
    run_ok((const char *[]){"compare", "tw.csv.zst", "--allocators", "jemalloc", "--format",
                            "twitter", "--fill-on-miss", "-o", "cmp", "-q", "--no-progress",
                            NULL});
    char *c = tu_read_file(tu_path(dir, "cmp/jemalloc/summary.json"), NULL);
    cr_assert_not_null(c);
    EXPECT(c, "\"fill_on_miss\": true");
    EXPECT(c, "\"trace_format\": \"twitter\"");
    free(c);
}

Test(cli_trace, the_oracle_and_text_samples_replay) {
    run_ok((const char *[]){"run", SAMPLES "/oracle-sample.oracleGeneral.zst", "-o", "o", "-q",
                            "--no-progress", NULL});
    char *s = summary("o");
    EXPECT(s, "\"trace_format\": \"oracleGeneral\"");
    cr_assert_eq(tu_json_num(s, "\"trace\"", "events"), 671);
    cr_assert_eq(tu_json_num(s, "\"events_by_op\"", "SET"), 47, "one SET per object");
    free(s);
    run_ok((const char *[]){"run", SAMPLES "/small.fsb", "-o", "b", "-q", "--no-progress", NULL});
    run_ok((const char *[]){"run", SAMPLES "/small.trace", "-o", "t", "-q", "--no-progress",
                            NULL});
    char *b = summary("b"), *t = summary("t");
    cr_assert(strncmp(strstr(b, "\"digest_fnv1a64\""), strstr(t, "\"digest_fnv1a64\""), 40) == 0);
    free(b);
    free(t);
}

/* ---- stats output ---- */

Test(cli_trace, stats_tables_and_json) {
    tu_result r = run((const char *[]){"trace", "stats", SAMPLES "/twitter-sample.csv", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    EXPECT(r.out, "events by operation");
    EXPECT(r.out, "value sizes by jemalloc 5.3 size class");
    EXPECT(r.out, "TTLs of stored values");
    EXPECT(r.out, "live bytes over time");
    EXPECT(r.out, "churn");
    tu_result_free(&r);
    r = run((const char *[]){"trace", "stats", SAMPLES "/twitter-sample.csv", "--json",
                             "--interval", "5", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert_eq(r.out[0], '{');
    cr_assert_eq(tu_json_num(r.out, NULL, "events"), 300);
    cr_assert_eq(tu_json_num(r.out, NULL, "distinct_keys"), 40);
    cr_assert_eq(tu_json_num(r.out, "\"series\"", "interval"), 5);
    cr_assert_gt(tu_json_num(r.out, "\"peak\"", "live_bytes"), 0);
    cr_assert_geq(tu_json_num(r.out, "\"value_sizes\"", "waste"), 0);
    tu_result_free(&r);
    r = run((const char *[]){"trace", "stats", "-", "--interval", "0", NULL});
    cr_assert_eq(r.exit_code, 2);
    EXPECT(r.err, "--interval '0'");
    tu_result_free(&r);
}

/* Events by the type of key they write. */
Test(cli_trace, stats_by_type) {
    cr_assert_eq(tu_write_file(tu_path(dir, "types.trace"),
                               "fragsim-trace v1\n0 SET a 10\n0 HSET h f 3\n0 HDEL h f\n"
                               "1 SADD s 1\n1 SADD s 2\n1 SREM s 1\n2 DEL a\n2 RPUSH l 5\n"
                               "2 LPOP l\n2 LTRIM l 0 -1\n3 TICK\n"), 0);
    tu_result r = run((const char *[]){"trace", "stats", tu_path(dir, "types.trace"), NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    EXPECT(r.out, "events by type of key");
    tu_result_free(&r);
    r = run((const char *[]){"trace", "stats", tu_path(dir, "types.trace"), "--json", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert_eq(tu_json_num(r.out, "\"events_by_type\"", "string"), 1);
    cr_assert_eq(tu_json_num(r.out, "\"events_by_type\"", "hash"), 2);
    cr_assert_eq(tu_json_num(r.out, "\"events_by_type\"", "set"), 3);
    cr_assert_eq(tu_json_num(r.out, "\"events_by_type\"", "list"), 3);
    cr_assert_eq(tu_json_num(r.out, "\"events_by_type\"", "any_type"), 1);
    cr_assert_eq(tu_json_num(r.out, "\"events_by_type\"", "no_key"), 1);
    tu_result_free(&r);
}

/* ---- bad traces: one line naming file and line/record, exit 1 ---- */

static void bad_trace(const char *file, const char *const *extra, const char *where,
                      const char *what) {
    const char *args[16] = {"run", file, "-o", "res", "-q", "--no-progress"};
    int n = 6;
    for (; extra && *extra; extra++) args[n++] = *extra;
    args[n] = NULL;
    tu_result r = run(args);
    cr_assert_eq(r.exit_code, 1, "%s: exit %d: %s", file, r.exit_code, r.err);
    char *nl = strchr(r.err, '\n');
    cr_assert(nl != NULL && nl[1] == '\0', "one line on stderr, got: %s", r.err);
    EXPECT(r.err, where);
    EXPECT(r.err, what);
    cr_assert_not(tu_exists(tu_path(dir, "res")), "a failed run left results");
    tu_result_free(&r);
}

Test(cli_trace, bad_traces_fail_clearly) {
    /* A binary trace cut inside its 3rd record (KEY, SET, then 10 bytes). */
    cr_assert_eq(tu_write_file(tu_path(dir, "t.trace"), "fragsim-trace v1\n0 SET k 1\n1 DEL k\n"),
                 0);
    run_ok((const char *[]){"trace", "convert", "t.trace", "t.fsb", NULL});
    size_t len;
    char *b = tu_read_file(tu_path(dir, "t.fsb"), &len);
    size_t cut = 16 + 32 + 1 + 32 + 10;
    FILE *f = fopen(tu_path(dir, "cut.fsb"), "wb");
    fwrite(b, 1, cut, f);
    fclose(f);
    bad_trace("cut.fsb", NULL, "cut.fsb: record 3 (byte 81)",
              "truncated record: expected 32 bytes, found 10");
    /* Wrong magic, the format named. */
    b[0] = 'X';
    f = fopen(tu_path(dir, "magic.fsb"), "wb");
    fwrite(b, 1, len, f);
    fclose(f);
    free(b);
    bad_trace("magic.fsb", (const char *[]){"--format", "binary", NULL}, "magic.fsb: byte 0",
              "expected the magic bytes 89 46 53 54 52 0D 0A 1A");
    /* Wrong column count in a Twitter CSV. */
    cr_assert_eq(tu_write_file(tu_path(dir, "cols.csv"), "0,k,1,10,0,set,0\n1,k,1,10,get,0\n"),
                 0);
    bad_trace("cols.csv", NULL, "cols.csv:2:", "expected 7 comma-separated fields");
    /* A corrupt zstd frame: the second of two frames has no magic. */
    write_twitter("big.csv", 30000);
    char *text = tu_read_file(tu_path(dir, "big.csv"), &len);
    size_t cap = ZSTD_compressBound(len);
    unsigned char *z = malloc(cap);
    f = fopen(tu_path(dir, "bad.csv.zst"), "wb");
    size_t zn = ZSTD_compress(z, cap, text, len / 2, 3);
    fwrite(z, 1, zn, f);
    zn = ZSTD_compress(z, cap, text + len / 2, len - len / 2, 3);
    memset(z, 0, 4);
    fwrite(z, 1, zn, f);
    fclose(f);
    free(z);
    free(text);
    bad_trace("bad.csv.zst", NULL, "bad.csv.zst:", "corrupt zstd data");
    /* And through compare: the allocator's row fails with the reader's message. */
    tu_result r = run((const char *[]){"compare", "cols.csv", "--allocators", "jemalloc", "-o",
                                       "cmp", "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 1);
    tu_result_free(&r);
    char *csv = tu_read_file(tu_path(dir, "cmp/summary.csv"), NULL);
    cr_assert_not_null(csv);
    EXPECT(csv, "cols.csv:2:");
    free(csv);
}
