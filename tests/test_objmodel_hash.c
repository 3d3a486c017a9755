/* Hash keys in the engine and the redis object model (sim/objmodel_hash.h),
 * byte for byte and realloc by realloc, on the plain-malloc test backend
 * (usable sizes rounded up to 16; a realloc moves when the 16-byte class
 * changes). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sim/engine.h"
#include "../sim/objmodel_hash.h"
#include "test_backend.h"

#define U16(n) (((uint64_t)(n) + 15) & ~(uint64_t)15)

static engine eng;
static void *be_state;

static void start(om_kind model) {
    fs_err err;
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = 1000 * TRACE_US_PER_S, .object_model = model};
    cr_assert_eq(engine_init(&eng, &test_backend, be_state, &cfg, &err), 0);
}

static void setup(void) { start(OM_REDIS); }

/* Every block is freed with the engine, whatever moved by realloc. */
static void teardown(void) {
    engine_destroy(&eng);
    cr_assert_eq(test_counts.live_bytes, 0, "%llu bytes left",
                 (unsigned long long)test_counts.live_bytes);
    cr_assert_eq(test_counts.allocs, test_counts.frees);
}

static void ev(trace_op op, const char *key, const char *field, uint64_t size) {
    trace_event e = {.op = op, .key = key, .keylen = (uint32_t)strlen(key), .size = size,
                     .ttl_us = TRACE_TTL_NONE, .field = field,
                     .fieldlen = field ? (uint32_t)strlen(field) : 0};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &e, &err), 0, "engine_apply: %s", err.msg);
}

static void hset(const char *key, const char *field, uint64_t size) {
    ev(TRACE_OP_HSET, key, field, size);
}

TestSuite(objmodel_hash, .init = setup, .fini = teardown);

Test(objmodel_hash, listpack_entries_follow_listpack_c) {
    cr_assert_eq(omh_lp_entry_size("name", 4), 1 + 4 + 1);
    cr_assert_eq(omh_lp_entry_size(NULL, 63), 1 + 63 + 1);
    cr_assert_eq(omh_lp_entry_size(NULL, 64), 2 + 64 + 1, "12-bit string length");
    cr_assert_eq(omh_lp_entry_size(NULL, 126), 2 + 126 + 2, "an entry past 127 bytes: 2-byte backlen");
    cr_assert_eq(omh_lp_entry_size(NULL, 4096), 5 + 4096 + 2, "32-bit string length");
    /* Integers (lpStringToInt64's canonical form only). */
    cr_assert_eq(omh_lp_entry_size("0", 1), 2);
    cr_assert_eq(omh_lp_entry_size("127", 3), 2, "7-bit uint");
    cr_assert_eq(omh_lp_entry_size("128", 3), 3, "13-bit int");
    cr_assert_eq(omh_lp_entry_size("-4096", 5), 3);
    cr_assert_eq(omh_lp_entry_size("4096", 4), 4, "16-bit int");
    cr_assert_eq(omh_lp_entry_size("9223372036854775807", 19), 10, "64-bit int");
    cr_assert_eq(omh_lp_entry_size("9223372036854775808", 19), 1 + 19 + 1, "past int64: a string");
    cr_assert_eq(omh_lp_entry_size("007", 3), 1 + 3 + 1, "a leading zero: a string");
    cr_assert_eq(omh_lp_entry_size("-0", 2), 1 + 2 + 1);
    cr_assert_eq(omh_lp_entry_size("+1", 2), 1 + 2 + 1);
}

Test(objmodel_hash, a_new_hash_is_listpack_robj_key_and_entry) {
    hset("h", "name", 10);
    uint64_t lp = 7 + (1 + 4 + 1) + (1 + 10 + 1);
    /* listpack, robj 16, key sds 1+1+1, main table 4*8, dictEntry 24 */
    cr_assert_eq(eng.c.requested_bytes, lp + 16 + 3 + 32 + 24);
    cr_assert_eq(eng.c.used_memory, U16(lp) + 16 + U16(3) + 32 + U16(24));
    cr_assert_eq(eng.c.hash_keys, 1);
    cr_assert_eq(eng.c.reallocs, 1, "lpNew's 7 bytes (usable 16) grow once, for the field");
    cr_assert_eq(test_counts.reallocs, eng.c.reallocs);
}

/* A listpack growing entry by entry reallocs only past its usable size,
 * then converts at the 513th field: every realloc the engine counts is one
 * the allocator saw, and their number is the 16-byte class crossings. */
Test(objmodel_hash, a_listpack_grows_by_realloc_to_its_conversion) {
    uint64_t bytes = 7, usable = 16, reallocs = 0;
    char field[16];
    for (int i = 0; i <= OMH_MAX_LISTPACK_ENTRIES; i++) {
        snprintf(field, sizeof field, "f%d", i);
        hset("h", field, 20);
        uint64_t add[2] = {1 + strlen(field) + 1, 1 + 20 + 1};
        for (int k = 0; k < 2; k++) {
            bytes += add[k];
            if (bytes > usable) usable = U16(bytes), reallocs++;
        }
        if (i < OMH_MAX_LISTPACK_ENTRIES) {
            cr_assert_eq(eng.c.hash_conversions, 0, "still a listpack at %d fields", i + 1);
            cr_assert_eq(eng.c.reallocs, reallocs, "after %d fields", i + 1);
        }
    }
    cr_assert_eq(eng.c.hash_conversions, 1, "converted past 512 fields");
    cr_assert_eq(eng.c.reallocs, reallocs);
    cr_assert_eq(test_counts.reallocs, reallocs, "the allocator saw each realloc");
    cr_assert_gt(test_counts.realloc_moves, 0);
    cr_assert_eq(eng.c.realloc_moves, test_counts.realloc_moves);
    /* The hashtable: dict 56, 1024 buckets (presized to 513), and per
     * field its sds, the value's sds (1 + 20 + 1) and an entry; the
     * listpack is gone. */
    uint64_t fields = 0;
    for (int i = 0; i <= OMH_MAX_LISTPACK_ENTRIES; i++) {
        snprintf(field, sizeof field, "f%d", i);
        fields += (1 + strlen(field) + 1) + 22 + 24;
    }
    cr_assert_eq(eng.c.requested_bytes, 56 + 1024 * 8 + fields + 16 + 3 + 32 + 24);
}

Test(objmodel_hash, hdel_shrinks_the_listpack_and_the_last_takes_the_key) {
    hset("h", "a", 30);
    hset("h", "b", 30);
    uint64_t before = eng.c.reallocs, used = eng.c.used_memory;
    ev(TRACE_OP_HDEL, "h", "a", 0);
    cr_assert_eq(eng.c.reallocs, before + 1, "lpShrinkToFit reallocs");
    cr_assert_eq(eng.c.used_memory, used - U16(7 + 2 * (3 + 32)) + U16(7 + 3 + 32));
    ev(TRACE_OP_HDEL, "h", "missing", 0);
    cr_assert_eq(eng.c.reallocs, before + 1, "no such field: nothing");
    ev(TRACE_OP_HDEL, "h", "b", 0);
    cr_assert_eq(eng.ks.count, 0, "the last field took the key");
    cr_assert_eq(eng.c.deleted_keys, 1);
    cr_assert_eq(eng.c.hash_keys, 0);
    cr_assert_eq(eng.c.requested_bytes, 32, "the main table alone is left");
}

Test(objmodel_hash, a_long_value_converts_before_the_write) {
    hset("h", "a", 5);
    hset("h", "b", OMH_MAX_LISTPACK_VALUE + 1);
    cr_assert_eq(eng.c.hash_conversions, 1);
    /* dict, 4 buckets (presized to 1 field), a and b as sds and entries */
    uint64_t ht = 56 + 32 + (3 + 7 + 24) + (3 + (3 + 65 + 1) + 24);
    cr_assert_eq(eng.c.requested_bytes, ht + 16 + 3 + 32 + 24);
    hset("h", "a", 9); /* an update: the old value's sds freed, a new one */
    cr_assert_eq(eng.c.requested_bytes, ht + 4 + 16 + 3 + 32 + 24);
}

Test(objmodel_hash, types_clash_as_in_redis) {
    ev(TRACE_OP_SET, "s", NULL, 10);
    uint64_t used = eng.c.used_memory;
    hset("s", "f", 10);
    ev(TRACE_OP_HDEL, "s", "f", 0);
    cr_assert_eq(eng.c.wrongtype, 2, "HSET and HDEL on a string: WRONGTYPE");
    cr_assert_eq(eng.c.used_memory, used);
    hset("h", "f", 10);
    ev(TRACE_OP_APPEND, "h", NULL, 5);
    cr_assert_eq(eng.c.wrongtype, 3, "APPEND on a hash: WRONGTYPE");
    ev(TRACE_OP_SET, "h", NULL, 10); /* SET overwrites any type */
    cr_assert_eq(eng.c.hash_keys, 0);
    cr_assert_eq(eng.c.used_memory, 2 * used - 32, "two string keys of 10 bytes, one table");
    hset("h2", "f", 10);
    ev(TRACE_OP_DEL, "h2", NULL, 0);
    cr_assert_eq(eng.c.hash_keys, 0);
    cr_assert_eq(eng.ks.count, 2);
}

Test(objmodel_hash, the_raw_model_stores_field_values_only, .init = NULL) {
    start(OM_RAW);
    hset("h", "a", 100);
    hset("h", "b", 0);
    hset("h", "a", 50);
    cr_assert_eq(eng.c.requested_bytes, 50);
    cr_assert_eq(eng.c.reallocs, 0);
    ev(TRACE_OP_HDEL, "h", "a", 0);
    cr_assert_eq(eng.c.requested_bytes, 0);
    cr_assert_eq(eng.ks.count, 1, "b is left");
}
