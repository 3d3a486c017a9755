/* Fidelity of hashes: fragsim's redis object model against a real
 * redis-server, as tests/test_fidelity.c does for strings (a workload sent
 * to Debian's redis-server under MONITOR, the capture imported and replayed
 * on jemalloc with --object-model redis; what the workload added compared).
 *
 * (a) listpack: thousands of small hashes, half with numeric fields (which
 *     a listpack stores as integers), values of 1-60 bytes, then updates of
 *     other sizes, HDELs (each one a realloc of the listpack), whole hashes
 *     emptied by HDEL and keys DELeted.
 * (b) past the conversion: hashes of 600-1400 fields (converted at 513,
 *     their dicts grown to 1024 and 2048 buckets), small hashes converted by
 *     a value over 64 bytes, then most fields of some big hashes deleted
 *     (their tables shrink on HDEL).
 *
 * Commands carry several fields (HSET key f v f v ...: a small hash's all
 * in (a), four in (b)), as clients batch them; Redis applies them one by
 * one, as the trace does.  A command's argument objects, which fragsim
 * does not model, live while it runs: with 50 fields a command in (b) they
 * moved allocator_frag_ratio by 0.05, with four by 0.016.
 *
 * Bounds: used_memory and allocator_allocated within 2%, allocator_active
 * within 3%, allocator_frag_ratio within 0.03.  The table goes to the log
 * and to fidelity-table.csv in the build directory (fidelity.h). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/base/rng.h"
#include "fidelity.h"

TestSuite(fidelity_hash, .timeout = 600);

static char value[256];

/* One command of `op` (HSET or HDEL) on key with fields [from, to) of a
 * hash (field_name's), HSET with the value lengths vlen[j]: many fields a
 * command, so that a big workload takes few round trips.  Redis applies
 * them one by one, as the imported trace does (hashTypeSet per pair; the
 * conversion for a long value, checked over all pairs first, is not used
 * here: long values go one a command). */
static void fields_cmd(const char *op, const char *key, int numeric, uint32_t from, uint32_t to,
                       const uint8_t *vlen) {
    enum { MAX = 2 + 2 * 64 };
    const char *argv[MAX];
    size_t lens[MAX];
    static char names[64][16];
    int n = 0;
    argv[n] = op, lens[n++] = strlen(op);
    argv[n] = key, lens[n++] = strlen(key);
    for (uint32_t j = from; j < to; j++) {
        cr_assert_lt(n + 2, MAX);
        char *f = names[j - from];
        snprintf(f, sizeof names[0], numeric ? "%u" : "field:%u", j);
        argv[n] = f, lens[n++] = strlen(f);
        if (vlen != NULL) argv[n] = value, lens[n++] = vlen[j];
    }
    fid_send(n, argv, lens);
}

static void del(const char *key) {
    fid_send(2, (const char *const[]){"DEL", key}, (const size_t[]){3, strlen(key)});
}

static void start(const char *dir, redis_info_memory *m0) {
    memset(value, 'v', sizeof value - 1);
    fid_start_monitored(dir, m0, NULL);
}

#define LP_HASHES 40000
#define LP_MAX_FIELDS 40

Test(fidelity_hash, listpack_hashes) {
    char *dir = tu_tmpdir();
    redis_info_memory m0;
    start(dir, &m0);
    rng r;
    rng_seed(&r, 20261204);
    char key[32];
    static uint8_t nfields[LP_HASHES];
    uint8_t vlen[LP_MAX_FIELDS];
    for (uint32_t i = 0; i < LP_HASHES; i++) { /* numeric fields in every other hash */
        snprintf(key, sizeof key, "h:%06u", i);
        nfields[i] = (uint8_t)(5 + rng_below(&r, LP_MAX_FIELDS - 4));
        for (uint32_t j = 0; j < nfields[i]; j++) vlen[j] = (uint8_t)(1 + rng_below(&r, 60));
        fields_cmd("HSET", key, i % 2, 0, nfields[i], vlen);
    }
    for (uint32_t i = 0; i < LP_HASHES; i++) { /* updates, deletions */
        snprintf(key, sizeof key, "h:%06u", i);
        if (i % 5 == 0) {
            for (uint32_t j = 0; j < 5; j++) vlen[j] = (uint8_t)(1 + rng_below(&r, 60));
            fields_cmd("HSET", key, i % 2, 0, 5, vlen);
        }
        if (i % 10 == 1) {
            del(key);
        } else if (i % 25 == 2) { /* emptied: the last HDEL takes the key */
            fields_cmd("HDEL", key, i % 2, 0, nfields[i], NULL);
        } else { /* a random third of the fields, in runs */
            uint32_t j = (uint32_t)rng_below(&r, 3), n = (uint32_t)rng_below(&r, nfields[i] / 3 + 1);
            if (n > 0) fields_cmd("HDEL", key, i % 2, j, j + n, NULL);
        }
    }
    fid_finish_types(dir, "hash-listpack", &m0, "hash_conversions", 0);
    tu_rmtree(dir);
    free(dir);
}

#define BIG_HASHES 240
#define SMALL_HASHES 3000

Test(fidelity_hash, hashtable_hashes) {
    char *dir = tu_tmpdir();
    redis_info_memory m0;
    start(dir, &m0);
    rng r;
    rng_seed(&r, 20261205);
    char key[32];
    static uint32_t nfields[BIG_HASHES];
    static uint8_t vlen[1500];
    for (uint32_t i = 0; i < BIG_HASHES; i++) { /* converted at 513 fields */
        snprintf(key, sizeof key, "big:%04u", i);
        nfields[i] = 600 + (uint32_t)rng_below(&r, 801);
        for (uint32_t j = 0; j < nfields[i]; j++) vlen[j] = (uint8_t)(5 + rng_below(&r, 56));
        for (uint32_t j = 0; j < nfields[i]; j += 4)
            fields_cmd("HSET", key, 0, j, j + 4 < nfields[i] ? j + 4 : nfields[i], vlen);
    }
    for (uint32_t i = 0; i < SMALL_HASHES; i++) { /* converted by a long value */
        snprintf(key, sizeof key, "small:%04u", i);
        uint32_t n = 5 + (uint32_t)rng_below(&r, 20), longone = (uint32_t)rng_below(&r, n);
        for (uint32_t j = 0; j < n; j++) vlen[j] = (uint8_t)(5 + rng_below(&r, 56));
        vlen[longone] = (uint8_t)(65 + rng_below(&r, 150));
        if (longone > 0) fields_cmd("HSET", key, 0, 0, longone, vlen);
        fields_cmd("HSET", key, 0, longone, longone + 1, vlen);
        if (longone + 1 < n) fields_cmd("HSET", key, 0, longone + 1, n, vlen);
    }
    for (uint32_t i = 0; i < BIG_HASHES; i += 4) { /* most fields go: the tables shrink */
        snprintf(key, sizeof key, "big:%04u", i);
        uint32_t n = nfields[i] * 95 / 100;
        for (uint32_t j = 0; j < n; j += 4)
            fields_cmd("HDEL", key, 0, j, j + 4 < n ? j + 4 : n, NULL);
    }
    fid_finish_types(dir, "hash-hashtable", &m0, "hash_conversions", 1);
    tu_rmtree(dir);
    free(dir);
}
