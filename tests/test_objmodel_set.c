/* Set keys in the engine and the redis object model (sim/objmodel_set.h),
 * byte for byte and realloc by realloc, on the plain-malloc test backend
 * (usable sizes rounded up to 16). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sim/engine.h"
#include "../sim/objmodel_set.h"
#include "test_backend.h"

#define U16(n) (((uint64_t)(n) + 15) & ~(uint64_t)15)

static engine eng;
static void *be_state;

static void start(om_kind model, uint64_t max_intset) {
    fs_err err;
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = 1000 * TRACE_US_PER_S, .object_model = model,
                         .type_limits_set = max_intset > 0,
                         .hash_max_listpack_entries = 512, .hash_max_listpack_value = 64,
                         .set_max_intset_entries = max_intset};
    cr_assert_eq(engine_init(&eng, &test_backend, be_state, &cfg, &err), 0);
}

static void setup(void) { start(OM_REDIS, 0); }

/* Every block is freed with the engine, whatever moved by realloc. */
static void teardown(void) {
    engine_destroy(&eng);
    cr_assert_eq(test_counts.live_bytes, 0, "%llu bytes left",
                 (unsigned long long)test_counts.live_bytes);
    cr_assert_eq(test_counts.allocs, test_counts.frees);
}

static void ev(trace_op op, const char *key, const char *member) {
    trace_event e = {.op = op, .key = key, .keylen = (uint32_t)strlen(key),
                     .ttl_us = TRACE_TTL_NONE, .field = member,
                     .fieldlen = member ? (uint32_t)strlen(member) : 0};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &e, &err), 0, "engine_apply: %s", err.msg);
}

static void sadd(const char *key, const char *member) { ev(TRACE_OP_SADD, key, member); }
static void srem(const char *key, const char *member) { ev(TRACE_OP_SREM, key, member); }

/* robj 16, key sds of a 1-byte key (3), main table 4 x 8, dictEntry 24. */
#define KEY_REQ (16 + 3 + 32 + 24)
#define KEY_USED (16 + U16(3) + 32 + U16(24))

TestSuite(objmodel_set, .init = setup, .fini = teardown);

Test(objmodel_set, intset_widths_follow_intset_c) {
    cr_assert_eq(oms_intset_width(0), 2);
    cr_assert_eq(oms_intset_width(32767), 2);
    cr_assert_eq(oms_intset_width(-32768), 2);
    cr_assert_eq(oms_intset_width(32768), 4);
    cr_assert_eq(oms_intset_width(-32769), 4);
    cr_assert_eq(oms_intset_width(2147483647), 4);
    cr_assert_eq(oms_intset_width(2147483648LL), 8);
    cr_assert_eq(oms_intset_width(INT64_MIN), 8);
}

/* Every insert and removal reallocs the intset to 8 + n x width; a wider
 * member widens all of them in the same realloc, and removals never
 * narrow it. */
Test(objmodel_set, an_intset_reallocs_on_every_insert_and_widens_whole) {
    sadd("s", "1");
    cr_assert_eq(eng.c.set_keys, 1);
    cr_assert_eq(eng.c.requested_bytes, 8 + 2 + KEY_REQ, "intset of one 2-byte member");
    cr_assert_eq(eng.c.reallocs, 1, "intsetNew's 8 bytes, then one realloc");
    sadd("s", "2");
    sadd("s", "2"); /* already there: nothing */
    cr_assert_eq(eng.c.requested_bytes, 8 + 2 * 2 + KEY_REQ);
    cr_assert_eq(eng.c.reallocs, 2);
    sadd("s", "100000"); /* 4 bytes: all three members widened */
    cr_assert_eq(eng.c.requested_bytes, 8 + 3 * 4 + KEY_REQ);
    sadd("s", "-5000000000"); /* 8 bytes */
    cr_assert_eq(eng.c.requested_bytes, 8 + 4 * 8 + KEY_REQ);
    cr_assert_eq(eng.c.used_memory, U16(8 + 4 * 8) + KEY_USED);
    srem("s", "-5000000000");
    cr_assert_eq(eng.c.requested_bytes, 8 + 3 * 8 + KEY_REQ, "the width stays 8");
    srem("s", "7"); /* not a member: nothing */
    cr_assert_eq(eng.c.reallocs, 5);
    cr_assert_eq(test_counts.reallocs, eng.c.reallocs, "every realloc reached the allocator");
    cr_assert_eq(eng.c.set_conversions, 0);
    srem("s", "1");
    srem("s", "2");
    srem("s", "100000");
    cr_assert_eq(eng.ks.count, 0, "the last SREM takes the key");
    cr_assert_eq(eng.c.set_keys, 0);
    cr_assert_eq(eng.c.used_memory, 32, "only the main table is left");
}

/* A set made from a non-integer member is a hashtable from the start: the
 * dict (56) and its robj, per member a dictEntry and an sds. */
Test(objmodel_set, a_set_of_strings_is_a_hashtable) {
    sadd("s", "alpha");
    uint64_t member = 1 + 5 + 1;
    cr_assert_eq(eng.c.requested_bytes, 56 + KEY_REQ + 4 * 8 + 24 + member);
    sadd("s", "beta");
    srem("s", "alpha");
    cr_assert_eq(eng.c.requested_bytes, 56 + KEY_REQ + 4 * 8 + 24 + (1 + 4 + 1));
    cr_assert_eq(eng.c.reallocs, 0, "a hashtable never reallocs");
    cr_assert_eq(eng.c.set_conversions, 0);
}

/* A non-integer member converts an intset: the dict presized to the
 * members (4 buckets for 3), their sds, entries, then the intset freed and
 * the new member added (sds first, then its entry). */
Test(objmodel_set, a_string_member_converts_an_intset) {
    sadd("s", "1");
    sadd("s", "22");
    sadd("s", "333");
    sadd("s", "x");
    cr_assert_eq(eng.c.set_conversions, 1);
    uint64_t sds = (1 + 1 + 1) + (1 + 2 + 1) + (1 + 3 + 1) + (1 + 1 + 1);
    cr_assert_eq(eng.c.requested_bytes, 56 + KEY_REQ + 4 * 8 + 4 * 24 + sds);
    /* A fifth member fills the 4 buckets: the table grows to 8, and the
     * old one stays until the rehash is done. */
    sadd("s", "y");
    cr_assert_eq(eng.c.requested_bytes, 56 + KEY_REQ + 4 * 8 + 8 * 8 + 5 * 24 + sds + 3);
}

/* set-max-intset-entries: the insert that passes it converts; the dict is
 * presized to the members (power of two at or above). */
Test(objmodel_set, the_intset_converts_past_set_max_intset_entries, .init = NULL) {
    start(OM_REDIS, 5);
    char m[16];
    for (int i = 0; i < 5; i++) {
        snprintf(m, sizeof m, "%d", i * 10);
        sadd("s", m);
    }
    cr_assert_eq(eng.c.set_conversions, 0);
    cr_assert_eq(eng.c.requested_bytes, 8 + 5 * 2 + KEY_REQ);
    sadd("s", "50");
    cr_assert_eq(eng.c.set_conversions, 1);
    uint64_t sds = 3 + 5 * 4;
    cr_assert_eq(eng.c.requested_bytes, 56 + KEY_REQ + 8 * 8 + 6 * 24 + sds);
    cr_assert_eq(eng.c.reallocs, 6, "one realloc per intset insert, none after");
}

/* WRONGTYPE both ways, and SET replacing a set. */
Test(objmodel_set, types_clash_as_in_redis) {
    sadd("s", "1");
    ev(TRACE_OP_HSET, "s", "f");
    srem("h", "1");
    cr_assert_eq(eng.c.wrongtype, 1);
    trace_event hs = {.op = TRACE_OP_HSET, .key = "h", .keylen = 1, .field = "f", .fieldlen = 1,
                      .size = 3, .ttl_us = TRACE_TTL_NONE};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &hs, &err), 0);
    sadd("h", "1");
    srem("h", "1");
    cr_assert_eq(eng.c.wrongtype, 3);
    trace_event set = {.op = TRACE_OP_SET, .key = "s", .keylen = 1, .size = 10,
                       .ttl_us = TRACE_TTL_NONE};
    cr_assert_eq(engine_apply(&eng, &set, &err), 0);
    cr_assert_eq(eng.c.set_keys, 0);
    cr_assert_eq(eng.c.hash_keys, 1);
}

/* The raw model: a block per member, of its length. */
Test(objmodel_set, raw_model_stores_each_member, .init = NULL) {
    start(OM_RAW, 0);
    sadd("s", "alpha");
    sadd("s", "alpha");
    sadd("s", "7");
    cr_assert_eq(eng.c.requested_bytes, 5 + 1);
    srem("s", "alpha");
    cr_assert_eq(eng.c.requested_bytes, 1);
    cr_assert_eq(eng.c.set_keys, 1);
}

/* The census by encoding counts each value's blocks, and only those. */
Test(objmodel_set, census_by_encoding) {
    sadd("a", "1");
    sadd("a", "2");
    sadd("b", "x");
    ev(TRACE_OP_HSET, "h", "f");
    engine_encodings c;
    engine_encoding_census(&eng, &c);
    cr_assert_eq(c.keys[ENGINE_ENC_SET_INTSET], 1);
    cr_assert_eq(c.keys[ENGINE_ENC_SET_HASHTABLE], 1);
    cr_assert_eq(c.keys[ENGINE_ENC_HASH_LISTPACK], 1);
    cr_assert_eq(c.keys[ENGINE_ENC_HASH_HASHTABLE], 0);
    cr_assert_eq(c.bytes[ENGINE_ENC_SET_INTSET], 16 + U16(8 + 2 * 2));
    cr_assert_eq(c.bytes[ENGINE_ENC_SET_HASHTABLE], 16 + U16(56) + 32 + U16(24) + U16(3));
    uint64_t keys = 3 * (U16(3) + U16(24)) + 32; /* sds, entries, the main table */
    uint64_t total = 0;
    for (int i = 0; i < ENGINE_ENC__COUNT; i++) total += c.bytes[i];
    cr_assert_eq(total + keys, eng.c.used_memory, "every block but the keys' own");
}
