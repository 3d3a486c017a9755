/* Fidelity of sets: fragsim's redis object model against a real
 * redis-server, as tests/test_fidelity_hash.c does for hashes (a workload
 * sent to Debian's redis-server under MONITOR, the capture imported and
 * replayed on jemalloc with --object-model redis; what the workload added
 * compared, fid_finish_types).
 *
 * (a) intset: thousands of sets of 5-200 integer members, a third of them
 *     2-byte, a third widened to 4 bytes and a third to 8 part way through
 *     (every insert an intset realloc, a widening rewrites the set), then
 *     SREMs, SPOPs (which member Redis pops does not change an intset's
 *     size), SMOVEs between sets, sets emptied and keys DELeted.
 * (b) past the conversion: sets of 600-1400 integers (converted at 513,
 *     their dicts presized to 1024 and 2048 buckets), intsets converted by
 *     a member that is not an integer, sets of strings (hashtables from the
 *     first member), then most members of some big sets removed (their
 *     tables shrink on SREM).
 *
 * Commands carry up to 10 members (SADD key m m ...), as clients batch
 * them; Redis adds them one by one, as the trace does.  Bounds as
 * fid_finish_types says; the table goes to the log and to
 * fidelity-table.csv in the build directory. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/base/rng.h"
#include "fidelity.h"

TestSuite(fidelity_set, .timeout = 600);

#define PER_CMD 10

/* One command of `op` (SADD, SREM) on key with members m[0..n), sent in
 * commands of up to PER_CMD members. */
static void members_cmd(const char *op, const char *key, char (*m)[24], uint32_t n) {
    fid_send_members(op, key, m[0], sizeof m[0], n, PER_CMD);
}

/* An integer member of `width` bytes' range (2, 4 or 8), random sign. */
static void int_member(rng *r, int width, char *out) {
    uint64_t bound = width == 2 ? 32768 : width == 4 ? 2147483648ULL : (uint64_t)INT64_MAX;
    uint64_t floor = width == 2 ? 0 : width == 4 ? 32768 : 2147483648ULL;
    long long v = (long long)(floor + rng_below(r, bound - floor));
    snprintf(out, 24, "%lld", rng_below(r, 2) ? v : -v);
}

#define IS_SETS 30000
#define IS_MAX 200

Test(fidelity_set, intset_sets) {
    char *dir = tu_tmpdir();
    redis_info_memory m0;
    fid_start_monitored(dir, &m0, NULL);
    rng r;
    rng_seed(&r, 20261206);
    char key[32], key2[32];
    static char m[IS_MAX][24];
    static uint8_t nmembers[IS_SETS];
    for (uint32_t i = 0; i < IS_SETS; i++) {
        snprintf(key, sizeof key, "s:%06u", i);
        uint32_t n = 5 + (uint32_t)rng_below(&r, IS_MAX - 4), half = n / 2;
        nmembers[i] = (uint8_t)n;
        int wide = (int)(i % 3) == 0 ? 2 : (int)(i % 3) == 1 ? 4 : 8;
        for (uint32_t j = 0; j < n; j++) int_member(&r, j < half ? 2 : wide, m[j]);
        members_cmd("SADD", key, m, half); /* 2-byte first, then the widening */
        members_cmd("SADD", key, m + half, n - half);
    }
    for (uint32_t i = 0; i < IS_SETS; i++) {
        snprintf(key, sizeof key, "s:%06u", i);
        if (i % 10 == 1) {
            fid_cmd(2, (const char *const[]){"DEL", key});
        } else if (i % 25 == 2) {
            fid_cmd(3, (const char *const[]){"SPOP", key, "1000"}); /* emptied: the key goes */
        } else if (i % 7 == 3) {
            fid_cmd(3, (const char *const[]){"SPOP", key, "3"});
            fid_cmd(2, (const char *const[]){"SPOP", key});
        } else if (i % 11 == 4) { /* members moved to the next set */
            snprintf(key2, sizeof key2, "s:%06u", (i + 1) % IS_SETS);
            for (int j = 0; j < 4; j++) {
                int_member(&r, 2, m[0]);
                fid_cmd(4, (const char *const[]){"SMOVE", key, key2, m[0]});
            }
        } else { /* a few random values: some members, mostly not */
            uint32_t n = 1 + (uint32_t)rng_below(&r, nmembers[i] / 4 + 1);
            for (uint32_t j = 0; j < n; j++) int_member(&r, 2, m[j]);
            members_cmd("SREM", key, m, n);
        }
    }
    fid_finish_types(dir, "set-intset", &m0, "set_conversions", 0);
    tu_rmtree(dir);
    free(dir);
}

#define BIG_SETS 300
#define SMALL_SETS 6000
#define STRING_SETS 4000

/* A string member of 4-40 bytes. */
static void str_member(rng *r, uint32_t j, char *out) {
    int len = 4 + (int)rng_below(r, 17);
    snprintf(out, 24, "m%u:%.*s", j, len, "abcdefghijklmnopqrstuvwxyz");
}

Test(fidelity_set, hashtable_sets) {
    char *dir = tu_tmpdir();
    redis_info_memory m0;
    fid_start_monitored(dir, &m0, NULL);
    rng r;
    rng_seed(&r, 20261207);
    char key[32];
    static char m[1500][24];
    static uint32_t nmembers[BIG_SETS];
    for (uint32_t i = 0; i < BIG_SETS; i++) { /* converted at 513 members */
        snprintf(key, sizeof key, "big:%04u", i);
        nmembers[i] = 600 + (uint32_t)rng_below(&r, 801);
        for (uint32_t j = 0; j < nmembers[i]; j++) snprintf(m[j], 24, "%u", j * 7 + (uint32_t)(i % 7));
        members_cmd("SADD", key, m, nmembers[i]);
    }
    for (uint32_t i = 0; i < SMALL_SETS; i++) { /* converted by a string member */
        snprintf(key, sizeof key, "small:%04u", i);
        uint32_t n = 3 + (uint32_t)rng_below(&r, 30);
        for (uint32_t j = 0; j < n; j++) int_member(&r, 4, m[j]);
        members_cmd("SADD", key, m, n);
        str_member(&r, 0, m[0]);
        members_cmd("SADD", key, m, 1);
    }
    for (uint32_t i = 0; i < STRING_SETS; i++) { /* hashtables from the first member */
        snprintf(key, sizeof key, "str:%04u", i);
        uint32_t n = 2 + (uint32_t)rng_below(&r, 40);
        for (uint32_t j = 0; j < n; j++) str_member(&r, j, m[j]);
        members_cmd("SADD", key, m, n);
        if (i % 3 == 0) members_cmd("SREM", key, m, n / 2);
    }
    for (uint32_t i = 0; i < BIG_SETS; i += 4) { /* most members go: the tables shrink */
        snprintf(key, sizeof key, "big:%04u", i);
        uint32_t n = nmembers[i] * 95 / 100;
        for (uint32_t j = 0; j < n; j++) snprintf(m[j], 24, "%u", j * 7 + (uint32_t)(i % 7));
        members_cmd("SREM", key, m, n);
    }
    fid_finish_types(dir, "set-hashtable", &m0, "set_conversions", 1);
    tu_rmtree(dir);
    free(dir);
}
