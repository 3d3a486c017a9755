/* Hashes, sets, sorted sets and lists end to end: `fragsim run` on jemalloc,
 * whose realloc the listpacks and intsets grow by, and the session-hashes
 * and follower-sets presets. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(cli_hash, .init = setup, .fini = teardown, .timeout = 300);

/* Runs fragsim (args NULL-terminated) in dir; it must succeed.  Returns
 * res/summary.json (malloc'd). */
static char *run_summary(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    cr_assert_eq(r.exit_code, 0, "fragsim failed (%d): %s", r.exit_code, r.err);
    tu_result_free(&r);
    char *json = tu_read_file(tu_path(dir, "res/summary.json"), NULL);
    cr_assert_not_null(json);
    return json;
}

/* `fragsim run --preset NAME --keys N` on jemalloc, in the preset's own
 * object model or the one named; returns its summary.json (malloc'd). */
static char *preset_summary(const char *preset, const char *keys, const char *model) {
    const char *args[16] = {"run", "--preset", preset, "--keys", keys, "--allocator",
                            "jemalloc", "-q", "--no-progress", "-o", "res"};
    int n = 11;
    if (model != NULL) {
        args[n++] = "--object-model";
        args[n++] = model;
    }
    args[n] = NULL;
    return run_summary(args);
}

/* One hash grown field by field past 512: jemalloc's rallocx moves the
 * listpack from size class to size class (each move a new block and the
 * old one freed), then the conversion frees it for a hashtable. */
Test(cli_hash, a_listpack_grows_by_jemallocs_realloc_to_its_conversion) {
    FILE *f = fopen(tu_path(dir, "grow.trace"), "w");
    cr_assert_not_null(f);
    fputs("fragsim-trace v1\n", f);
    for (int i = 0; i < 520; i++) fprintf(f, "%d HSET h field:%d 30\n", i, i);
    fclose(f);
    char *json = run_summary((const char *const[]){
        "run", "grow.trace", "--allocator", "jemalloc", "--object-model", "redis", "-q",
        "--no-progress", "-o", "res", NULL});
    double reallocs = tu_json_num(json, "\"engine\"", "reallocs");
    double moves = tu_json_num(json, "\"engine\"", "realloc_moves");
    cr_assert_eq(tu_json_num(json, "\"engine\"", "hash_conversions"), 1);
    /* 512 fields of 10-11 + 32 bytes of entries: about 22 KB of listpack,
     * through jemalloc's classes of 8 ... 20480 bytes (4 a doubling): some
     * 45 steps, each a move (small classes never grow in place). */
    cr_assert(reallocs >= 30 && reallocs <= 80, "%.0f reallocs", reallocs);
    cr_assert(moves >= reallocs - 8 && moves <= reallocs,
              "%.0f of %.0f reallocs moved (a large extent may grow in place)", moves, reallocs);
    cr_assert_eq(tu_json_num(json, "\"events_by_op\"", "HSET"), 520);
    free(json);
}

Test(cli_hash, session_hashes_preset) {
    char *json = preset_summary("session-hashes", "300", NULL);
    cr_assert(strstr(json, "\"object_model\": \"redis\"") != NULL, "the preset's model");
    double hsets = tu_json_num(json, "\"events_by_op\"", "HSET");
    cr_assert(hsets >= 300 * 10 && hsets <= 300 * 100, "%.0f HSETs", hsets);
    cr_assert_eq(tu_json_num(json, "\"events_by_op\"", "EXPIRE"), 300, "one TTL a session");
    cr_assert_eq(tu_json_num(json, "\"engine\"", "expired_keys"), 300, "every session expired");
    cr_assert_eq(tu_json_num(json, "\"engine\"", "hash_conversions"), 0, "all small");
    cr_assert_gt(tu_json_num(json, "\"engine\"", "reallocs"), 300);
    free(json);
}

/* About half the sets pass 512 members: intsets that grew by a realloc per
 * SADD, then hashtables. */
Test(cli_hash, follower_sets_preset) {
    char *json = preset_summary("follower-sets", "200", NULL);
    cr_assert(strstr(json, "\"object_model\": \"redis\"") != NULL, "the preset's model");
    double sadds = tu_json_num(json, "\"events_by_op\"", "SADD");
    cr_assert(sadds >= 200 * 5 && sadds <= 200 * 1000, "%.0f SADDs", sadds);
    double conv = tu_json_num(json, "\"engine\"", "set_conversions");
    cr_assert(conv >= 60 && conv <= 140, "%.0f of 200 sets converted", conv);
    cr_assert_eq(tu_json_num(json, "\"engine\"", "set_keys"), 200, "no TTL: every set stays");
    cr_assert_eq(tu_json_num(json, "\"engine\"", "hash_keys"), 0);
    /* Every SADD to an intset is a realloc: at least 5 a set, at most 513. */
    double reallocs = tu_json_num(json, "\"engine\"", "reallocs");
    cr_assert(reallocs >= 200 * 5 && reallocs <= sadds, "%.0f reallocs", reallocs);
    free(json);
}

/* Sorted sets: a listpack grown by realloc to its conversion at
 * zset-max-listpack-entries (from --config), one left a listpack, one a
 * skiplist from its first member; summary.json counts them by encoding. */
Test(cli_hash, sorted_sets_convert_at_the_configs_limit) {
    FILE *f = fopen(tu_path(dir, "z.trace"), "w");
    cr_assert_not_null(f);
    fputs("fragsim-trace v1\n", f);
    for (int i = 0; i < 40; i++) fprintf(f, "%d ZADD big member:%d %d.5\n", i, i, i);
    fputs("40 ZADD small a 1\n40 ZADD small b 2\n", f);
    fputs("41 ZADD long m0123456789012345678901234567890123456789012345678901234567890123456789 "
          "1\n41 ZREM big member:3\n", f);
    fclose(f);
    f = fopen(tu_path(dir, "redis.conf"), "w");
    cr_assert_not_null(f);
    fputs("zset-max-ziplist-entries 32\n", f);
    fclose(f);
    char *json = run_summary((const char *const[]){
        "run", "z.trace", "--allocator", "jemalloc", "--object-model", "redis", "--config",
        "redis.conf", "-q", "--no-progress", "-o", "res", NULL});
    cr_assert_eq(tu_json_num(json, "\"engine\"", "zset_keys"), 3);
    cr_assert_eq(tu_json_num(json, "\"engine\"", "zset_conversions"), 1, "big, at its 33rd");
    cr_assert_eq(tu_json_num(json, "\"keys_by_encoding\"", "zset_listpack"), 1);
    cr_assert_eq(tu_json_num(json, "\"keys_by_encoding\"", "zset_skiplist"), 2);
    cr_assert_gt(tu_json_num(json, "\"engine\"", "reallocs"), 5, "the listpack's growth");
    cr_assert_eq(tu_json_num(json, "\"events_by_op\"", "ZADD"), 43);
    free(json);
}

/* Lists: quicklist nodes cut at list-max-listpack-size (4 elements, set
 * through the 6.x name in --config), a list drained by a pop (the key
 * goes); summary.json counts them and their bytes: robj 16, quicklist 48,
 * three 48-byte nodes and listpacks of 7 + 4 x 12 (64), 64 and 7 + 2 x 12
 * (32). */
Test(cli_hash, lists_cut_nodes_at_the_configs_size) {
    FILE *f = fopen(tu_path(dir, "l.trace"), "w");
    cr_assert_not_null(f);
    fputs("fragsim-trace v1\n", f);
    for (int i = 0; i < 10; i++) fprintf(f, "%d RPUSH q 10\n", i);
    fputs("10 LPUSH gone 5\n10 LPOP gone\n11 LTRIM q 0 -1\n", f);
    fclose(f);
    f = fopen(tu_path(dir, "redis.conf"), "w");
    cr_assert_not_null(f);
    fputs("list-max-ziplist-size 4\n", f);
    fclose(f);
    char *json = run_summary((const char *const[]){
        "run", "l.trace", "--allocator", "jemalloc", "--object-model", "redis", "--config",
        "redis.conf", "-q", "--no-progress", "-o", "res", NULL});
    cr_assert_eq(tu_json_num(json, "\"engine\"", "list_keys"), 1);
    cr_assert_eq(tu_json_num(json, "\"keys_by_encoding\"", "list_quicklist"), 1);
    cr_assert_eq(tu_json_num(json, "\"bytes_by_encoding\"", "list_quicklist"),
                 16 + 48 + 3 * 48 + 64 + 64 + 32);
    cr_assert_eq(tu_json_num(json, "\"events_by_op\"", "RPUSH"), 10);
    cr_assert_eq(tu_json_num(json, "\"events_by_op\"", "LPOP"), 1);
    free(json);
}

/* The leaderboard preset: boards grown past zset-max-listpack-entries
 * convert (about one in six), the rest stay listpacks; the boards with a
 * TTL are gone by the end. */
Test(cli_hash, leaderboard_preset) {
    char *json = preset_summary("leaderboard", "300", "redis");
    double conv = tu_json_num(json, "\"engine\"", "zset_conversions");
    cr_assert(conv >= 25 && conv <= 80, "%.0f of 300 boards converted", conv);
    double expires = tu_json_num(json, "\"events_by_op\"", "EXPIRE");
    cr_assert(expires >= 60 && expires <= 120, "%.0f boards with a TTL", expires);
    cr_assert_eq(tu_json_num(json, "\"engine\"", "expired_keys"), expires);
    cr_assert_eq(tu_json_num(json, "\"engine\"", "zset_keys"), 300 - expires);
    cr_assert_gt(tu_json_num(json, "\"keys_by_encoding\"", "zset_listpack"), 0);
    cr_assert_gt(tu_json_num(json, "\"keys_by_encoding\"", "zset_skiplist"), 0);
    cr_assert_gt(tu_json_num(json, "\"events_by_op\"", "ZREM"), 0);
    cr_assert_gt(tu_json_num(json, "\"engine\"", "reallocs"), 300, "listpacks grow by realloc");
    free(json);
}

/* The queues preset: lists pushed and popped, capped by LTRIM; the queues
 * that kept up are gone (their last LPOP took the key), the backlogs and
 * logs stay, over many quicklist nodes. */
Test(cli_hash, queues_preset) {
    char *json = preset_summary("queues", "200", NULL);
    cr_assert(strstr(json, "\"object_model\": \"redis\"") != NULL, "the preset's model");
    double lists = tu_json_num(json, "\"engine\"", "list_keys");
    cr_assert(lists > 0 && lists < 120, "%.0f of 200 queues left", lists);
    cr_assert_eq(tu_json_num(json, "\"keys_by_encoding\"", "list_quicklist"), lists);
    /* 8 KB a node and its 40-byte quicklistNode: more bytes than one node
     * a list. */
    cr_assert_gt(tu_json_num(json, "\"bytes_by_encoding\"", "list_quicklist"), lists * 8192);
    cr_assert_gt(tu_json_num(json, "\"events_by_op\"", "LPOP"), 0);
    cr_assert_gt(tu_json_num(json, "\"events_by_op\"", "LTRIM"), 0);
    cr_assert_gt(tu_json_num(json, "\"engine\"", "reallocs"), 1000);
    free(json);
}
